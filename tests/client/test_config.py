"""`login` / `logout` and where the client finds its server and token."""

import json
import stat

import httpx
import pytest
from registry_cli import config
from registry_cli.errors import CliError, ExitCode


def test_saved_config_file_is_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "cfg" / "config.json"

    config.save_token(path=path, server="http://registry.test", token="secret-1")

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert json.loads(path.read_text())["servers"]["http://registry.test"] == {"token": "secret-1"}


def test_rewriting_a_config_file_that_was_made_world_readable_makes_it_private_again(tmp_path):
    path = tmp_path / "config.json"
    path.write_text('{"servers": {}}')
    path.chmod(0o644)

    config.save_token(path=path, server="http://registry.test", token="secret-1")

    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_token_from_the_environment_wins_over_the_config_file(tmp_path):
    path = tmp_path / "config.json"
    config.save_token(path=path, server="http://registry.test", token="stored")

    credentials = config.resolve_credentials(server_option=None, path=path, env={"REGISTRY_TOKEN": "from-ci"})

    assert credentials == config.Credentials(server="http://registry.test", token="from-ci", token_source="env")


def test_server_option_wins_over_environment_and_default(tmp_path):
    path = tmp_path / "config.json"
    config.save_token(path=path, server="http://a.test", token="a")
    config.save_token(path=path, server="http://b.test/", token="b", make_default=False)

    credentials = config.resolve_credentials(
        server_option="http://b.test/", path=path, env={"REGISTRY_URL": "http://c.test"}
    )

    assert (credentials.server, credentials.token) == ("http://b.test", "b")


def test_without_a_server_the_error_says_how_to_configure_one(tmp_path):
    with pytest.raises(CliError) as missing:
        config.resolve_credentials(server_option=None, path=tmp_path / "none.json", env={})

    assert missing.value.code == "NOT_CONFIGURED"
    assert missing.value.exit_code == ExitCode.AUTH
    assert "registry-cli login" in missing.value.message


def test_a_server_url_without_a_scheme_is_a_usage_error():
    with pytest.raises(CliError) as refused:
        config.normalize_server("registry.test")

    assert refused.value.exit_code == ExitCode.USAGE


def test_login_without_verification_stores_the_token_from_stdin(run_cli, cli_env, monkeypatch):
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("tok-123\n"))

    result = run_cli("login", "--server", "http://registry.test/", "--token-stdin", "--no-verify")

    assert result.exit_code == 0
    assert json.loads(cli_env.read_text()) == {
        "default": "http://registry.test",
        "servers": {"http://registry.test": {"token": "tok-123"}},
    }
    assert stat.S_IMODE(cli_env.stat().st_mode) == 0o600


def test_login_with_a_token_the_server_refuses_stores_nothing(run_cli, cli_env, monkeypatch):
    def refuse(request):
        return httpx.Response(401, json={"code": "UNAUTHENTICATED", "message": "Invalid token."})

    real_client = httpx.Client
    monkeypatch.setattr(
        "registry_cli.api.httpx.Client",
        lambda **kwargs: real_client(**{**kwargs, "transport": httpx.MockTransport(refuse)}),
    )
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("wrong\n"))

    result = run_cli("login", "--server", "http://registry.test", "--token-stdin")

    assert result.exit_code == ExitCode.AUTH
    assert result.error == ["UNAUTHENTICATED: Invalid token.", f"  hint: {config.token_hint('http://registry.test')}"]
    assert not cli_env.exists()


def test_logout_removes_the_stored_token(run_cli, cli_env):
    config.save_token(path=cli_env, server="http://registry.test", token="tok")

    result = run_cli("logout", "--json")

    assert result.json() == {"server": "http://registry.test", "removed": True}
    assert json.loads(cli_env.read_text())["servers"] == {}


def test_the_token_hint_names_the_issue_token_command_and_the_admin_page_of_the_server():
    hint = config.token_hint("http://registry.test:8000/")

    assert "python manage.py issue_token USERNAME" in hint
    assert "--read-only" in hint
    assert '"Add API token" at http://registry.test:8000/admin/registry/apitoken/add/' in hint


def test_login_help_says_how_to_get_a_token(run_cli):
    result = run_cli("login", "--help")

    assert result.exit_code == 0
    assert "python manage.py issue_token USERNAME [--name NAME] [--read-only] [--expires-in-days N]" in result.stdout
    assert "SERVER/admin/registry/apitoken/add/" in result.stdout


def test_login_says_where_a_token_comes_from_before_asking_for_one(run_cli, monkeypatch):
    asked = []
    monkeypatch.setattr("registry_cli.cli.click.prompt", lambda text, **kwargs: asked.append(text) or "tok-1")

    result = run_cli("login", "--server", "http://registry.test", "--no-verify")

    assert result.exit_code == 0, result.stderr
    assert asked == ["Token"]
    assert f"No token yet? {config.token_hint('http://registry.test')}." in result.stderr.splitlines()


def test_login_with_an_empty_token_points_to_where_tokens_come_from(run_cli, monkeypatch):
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("\n"))

    result = run_cli("login", "--server", "http://registry.test", "--token-stdin")

    assert result.exit_code == ExitCode.USAGE
    assert result.error == ["NO_TOKEN: No token given", f"  hint: {config.token_hint('http://registry.test')}"]


def test_a_command_run_without_a_token_says_how_to_get_one(run_cli, monkeypatch):
    monkeypatch.setenv("REGISTRY_URL", "http://registry.test")

    result = run_cli("info", "acme/finance/ledger")

    assert result.exit_code == ExitCode.AUTH
    assert result.error[0].startswith("NOT_LOGGED_IN: No token for http://registry.test")
    assert result.error[1] == f"  hint: {config.token_hint('http://registry.test')}"
