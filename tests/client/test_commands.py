"""Command behaviour that needs no live server: waiting, paging, terminal progress, common options."""

import io
import os
import re

import httpx
import pytest
from registry_cli.cli import cli
from registry_cli.errors import ExitCode
from registry_cli.progress import PlainProgress, RichProgress, human_bytes, human_rate, make_progress

from tests.client.conftest import write_package


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_takes_json_server_quiet_retries_and_timeout(command):
    options = {opt for param in cli.commands[command].params for opt in getattr(param, "opts", [])}

    assert {"--json", "--server", "--quiet", "--retries", "--timeout"} <= options


def test_publish_wait_gives_up_with_exit_11_when_indexing_never_finishes(
    run_cli, mock_server, package_dir, monkeypatch
):
    monkeypatch.setattr("registry_cli.cli.time.sleep", lambda seconds: None)
    clock = iter(range(0, 10_000, 10))
    monkeypatch.setattr("registry_cli.cli.time.monotonic", lambda: next(clock))

    def handler(request):
        if request.method == "POST":
            return httpx.Response(201, json={"name": "ledger", "latestVersion": "1.0.0"})
        return httpx.Response(200, json={"id": "1.0.0", "indexStatus": "indexing"})

    mock_server(handler)

    result = run_cli("publish", str(package_dir), "--to", "acme/finance", "--wait", "--wait-timeout", "30", "-q")

    assert result.exit_code == ExitCode.TIMEOUT == 11
    assert result.stderr.startswith("WAIT_TIMEOUT: acme/finance/ledger@1.0.0 is still 'indexing' after 30 s")


def test_versions_follows_the_pages_until_the_total_is_reached(run_cli, mock_server):
    all_versions = [{"id": f"1.0.{n}", "archiveStatus": "unarchive", "indexStatus": "indexed"} for n in range(150)]
    pages = []

    def handler(request):
        page, limit = int(request.url.params["page"]), int(request.url.params["limit"])
        pages.append(page)
        chunk = all_versions[(page - 1) * limit : page * limit]
        return httpx.Response(200, json=chunk, headers={"X-Total-Count": str(len(all_versions))})

    mock_server(handler)

    result = run_cli("versions", "acme/finance/ledger", "--json")

    assert result.exit_code == 0
    assert [v["id"] for v in result.json()] == [v["id"] for v in all_versions]
    assert pages == [1, 2]


def test_archive_needs_a_version(run_cli, mock_server):
    mock_server(lambda request: httpx.Response(500))

    result = run_cli("archive", "acme/finance/ledger")

    assert result.exit_code == ExitCode.USAGE
    assert "ORG/PROJECT/PACKAGE@VERSION" in result.stderr


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_progress_is_a_bar_with_bytes_rate_and_time_left():
    terminal = _Terminal()
    progress = make_progress(description="upload", total=2 * 1024 * 1024, enabled=True, stream=terminal)
    assert isinstance(progress, RichProgress)

    progress.advance(1024 * 1024)
    progress.advance(1024 * 1024)
    progress.finish()

    shown = terminal.getvalue()
    assert "2.0/2.0 MiB" in shown
    assert re.search(r"\d (B|KiB|MiB|GiB|TiB)/s", shown)  # the rate in the same binary units as the sizes
    assert not re.search(r"\d ?(kB|MB|GB|TB)/s", shown)
    assert "0:00:00" in shown  # time left, once done
    assert progress.progress.tasks[0].percentage == 100


def test_on_a_terminal_a_download_of_unknown_length_ends_at_100_percent():
    progress = make_progress(description="download", total=None, enabled=True, stream=_Terminal())

    progress.advance(3000)
    progress.finish()

    task = progress.progress.tasks[0]
    assert (task.completed, task.total, task.percentage) == (3000, 3000, 100)


def _plain_lines(total: int, chunks: list[int]) -> list[str]:
    stream = io.StringIO()
    progress = PlainProgress(description="upload", total=total, stream=stream)
    for chunk in chunks:
        progress.advance(chunk)
    progress.finish()
    return stream.getvalue().splitlines()


def test_plain_progress_prints_each_quarter_up_to_100_percent_then_done():
    lines = _plain_lines(4 * 1024 * 1024, [1024 * 1024] * 4)

    assert lines[:4] == [
        "upload: 25% (1.0 MiB of 4.0 MiB)",
        "upload: 50% (2.0 MiB of 4.0 MiB)",
        "upload: 75% (3.0 MiB of 4.0 MiB)",
        "upload: 100% (4.0 MiB of 4.0 MiB)",
    ]
    assert lines[4].startswith("upload: done, 4.0 MiB in ")
    assert lines[4].endswith("iB/s)") or lines[4].endswith(" B/s)")
    assert len(lines) == 5


def test_plain_progress_given_everything_in_one_chunk_says_100_percent_once():
    assert _plain_lines(1000, [1000])[0] == "upload: 100% (1000 B of 1000 B)"


def test_plain_progress_of_a_transfer_cut_short_says_where_it_stopped():
    assert _plain_lines(4000, [1500]) == ["upload: 25% (1.5 KiB of 3.9 KiB)", "upload: stopped at 1.5 KiB of 3.9 KiB"]


@pytest.mark.parametrize(
    ("size", "shown"),
    [(0, "0 B"), (1023, "1023 B"), (1536, "1.5 KiB"), (5 * 1024**2, "5.0 MiB"), (3 * 1024**3, "3.0 GiB")],
)
def test_sizes_are_shown_in_binary_units(size, shown):
    assert human_bytes(size) == shown
    assert human_rate(size) == f"{shown}/s"


def test_publish_through_a_server_shows_plain_progress_reaching_100_percent(run_cli, mock_server, package_dir):
    def handler(request):
        request.read()  # the transport reads the streamed body, as a real server would
        return httpx.Response(201, json={"name": "ledger", "latestVersion": "1.0.0"})

    mock_server(handler)

    result = run_cli("publish", str(package_dir), "--to", "acme/finance")

    assert result.exit_code == 0, result.stderr
    progress = result.stderr.splitlines()
    assert progress[-2].startswith("upload acme/finance/ledger@1.0.0: 100% (")
    assert progress[-1].startswith("upload acme/finance/ledger@1.0.0: done, ")


def test_pack_reports_the_size_in_binary_units_with_the_exact_count(run_cli, tmp_path):
    directory = write_package(
        tmp_path / "big", {"publisher.json": '{"name": "big", "version": "1.0.0"}', "data.bin": os.urandom(4096)}
    )

    result = run_cli("pack", str(directory), "-o", str(tmp_path / "big.zip"), "--json")
    size = result.json()["size"]
    text = run_cli("pack", str(directory), "-o", str(tmp_path / "big.zip"))

    assert text.stdout.splitlines()[0].endswith(f"({human_bytes(size)} ({size} bytes))")
    assert "KiB" in text.stdout.splitlines()[0]


def test_off_a_terminal_progress_is_plain_lines():
    assert isinstance(make_progress(description="upload", total=10, enabled=True, stream=io.StringIO()), PlainProgress)


def test_publish_refuses_a_manifest_name_that_cannot_be_a_package_name(run_cli, tmp_path):
    directory = write_package(tmp_path / "pkg", {"publisher.json": '{"name": "my ledger", "version": "1.0.0"}'})

    result = run_cli("publish", str(directory), "--to", "acme/finance", "--server", "http://registry.test")

    assert result.exit_code == ExitCode.USAGE
    assert result.stderr.startswith("INVALID_PACKAGE_NAME: ")


def test_publish_without_any_version_says_where_to_give_one(run_cli, tmp_path):
    directory = write_package(tmp_path / "pkg", {"publisher.json": '{"name": "ledger", "version": 1}'})

    result = run_cli("publish", str(directory), "--to", "acme/finance", "--server", "http://registry.test")

    assert result.exit_code == ExitCode.USAGE
    assert result.stderr.startswith("NO_VERSION: ")


VERSION_DETAIL = {
    "id": "1.2.0",
    "archiveStatus": "archive",
    "indexStatus": "indexed",
    "indexError": None,
    "sha256": "ab" * 32,
    "size": 1432,
    "createdAt": "2026-01-02T03:04:05Z",
    "updatedAt": "2026-01-02T03:04:05Z",
    "replicas": [],
}
DEPENDENCIES = [
    {
        "reference": "core",
        "range": "^1.0.0",
        "organizationName": "acme",
        "projectName": "finance",
        "packageName": "core",
        "resolvedVersion": "1.4.0",
    }
]


def _registry(path_answers: dict[str, object], seen: list[str] | None = None):
    def handler(request):
        if seen is not None:
            seen.append(f"{request.method} {request.url.path}")
        body = path_answers.get(request.url.path)
        if body is None:
            return httpx.Response(404, json={"code": "NOT_FOUND", "message": request.url.path})
        headers = {"X-Total-Count": str(len(body))} if isinstance(body, list) else {}
        return httpx.Response(200, json=body, headers=headers)

    return handler


LEDGER = "/api/v0/organizations/acme/projects/finance/packages/ledger"


def test_info_of_a_version_shows_sha256_size_archive_status_and_dependencies(run_cli, mock_server):
    mock_server(
        _registry({f"{LEDGER}/versions/1.2.0": VERSION_DETAIL, f"{LEDGER}/versions/1.2.0/dependencies": DEPENDENCIES})
    )

    result = run_cli("info", "acme/finance/ledger@1.2.0")

    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "acme/finance/ledger@1.2.0",
        "id             1.2.0",
        "archiveStatus  Archived",
        "indexStatus    indexed",
        "indexError     -",
        f"sha256         {'ab' * 32}",
        "size           1.4 KiB (1432 bytes)",
        "createdAt      2026-01-02T03:04:05Z",
        "updatedAt      2026-01-02T03:04:05Z",
        "dependencies:",
        "  REFERENCE  RANGE   LOCKED",
        "  core       ^1.0.0  acme/finance/core@1.4.0",
    ]


def test_info_json_of_a_version_is_the_detail_with_its_dependencies(run_cli, mock_server):
    mock_server(_registry({f"{LEDGER}/versions/1.2.0": VERSION_DETAIL, f"{LEDGER}/versions/1.2.0/dependencies": []}))

    result = run_cli("info", "acme/finance/ledger@1.2.0", "--json")

    assert result.json() == {**VERSION_DETAIL, "dependencies": []}


def test_info_of_a_package_shows_its_latest_version_under_the_package(run_cli, mock_server):
    package = {"name": "ledger", "description": "Ledger", "latestVersion": "1.2.0", "indexStatus": "indexed"}
    mock_server(
        _registry(
            {
                LEDGER: package,
                f"{LEDGER}/versions/1.2.0": {**VERSION_DETAIL, "archiveStatus": "unarchive"},
                f"{LEDGER}/versions/1.2.0/dependencies": [],
            }
        )
    )

    result = run_cli("info", "acme/finance/ledger")

    lines = result.stdout.splitlines()
    assert lines[0] == "name           ledger"
    latest = lines[lines.index("latest version 1.2.0:") + 1 :]
    assert "  archiveStatus  Available" in latest
    assert f"  sha256         {'ab' * 32}" in latest
    assert "  size           1.4 KiB (1432 bytes)" in latest
    assert latest[-1] == "  dependencies: none"


def test_info_of_a_package_with_no_available_version_shows_the_package_alone(run_cli, mock_server):
    mock_server(_registry({LEDGER: {"name": "ledger", "latestVersion": None}}))

    result = run_cli("info", "acme/finance/ledger", "--json")

    assert result.json() == {"name": "ledger", "latestVersion": None, "latest": None}


def test_versions_shows_the_archive_status_in_the_admins_words(run_cli, mock_server):
    listed = [{**VERSION_DETAIL, "id": "1.2.0"}, {**VERSION_DETAIL, "id": "1.1.0", "archiveStatus": "unarchive"}]
    mock_server(_registry({f"{LEDGER}/versions": listed}))

    result = run_cli("versions", "acme/finance/ledger")

    assert [line.split()[:2] for line in result.stdout.splitlines()] == [
        ["VERSION", "ARCHIVE"],
        ["1.2.0", "Archived"],
        ["1.1.0", "Available"],
    ]


def test_the_cli_says_archived_and_available_exactly_as_the_admin_labels_them():
    from registry_cli.render import ARCHIVE_LABELS

    from packages_app.models import ArchiveStatus

    assert dict(ArchiveStatus.choices) == ARCHIVE_LABELS


def test_archive_says_the_version_is_now_archived_in_the_admins_words(run_cli, mock_server):
    mock_server(lambda request: httpx.Response(200, json={**VERSION_DETAIL, "archiveStatus": "archive"}))

    result = run_cli("archive", "acme/finance/ledger@1.2.0")

    assert result.stdout.strip() == "acme/finance/ledger@1.2.0 is now Archived"


@pytest.mark.parametrize("bad", ["1.0", "01.0.0", "1.0.0-beta", "v1.0.0", "1.0.0.0"])
def test_release_and_publish_refuse_the_same_malformed_version_before_asking_the_server(
    run_cli, mock_server, package_dir, bad
):
    seen: list[str] = []
    mock_server(_registry({}, seen))

    released = run_cli("release", "acme/finance", "--version", bad)
    published = run_cli("publish", str(package_dir), "--to", "acme/finance", "--version", bad)

    assert seen == []
    assert released.exit_code == published.exit_code == ExitCode.USAGE
    assert released.error == published.error
    assert (
        released.error[0] == f"INVALID_VERSION: Version must be MAJOR.MINOR.PATCH with no leading zeros (got {bad!r})"
    )
