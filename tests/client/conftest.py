"""Fixtures for the command-line client's tests: package directories, an isolated config, runners.

``run_cli`` runs the client in-process (offline tests); ``cli`` runs the installed console script as a
subprocess against pytest-django's live server, with REGISTRY_URL/REGISTRY_TOKEN set as a CI job would.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from registry_cli.cli import main

from registry.models import Role
from tests.factories import UserFactory, make_token

CONSOLE_SCRIPT = shutil.which("registry-cli", path=str(Path(sys.executable).parent)) or "registry-cli"


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    def json(self):
        return json.loads(self.stdout)

    @property
    def error(self) -> list[str]:
        """The error report on stderr: its ``CODE: message`` line and the detail lines under it."""
        lines = self.stderr.splitlines()
        start = next(i for i, line in enumerate(lines) if re.match(r"^[A-Z][A-Z0-9_]*: ", line))
        return lines[start:]


@pytest.fixture
def cli_env(monkeypatch, tmp_path):
    """No server or token leaks in from the machine: a private config file, and no REGISTRY_* variables."""
    config_file = tmp_path / "home" / "registry-cli" / "config.json"
    monkeypatch.setenv("REGISTRY_CLI_CONFIG", str(config_file))
    monkeypatch.delenv("REGISTRY_URL", raising=False)
    monkeypatch.delenv("REGISTRY_TOKEN", raising=False)
    monkeypatch.setenv("REGISTRY_CLI_BACKOFF", "0.01")
    return config_file


@pytest.fixture
def run_cli(cli_env, capsys):
    """Run ``registry-cli ARGS`` in-process; returns its exit code, stdout and stderr."""

    def run(*args: str) -> CliResult:
        with pytest.raises(SystemExit) as exited:
            main(list(args))
        out, err = capsys.readouterr()
        return CliResult(exited.value.code, out, err)

    return run


@pytest.fixture
def mock_server(cli_env, monkeypatch):
    """Answer the in-process client's requests with ``handler(request) -> httpx.Response``."""
    import httpx

    monkeypatch.setenv("REGISTRY_URL", "http://registry.test")
    monkeypatch.setenv("REGISTRY_TOKEN", "tok")
    real_client = httpx.Client

    def install(handler) -> None:
        monkeypatch.setattr(
            "registry_cli.api.httpx.Client",
            lambda **kwargs: real_client(**{**kwargs, "transport": httpx.MockTransport(handler)}),
        )

    return install


def write_package(directory: Path, files: dict[str, str | bytes]) -> Path:
    for relative, content in files.items():
        target = directory / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode() if isinstance(content, str) else content)
    return directory


@pytest.fixture
def package_dir(tmp_path):
    return write_package(
        tmp_path / "ledger",
        {
            "publisher.json": json.dumps({"name": "ledger", "version": "1.0.0", "description": "Ledger models"}),
            "ledger.malloy": "source: entries is duckdb.table('data/entries.csv')\n",
            "data/entries.csv": "id,amount\n1,10\n",
        },
    )


@pytest.fixture
def publisher(project, grant):
    """A modeler on acme/finance: may publish there."""
    user = UserFactory(username="publisher")
    grant(project, Role.MODELER, user=user)
    return user


@pytest.fixture
def cli(live_server, publisher, tmp_path):
    """Run the console script against the live server as ``publisher``; ``env`` overrides variables."""
    base_env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path / "home"),
        "REGISTRY_CLI_CONFIG": str(tmp_path / "home" / "config.json"),
        "REGISTRY_URL": live_server.url,
        "REGISTRY_TOKEN": make_token(publisher),
        "REGISTRY_CLI_BACKOFF": "0.05",
    }

    def run(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> CliResult:
        completed = subprocess.run(
            [CONSOLE_SCRIPT, *args],
            env={**base_env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=tmp_path,
        )
        return CliResult(completed.returncode, completed.stdout, completed.stderr)

    return run
