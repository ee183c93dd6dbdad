"""Command behaviour that needs no live server: waiting, paging, terminal progress, common options."""

import io

import httpx
import pytest
from registry_cli.cli import cli
from registry_cli.errors import ExitCode
from registry_cli.progress import PlainProgress, RichProgress, make_progress

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
    assert "/s" in shown
    assert "0:00:00" in shown  # time left, once done


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
