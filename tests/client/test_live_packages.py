"""The ``registry-cli`` console script, run as a subprocess, against a live server (v0 packages)."""

import os
import subprocess

import pytest
from registry_cli import packing

from packages_app.models import ArchiveStatus, Version
from registry.errors import RegistryError
from registry.models import Role
from tests.client.conftest import CONSOLE_SCRIPT, write_package
from tests.client.proxy import DroppingProxy
from tests.factories import UserFactory, make_token, make_version

pytestmark = pytest.mark.django_db(transaction=True)  # the live server thread must see committed rows


def test_publish_uploads_the_packed_archive_and_creates_the_version(cli, package_dir, package, tmp_path):
    result = cli("publish", str(package_dir), "--to", "acme/finance/ledger", "--json")

    assert result.exit_code == 0, result.stderr
    document = result.json()
    assert document["created"] is True
    assert document["package"]["latestVersion"] == "1.0.0"
    expected = packing.pack(package_dir, output=tmp_path / "expected.zip")
    stored = Version.objects.select_related("artifact").get(package=package, version="1.0.0")
    assert stored.artifact.sha256 == expected.sha256 == document["archive"]["sha256"]


def test_publish_shows_plain_progress_lines_when_not_on_a_terminal(cli, package_dir, package):
    result = cli("publish", str(package_dir), "--to", "acme/finance/ledger")

    assert result.exit_code == 0, result.stderr
    progress = [line for line in result.stderr.splitlines() if line.startswith("upload acme/finance/ledger@1.0.0: ")]
    assert progress[-2].startswith("upload acme/finance/ledger@1.0.0: 100% (")
    assert progress[-1].startswith("upload acme/finance/ledger@1.0.0: done, ")
    assert progress[-1].endswith("/s)")
    assert result.stdout.splitlines()[0] == "Published acme/finance/ledger@1.0.0"


def test_publish_creates_a_package_named_after_the_manifest(cli, package_dir, project):
    result = cli("publish", str(package_dir), "--to", "acme/finance", "--version", "2.0.0")

    assert result.exit_code == 0, result.stderr
    assert Version.objects.filter(package__project=project, package__name="ledger", version="2.0.0").exists()


def test_publishing_the_same_bytes_again_is_a_successful_no_op(cli, package_dir, package):
    assert cli("publish", str(package_dir), "--to", "acme/finance/ledger").exit_code == 0

    again = cli("publish", str(package_dir), "--to", "acme/finance/ledger", "--json")

    assert again.exit_code == 0, again.stderr
    assert again.json()["created"] is False
    assert Version.objects.filter(package=package).count() == 1


def test_publishing_other_bytes_as_an_existing_version_is_one_line_and_exit_5(cli, package_dir, package):
    assert cli("publish", str(package_dir), "--to", "acme/finance/ledger").exit_code == 0
    write_package(package_dir, {"extra.malloy": "source: more is duckdb.table('x')\n"})

    result = cli("publish", str(package_dir), "--to", "acme/finance/ledger")

    assert result.exit_code == 5
    assert result.error[0].startswith("VERSION_EXISTS: ")
    assert "1.0.0" in result.stderr


def test_publish_retries_after_a_dropped_connection_and_succeeds(cli, live_server, package_dir, package):
    write_package(package_dir, {"data/large.bin": os.urandom(300_000)})  # incompressible: a ~300 KB upload
    host, port = live_server.thread.host, live_server.thread.port
    with DroppingProxy(host, port, drop_first=1, cut_after=100_000) as proxy:  # cut a third of the way in
        result = cli("publish", str(package_dir), "--to", "acme/finance/ledger", env={"REGISTRY_URL": proxy.url})

    assert result.exit_code == 0, result.stderr
    assert proxy.dropped == 1
    assert "attempt 1 failed" in result.stderr
    assert "retrying in" in result.stderr
    assert Version.objects.filter(package=package, version="1.0.0").count() == 1


def test_publish_gives_up_with_exit_7_when_the_server_cannot_be_reached(cli, package_dir, live_server):
    with DroppingProxy(live_server.thread.host, live_server.thread.port, drop_first=100, cut_after=1) as proxy:
        result = cli(
            "publish",
            str(package_dir),
            "--to",
            "acme/finance/ledger",
            "--retries",
            "2",
            env={"REGISTRY_URL": proxy.url},
        )

    assert result.exit_code == 7
    assert proxy.dropped == 3
    assert result.error[0].startswith("NETWORK_ERROR: ")


def test_publish_wait_reports_the_index_status_and_succeeds_when_indexed(cli, package_dir, package):
    result = cli("publish", str(package_dir), "--to", "acme/finance/ledger", "--wait", "--json")

    assert result.exit_code == 0, (result.stderr, list(Version.objects.values_list("index_error", flat=True)))
    assert result.json()["indexStatus"] == "indexed"
    assert "index status: indexed" in result.stderr


def test_publish_sends_the_md5_of_the_bytes_it_packed(cli, package_dir, package):
    result = cli("publish", str(package_dir), "--to", "acme/finance/ledger", "--json")

    assert result.exit_code == 0, result.stderr
    stored = Version.objects.select_related("artifact").get(package=package, version="1.0.0")
    assert stored.artifact.md5 == result.json()["archive"]["md5"]


def test_download_writes_the_published_bytes_and_verifies_their_digest(cli, package_dir, package, tmp_path):
    assert cli("publish", str(package_dir), "--to", "acme/finance/ledger").exit_code == 0
    expected = packing.pack(package_dir, output=tmp_path / "expected.zip")

    result = cli("download", "acme/finance/ledger@1.0.0", "-o", str(tmp_path / "got.zip"), "--json")

    assert result.exit_code == 0, result.stderr
    assert result.json()["verified"] is True
    assert (tmp_path / "got.zip").read_bytes() == expected.path.read_bytes()


def test_a_download_cut_mid_way_resumes_from_where_it_stopped(cli, live_server, package_dir, package, tmp_path):
    write_package(package_dir, {"data/large.bin": os.urandom(300_000)})  # incompressible: a ~300 KB file
    assert cli("publish", str(package_dir), "--to", "acme/finance/ledger").exit_code == 0
    expected = packing.pack(package_dir, output=tmp_path / "expected.zip")
    host, port = live_server.thread.host, live_server.thread.port

    with DroppingProxy(host, port, drop_first=1, cut_after=120_000, cut="response") as proxy:
        result = cli(
            "download", "acme/finance/ledger@1.0.0", "-o", str(tmp_path / "got.zip"), env={"REGISTRY_URL": proxy.url}
        )

    assert result.exit_code == 0, result.stderr
    assert proxy.dropped == 1
    assert "attempt 1 failed" in result.stderr
    assert (tmp_path / "got.zip").read_bytes() == expected.path.read_bytes()
    assert proxy.response_bytes[-1] < expected.size - 100_000  # the retry fetched only the missing part


def test_download_without_a_version_fetches_the_latest(cli, package, tmp_path):
    make_version(package, "1.0.0")
    latest = make_version(package, "1.2.0")

    result = cli("download", "acme/finance/ledger", "--json")

    assert result.exit_code == 0, result.stderr
    assert result.json()["sha256"] == latest.artifact.sha256
    assert (tmp_path / "ledger-1.2.0.zip").exists()


def test_download_refuses_bytes_that_do_not_match_the_announced_digest(
    cli, live_server, package_dir, package, tmp_path
):
    assert cli("publish", str(package_dir), "--to", "acme/finance/ledger").exit_code == 0
    host, port = live_server.thread.host, live_server.thread.port

    with DroppingProxy(host, port, drop_first=0, corrupt_zip=True) as proxy:  # one byte altered in transit
        result = cli(
            "download", "acme/finance/ledger@1.0.0", "-o", str(tmp_path / "got.zip"), env={"REGISTRY_URL": proxy.url}
        )

    assert result.exit_code == 8, result.stderr
    assert result.error[0].startswith("DIGEST_MISMATCH: ")
    assert not (tmp_path / "got.zip").exists()
    assert not list(tmp_path.glob(".got.zip*"))


def test_download_of_a_blob_the_server_finds_corrupt_exits_7_after_retrying(
    cli, package, artifact_storage_in_tmp, tmp_path
):
    version = make_version(package, "1.0.0")
    blob = artifact_storage_in_tmp / version.artifact.file.name
    blob.write_bytes(bytes(version.artifact.size))  # same length, other bytes, and no healthy replica

    result = cli("download", "acme/finance/ledger@1.0.0", "-o", str(tmp_path / "got.zip"), "--retries", "1")

    assert result.exit_code == 7, result.stderr
    assert "attempt 1 failed (HTTP 503)" in result.stderr
    assert result.error[0].startswith("STORAGE_UNAVAILABLE: ")
    assert not (tmp_path / "got.zip").exists()


def test_info_and_versions_show_the_package_and_its_versions(cli, package):
    make_version(package, "1.0.0")
    make_version(package, "1.1.0")

    info = cli("info", "acme/finance/ledger", "--json")
    versions = cli("versions", "acme/finance/ledger")

    assert info.exit_code == 0, info.stderr
    assert info.json()["latestVersion"] == "1.1.0"
    assert versions.exit_code == 0, versions.stderr
    lines = versions.stdout.splitlines()
    assert lines[0].split() == ["VERSION", "ARCHIVE", "INDEX", "CREATED"]
    assert [line.split()[:2] for line in lines[1:]] == [["1.1.0", "Available"], ["1.0.0", "Available"]]


def test_info_with_a_version_shows_that_version(cli, package):
    make_version(package, "1.0.0")

    result = cli("info", "acme/finance/ledger@1.0.0", "--json")

    assert result.exit_code == 0, result.stderr
    assert result.json()["id"] == "1.0.0"


def test_archive_and_unarchive_change_the_archive_status(cli, package):
    version = make_version(package, "1.0.0")

    archived = cli("archive", "acme/finance/ledger@1.0.0", "--json")
    version.refresh_from_db()
    assert archived.exit_code == 0, archived.stderr
    assert archived.json()["archiveStatus"] == version.archive_status == ArchiveStatus.ARCHIVE

    assert cli("versions", "acme/finance/ledger").stdout.splitlines()[1].split()[:2] == ["1.0.0", "Archived"]

    unarchived = cli("unarchive", "acme/finance/ledger@1.0.0")
    version.refresh_from_db()
    assert unarchived.exit_code == 0, unarchived.stderr
    assert unarchived.stdout.strip() == "acme/finance/ledger@1.0.0 is now Available"
    assert version.archive_status == ArchiveStatus.UNARCHIVE


def test_an_unknown_package_exits_4_with_the_not_found_code(cli, project):
    result = cli("info", "acme/finance/nothing")

    assert result.exit_code == 4
    assert result.error[0].startswith("NOT_FOUND: ")


def test_an_unknown_package_in_json_mode_prints_the_error_document(cli, project):
    result = cli("info", "acme/finance/nothing", "--json")

    assert result.exit_code == 4
    assert result.json()["error"]["code"] == "NOT_FOUND"
    assert result.json()["error"]["status"] == 404


def test_a_wrong_token_exits_3(cli, project):
    result = cli("info", "acme/finance/ledger", env={"REGISTRY_TOKEN": "not-a-real-token"})

    assert result.exit_code == 3
    assert result.error[0].startswith("UNAUTHENTICATED: ")


def test_a_read_only_token_cannot_publish(cli, package_dir, package, publisher):
    read_only = make_token(publisher, read_only=True)

    result = cli("publish", str(package_dir), "--to", "acme/finance/ledger", env={"REGISTRY_TOKEN": read_only})

    assert result.exit_code == 3
    assert result.error[0].startswith("FORBIDDEN: ")
    assert not Version.objects.filter(package=package).exists()


def test_a_viewer_cannot_publish(cli, package_dir, package, project, grant):
    viewer = UserFactory(username="viewer-only")
    grant(project, Role.VIEWER, user=viewer)

    result = cli("publish", str(package_dir), "--to", "acme/finance/ledger", env={"REGISTRY_TOKEN": make_token(viewer)})

    assert result.exit_code == 3
    assert "FORBIDDEN: " in result.stderr


def test_login_verifies_the_token_and_stores_it_for_later_commands(cli, live_server, publisher, package, tmp_path):
    token = make_token(publisher, name="login-token")
    env = {"REGISTRY_URL": "", "REGISTRY_TOKEN": ""}
    completed = subprocess.run(
        [CONSOLE_SCRIPT, "login", "--server", live_server.url, "--token-stdin"],
        input=token + "\n",
        env={**os.environ, "REGISTRY_CLI_CONFIG": str(tmp_path / "cfg.json"), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    assert oct((tmp_path / "cfg.json").stat().st_mode & 0o777) == "0o600"

    info = cli("info", "acme/finance/ledger", env={**env, "REGISTRY_CLI_CONFIG": str(tmp_path / "cfg.json")})

    assert info.exit_code == 0, info.stderr
    assert info.stdout.splitlines()[0].split() == ["name", "ledger"]


def test_publish_wait_exits_9_when_indexing_fails(cli, package_dir, package, monkeypatch):
    def unreadable(stored):  # the live server runs in this process: make its indexer fail on this version
        raise RegistryError("INVALID_ARCHIVE", "ledger.malloy is not UTF-8")

    monkeypatch.setattr("packages_app.indexing.service.extract_entries", unreadable)

    result = cli("publish", str(package_dir), "--to", "acme/finance/ledger", "--wait")

    assert result.exit_code == 9, result.stderr
    assert "index status: failed" in result.stderr
    assert result.error[0].startswith("INDEXING_FAILED: Indexing acme/finance/ledger@1.0.0 failed")
    assert Version.objects.get(package=package).index_status == "failed"
