"""Where the client finds its server and token.

Order: ``--server`` / ``REGISTRY_URL`` for the server, ``REGISTRY_TOKEN`` for the token (CI), then the
per-user config file written by ``registry-cli login``. The file holds secrets, so it is only ever
written with mode 0600 (inside a 0700 directory), atomically, never world-readable even for an instant.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from registry_cli.errors import CliError, ExitCode

CONFIG_ENV = "REGISTRY_CLI_CONFIG"
SERVER_ENV = "REGISTRY_URL"
TOKEN_ENV = "REGISTRY_TOKEN"


TOKEN_ADMIN_PATH = "/admin/registry/apitoken/add/"


def token_hint(server: str | None = None) -> str:
    """Where a token comes from: the server's ``issue_token`` command, or the admin's "Add API token" page."""
    page = f"{server.rstrip('/')}{TOKEN_ADMIN_PATH}" if server else f"the admin's {TOKEN_ADMIN_PATH}"
    return (
        "get a token with `python manage.py issue_token USERNAME` on the server "
        "(options: --name NAME, --read-only, --expires-in-days N; it prints the secret once), "
        f'or from staff through "Add API token" at {page}'
    )


@dataclass(frozen=True)
class Credentials:
    server: str
    token: str | None
    token_source: str  # "env", "config" or "none": shown by login/--verbose, never the secret itself


def config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get(CONFIG_ENV):
        return Path(env[CONFIG_ENV]).expanduser()
    base = Path(env["XDG_CONFIG_HOME"]).expanduser() if env.get("XDG_CONFIG_HOME") else Path.home() / ".config"
    return base / "registry-cli" / "config.json"


def normalize_server(url: str) -> str:
    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise CliError(
            "INVALID_SERVER_URL",
            f"Server URL must start with http:// or https:// (got {url!r})",
            exit_code=ExitCode.USAGE,
        )
    return url


def load_config(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {"servers": {}}
    except (OSError, ValueError) as exc:
        raise CliError("INVALID_CONFIG", f"Cannot read the config file {path}: {exc}", exit_code=ExitCode.AUTH) from exc
    if not isinstance(data, dict) or not isinstance(data.get("servers", {}), dict):
        raise CliError(
            "INVALID_CONFIG", f"The config file {path} is not a registry-cli config", exit_code=ExitCode.AUTH
        )
    data.setdefault("servers", {})
    return data


def write_config(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # mkstemp creates the file 0600; os.replace swaps it in atomically, so no reader sees half a file.
    fd, temp_name = tempfile.mkstemp(prefix=".config-", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.write("\n")
        os.chmod(temp_name, 0o600)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def save_token(*, path: Path, server: str, token: str, make_default: bool = True) -> None:
    server = normalize_server(server)
    data = load_config(path)
    data["servers"][server] = {"token": token}
    if make_default or not data.get("default"):
        data["default"] = server
    write_config(path, data)


def remove_token(*, path: Path, server: str) -> bool:
    server = normalize_server(server)
    data = load_config(path)
    removed = data["servers"].pop(server, None) is not None
    if data.get("default") == server:
        data["default"] = next(iter(data["servers"]), None)
    if removed:
        write_config(path, data)
    return removed


def resolve_credentials(
    *, server_option: str | None, path: Path, env: Mapping[str, str] | None = None, require_token: bool = True
) -> Credentials:
    env = os.environ if env is None else env
    data = load_config(path)
    raw_server = server_option or env.get(SERVER_ENV) or data.get("default")
    if not raw_server:
        raise CliError(
            "NOT_CONFIGURED",
            f"No server configured: pass --server, set {SERVER_ENV}, or run `registry-cli login --server URL`",
            exit_code=ExitCode.AUTH,
        )
    server = normalize_server(raw_server)
    if env.get(TOKEN_ENV):
        return Credentials(server=server, token=env[TOKEN_ENV].strip(), token_source="env")
    stored = data["servers"].get(server, {}).get("token")
    if stored:
        return Credentials(server=server, token=stored, token_source="config")
    if require_token:
        raise CliError(
            "NOT_LOGGED_IN",
            f"No token for {server}: set {TOKEN_ENV} or run `registry-cli login --server {server}`",
            exit_code=ExitCode.AUTH,
            details={"hint": token_hint(server)},
        )
    return Credentials(server=server, token=None, token_source="none")
