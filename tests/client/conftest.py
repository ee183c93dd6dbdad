"""Fixtures for the command-line client's tests: package directories, an isolated config, a runner."""

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from registry_cli.cli import main


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    def json(self):
        return json.loads(self.stdout)


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
