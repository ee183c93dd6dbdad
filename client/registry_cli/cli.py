"""The ``registry-cli`` commands (click). Each command parses, calls the API module, and prints.

Human output goes to stdout, progress and retry notices to stderr; with ``--json`` stdout carries one
JSON document (the server's answer, or ``{"error": {...}}`` on failure). Exit codes: see errors.ExitCode.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from registry_cli import __version__, config, packing, render
from registry_cli.api import RegistryClient, path_of
from registry_cli.errors import CliError, ExitCode, render_error
from registry_cli.progress import human_bytes, make_progress

NAME = re.compile(r"^[a-zA-Z0-9_-]+$")
VERSION_IN_PATH = re.compile(r"^[a-zA-Z0-9_.-]+$")
STRICT_VERSION = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
V0 = "/api/v0"


@dataclass
class State:
    server: str | None = None
    json: bool = False
    quiet: bool = False
    retries: int = 4
    timeout: float = 60.0
    config_file: Path = field(default_factory=config.config_path)

    def client(self, *, require_token: bool = True) -> RegistryClient:
        credentials = config.resolve_credentials(
            server_option=self.server, path=self.config_file, require_token=require_token
        )
        return RegistryClient(
            server=credentials.server,
            token=credentials.token,
            retries=self.retries,
            timeout=self.timeout,
            on_retry=self.notice,
        )

    def notice(self, message: str) -> None:
        if not self.quiet:
            click.echo(message, err=True)

    def emit(self, document: Any, lines: list[str] | None = None) -> None:
        """``document`` as JSON in ``--json`` mode, else the human ``lines``."""
        if self.json:
            click.echo(json.dumps(document, indent=2, sort_keys=True))
        else:
            for line in lines or []:
                click.echo(line)


# -- options every command takes (before or after the command name) ---------------------------------


def _store(attribute: str):
    def callback(ctx: click.Context, _param: click.Parameter, value: Any) -> None:
        if value is not None and value is not False:
            setattr(ctx.ensure_object(State), attribute, value)

    return callback


def common_options(function):
    for option in reversed(
        [
            click.option(
                "--server",
                metavar="URL",
                expose_value=False,
                callback=_store("server"),
                help="Registry URL (default: $REGISTRY_URL, then the one you logged in to).",
            ),
            click.option(
                "--json",
                "json_output",
                is_flag=True,
                default=None,
                expose_value=False,
                callback=_store("json"),
                help="Print one JSON document on stdout.",
            ),
            click.option(
                "--quiet",
                "-q",
                is_flag=True,
                default=None,
                expose_value=False,
                callback=_store("quiet"),
                help="No progress or retry notices.",
            ),
            click.option(
                "--retries",
                type=click.IntRange(0, 20),
                expose_value=False,
                callback=_store("retries"),
                help="Retries after network failures (default 4).",
            ),
            click.option(
                "--timeout",
                type=click.FloatRange(min=0.1),
                expose_value=False,
                callback=_store("timeout"),
                help="Seconds to wait for the server before a retry (default 60).",
            ),
        ]
    ):
        function = option(function)
    return function


# -- argument types ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PackageRef:
    organization: str
    project: str
    package: str
    version: str | None = None

    @property
    def path(self) -> str:
        return V0 + path_of("organizations", self.organization, "projects", self.project, "packages", self.package)

    def version_path(self, version: str, *tail: str) -> str:
        return self.path + path_of("versions", version, *tail)

    def label(self, version: str | None = None) -> str:
        version = version or self.version
        base = f"{self.organization}/{self.project}/{self.package}"
        return f"{base}@{version}" if version else base


class PackageRefType(click.ParamType):
    name = "ORG/PROJECT/PACKAGE[@VERSION]"

    def convert(self, value, param, ctx):
        if isinstance(value, PackageRef):
            return value
        reference, _, version = value.partition("@")
        parts = reference.split("/")
        if len(parts) != 3 or not all(NAME.match(part) for part in parts):
            self.fail(f"{value!r} is not ORG/PROJECT/PACKAGE[@VERSION] (names use letters, digits, _ and -)")
        if version and not VERSION_IN_PATH.match(version):
            self.fail(f"{version!r} is not a version")
        return PackageRef(*parts, version=version or None)


class ProjectRefType(click.ParamType):
    name = "ORG/PROJECT"

    def convert(self, value, param, ctx):
        parts = value.split("/")
        if len(parts) != 2 or not all(NAME.match(part) for part in parts):
            self.fail(f"{value!r} is not ORG/PROJECT (names use letters, digits, _ and -)")
        return tuple(parts)


def validate_version(value: str | None) -> str | None:
    """The one local check of a version to publish (``publish`` and ``release``): strict X.Y.Z."""
    if value is not None and not STRICT_VERSION.match(value):
        raise CliError(
            "INVALID_VERSION",
            f"Version must be MAJOR.MINOR.PATCH with no leading zeros (got {value!r})",
            exit_code=ExitCode.USAGE,
            details={"provided": value, "expected": "X.Y.Z"},
        )
    return value


def _resolve_version(client: RegistryClient, ref: PackageRef) -> str:
    if ref.version:
        return ref.version
    latest = (client.get(ref.path) or {}).get("latestVersion")
    if not latest:
        raise CliError(
            "NO_VERSION",
            f"{ref.label()} has no unarchived version; name one with @VERSION",
            exit_code=ExitCode.NOT_FOUND,
        )
    return latest


# -- the commands --------------------------------------------------------------------------------------


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="registry-cli")
@common_options
def cli() -> None:
    """Publish, inspect and resolve registry packages.

    Exit codes: 0 ok, 1 unexpected, 2 usage, 3 auth/config, 4 not found, 5 conflict, 6 refused
    (400/413/422), 7 network/server unavailable, 8 digest mismatch, 9 indexing failed,
    10 bad package directory, 11 wait timed out.
    """


@cli.command()
@common_options
@click.option("--token-stdin", is_flag=True, help="Read the token from stdin instead of prompting.")
@click.option("--no-verify", is_flag=True, help="Store the token without checking it against the server.")
@click.pass_obj
def login(state: State, token_stdin: bool, no_verify: bool) -> None:
    """Store a token for a server in the per-user config file (mode 0600).

    \b
    No token yet? On the server, run
      python manage.py issue_token USERNAME [--name NAME] [--read-only] [--expires-in-days N]
    (it prints the secret once), or ask staff to add one in the admin:
      SERVER/admin/registry/apitoken/add/  ("Add API token")

    In CI, skip this and set REGISTRY_URL and REGISTRY_TOKEN instead.
    """
    server = config.normalize_server(state.server or click.prompt("Server URL"))
    if token_stdin:
        token = sys.stdin.readline().strip()
    else:
        state.notice(f"No token yet? {config.token_hint(server)}.")
        token = click.prompt("Token", hide_input=True).strip()
    if not token:
        raise CliError(
            "NO_TOKEN", "No token given", exit_code=ExitCode.USAGE, details={"hint": config.token_hint(server)}
        )
    if not no_verify:
        with RegistryClient(
            server=server, token=token, retries=state.retries, timeout=state.timeout, on_retry=state.notice
        ) as client:
            try:
                client.request_json("GET", V0 + "/organizations", params={"limit": 1})
            except CliError as error:
                if error.status == 401:  # a token the server does not know (mistyped, revoked, expired)
                    error.details.setdefault("hint", config.token_hint(server))
                raise
    config.save_token(path=state.config_file, server=server, token=token)
    state.emit(
        {"server": server, "configFile": str(state.config_file), "verified": not no_verify},
        [f"Logged in to {server} (token stored in {state.config_file})"],
    )


@cli.command()
@common_options
@click.pass_obj
def logout(state: State) -> None:
    """Forget the stored token for a server."""
    credentials = config.resolve_credentials(server_option=state.server, path=state.config_file, require_token=False)
    removed = config.remove_token(path=state.config_file, server=credentials.server)
    state.emit(
        {"server": credentials.server, "removed": removed},
        [f"{'Removed' if removed else 'There was no'} stored token for {credentials.server}"],
    )


def _size(size: int) -> str:
    """A size as people read it, with the exact count: ``1.4 KiB (1432 bytes)``."""
    return human_bytes(size) if size < 1024 else f"{human_bytes(size)} ({size} bytes)"


def _archive_summary(archive: packing.PackedArchive) -> dict[str, Any]:
    return {
        "path": str(archive.path),
        "size": archive.size,
        "sha256": archive.sha256,
        "md5": archive.md5,
        "files": list(archive.files),
    }


@cli.command()
@common_options
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Archive to write.")
@click.pass_obj
def pack(state: State, directory: Path, output: Path | None) -> None:
    """Build the archive DIRECTORY makes (honours .registryignore; same files, same bytes)."""
    manifest = packing.read_manifest(directory)
    stem = manifest.get("name") if isinstance(manifest.get("name"), str) else directory.resolve().name
    if isinstance(manifest.get("version"), str):
        stem = f"{stem}-{manifest['version']}"
    archive = packing.pack(directory, output=output or Path(f"{stem}.zip"))
    state.emit(
        _archive_summary(archive),
        [
            f"Packed {len(archive.files)} files into {archive.path} ({_size(archive.size)})",
            f"sha256 {archive.sha256}",
            f"md5    {archive.md5}",
        ],
    )


def _wait_for_index(state: State, client: RegistryClient, ref: PackageRef, version: str, timeout: float) -> dict:
    deadline, delay, last_status = time.monotonic() + timeout, 0.5, None
    while True:
        detail = client.get(ref.version_path(version))
        status = detail.get("indexStatus", "unknown")
        if status != last_status:
            state.notice(f"index status: {status}")
            last_status = status
        if status == "indexed":
            return detail
        if status == "failed":
            # the version detail carries the reason as indexError
            reason = detail.get("indexError") or "the server gives no reason; reindex or ask staff"
            raise CliError(
                "INDEXING_FAILED",
                f"Indexing {ref.label(version)} failed ({reason})",
                exit_code=ExitCode.INDEX_FAILED,
                details={"version": version},
            )
        if time.monotonic() + delay > deadline:
            raise CliError(
                "WAIT_TIMEOUT",
                f"{ref.label(version)} is still '{status}' after {timeout:.0f} s",
                exit_code=ExitCode.TIMEOUT,
                details={"indexStatus": status},
            )
        time.sleep(delay)
        delay = min(delay * 2, 5.0)


@cli.command()
@common_options
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--to",
    "target",
    required=True,
    metavar="ORG/PROJECT[/PACKAGE]",
    help="Where to publish; PACKAGE defaults to publisher.json's name, then the directory name.",
)
@click.option("--version", "version", help="Version to publish (default: publisher.json's version).")
@click.option("--wait", is_flag=True, help="Wait for indexing; fail (exit 9) if it fails.")
@click.option("--wait-timeout", type=click.FloatRange(min=1), default=300, show_default=True, help="Seconds.")
@click.pass_obj
def publish(state: State, directory: Path, target: str, version: str | None, wait: bool, wait_timeout: float) -> None:
    """Pack DIRECTORY and upload it as a new version (safe to re-run: same bytes are a no-op)."""
    manifest = packing.read_manifest(directory)
    declared = manifest.get("version")
    version = validate_version(version or (declared if isinstance(declared, str) else None))
    if version is None:
        raise CliError("NO_VERSION", 'Give --version X.Y.Z or a "version" in publisher.json', exit_code=ExitCode.USAGE)
    parts = target.split("/")
    if len(parts) not in (2, 3) or not all(NAME.match(part) for part in parts):
        raise CliError(
            "INVALID_TARGET",
            f"--to must be ORG/PROJECT[/PACKAGE], names of letters, digits, _ and - (got {target!r})",
            exit_code=ExitCode.USAGE,
        )
    if len(parts) == 2:
        name = manifest.get("name") if isinstance(manifest.get("name"), str) else directory.resolve().name
        if not NAME.match(name):
            raise CliError(
                "INVALID_PACKAGE_NAME",
                f"Package name {name!r} (from publisher.json or the directory) is not letters, digits, _ and -; "
                "name the package in --to ORG/PROJECT/PACKAGE",
                exit_code=ExitCode.USAGE,
            )
        parts.append(name)
    ref = PackageRef(*parts, version=version)
    with tempfile.TemporaryDirectory(prefix="registry-cli-") as workdir, state.client() as client:
        archive = packing.pack(directory, output=Path(workdir) / f"{ref.package}-{version}.zip")
        progress = make_progress(description=f"upload {ref.label()}", total=archive.size, enabled=not state.quiet)
        package_part: dict[str, Any] = {"name": ref.package}
        if isinstance(manifest.get("description"), str):
            package_part["description"] = manifest["description"]
        try:
            status, body = client.upload_package(
                path=ref.path,
                archive=archive.path,
                md5=archive.md5,
                package=package_part,
                version={"id": version},
                progress=progress,
            )
        finally:
            progress.finish()
        result: dict[str, Any] = {
            "package": body,
            "version": version,
            "created": status == 201,
            "archive": {key: value for key, value in _archive_summary(archive).items() if key != "path"},
        }
        lines = [
            f"Published {ref.label()}" if status == 201 else f"{ref.label()} was already published with these bytes",
            f"sha256 {archive.sha256}",
        ]
        if wait:
            detail = _wait_for_index(state, client, ref, version, wait_timeout)
            result["indexStatus"] = detail.get("indexStatus")
            lines.append(f"Indexed {ref.label()}")
    state.emit(result, lines)


VERSION_KEYS = ("id", "archiveStatus", "indexStatus", "indexError", "sha256", "size", "createdAt", "updatedAt")
PACKAGE_KEYS = (
    "name",
    "description",
    "latestVersion",
    "indexStatus",
    "replicationCount",
    "resourceIdentifier",
    "tags",
    "createdAt",
    "updatedAt",
)


@cli.command()
@common_options
@click.argument("ref", type=PackageRefType())
@click.pass_obj
def info(state: State, ref: PackageRef) -> None:
    """Show a version (@VERSION) or a package and its latest version: digest, size and dependencies.

    With --json: the version detail with its "dependencies" list; for a package, the package with the
    latest version's detail (and dependencies) under "latest" (null when every version is archived).
    """
    with state.client() as client:
        if ref.version:
            detail = _version_with_dependencies(client, ref, ref.version)
            state.emit(detail, [ref.label(), *_version_lines(detail)])
            return
        package = client.get(ref.path)
        latest = package.get("latestVersion")
        package["latest"] = _version_with_dependencies(client, ref, latest) if latest else None
    lines = render.fields(package, PACKAGE_KEYS)
    if package["latest"]:
        lines += ["", f"latest version {latest}:", *("  " + line for line in _version_lines(package["latest"]))]
    state.emit(package, lines)


def _version_with_dependencies(client: RegistryClient, ref: PackageRef, version: str) -> dict[str, Any]:
    detail = client.get(ref.version_path(version))
    detail["dependencies"] = client.get_all_v0(ref.version_path(version, "dependencies"))
    return detail


def _version_lines(detail: dict[str, Any]) -> list[str]:
    """A version's fields (archive status in the admin's words, size in binary units) and its dependencies."""
    shown = {**detail, "archiveStatus": render.archive_label(detail.get("archiveStatus"))}
    if isinstance(detail.get("size"), int):
        shown["size"] = _size(detail["size"])
    dependencies = detail.get("dependencies") or []
    if not dependencies:
        return [*render.fields(shown, VERSION_KEYS), "dependencies: none"]
    return [
        *render.fields(shown, VERSION_KEYS),
        "dependencies:",
        *("  " + line for line in _dependency_table(dependencies)),
    ]


def _dependency_table(items: list[dict[str, Any]]) -> list[str]:
    """What a version declares (reference, range) and what its lock chose."""
    rows = [(d.get("reference"), d.get("range"), _package_label(d, "resolvedVersion")) for d in items]
    return render.table(rows, ("REFERENCE", "RANGE", "LOCKED"))


@cli.command()
@common_options
@click.argument("ref", type=PackageRefType())
@click.pass_obj
def versions(state: State, ref: PackageRef) -> None:
    """List a package's versions."""
    with state.client() as client:
        items = client.get_all_v0(ref.path + "/versions")
    rows = [
        (v.get("id"), render.archive_label(v.get("archiveStatus")), v.get("indexStatus"), v.get("createdAt"))
        for v in items
    ]
    state.emit(items, render.table(rows, ("VERSION", "ARCHIVE", "INDEX", "CREATED")) if rows else ["No versions"])


@cli.command()
@common_options
@click.argument("ref", type=PackageRefType())
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="File to write.")
@click.pass_obj
def download(state: State, ref: PackageRef, output: Path | None) -> None:
    """Download a version's archive and verify its sha256 (latest version without @VERSION)."""
    with state.client() as client:
        version = _resolve_version(client, ref)
        destination = output or Path(f"{ref.package}-{version}.zip")
        result = client.download(
            path=ref.version_path(version, "download"),
            destination=destination,
            progress_factory=lambda total: make_progress(
                description=f"download {ref.label(version)}", total=total, enabled=not state.quiet
            ),
        )
    verified = result.expected_sha256 is not None
    state.emit(
        {"path": str(result.path), "size": result.size, "sha256": result.sha256, "verified": verified},
        [
            f"Downloaded {ref.label(version)} to {result.path} ({_size(result.size)})",
            f"sha256 {result.sha256} "
            + ("(matches the server's digest)" if verified else "(NOT verified: the server sent no digest)"),
        ],
    )


def _set_archive_status(state: State, ref: PackageRef, archive_status: str) -> None:
    if not ref.version:
        raise click.UsageError("name the version: ORG/PROJECT/PACKAGE@VERSION")
    with state.client() as client:
        detail = client.request_json("PATCH", ref.version_path(ref.version), body={"archiveStatus": archive_status})
    state.emit(detail, [f"{ref.label()} is now {render.archive_label(detail.get('archiveStatus', archive_status))}"])


@cli.command()
@common_options
@click.argument("ref", type=PackageRefType())
@click.pass_obj
def archive(state: State, ref: PackageRef) -> None:
    """Archive a version (it stays downloadable but is no longer chosen for new resolutions)."""
    _set_archive_status(state, ref, "archive")


@cli.command()
@common_options
@click.argument("ref", type=PackageRefType())
@click.pass_obj
def unarchive(state: State, ref: PackageRef) -> None:
    """Unarchive a version."""
    _set_archive_status(state, ref, "unarchive")


def _graph_tree(graph: dict[str, Any]) -> list[str]:
    """The locked graph ``{root, nodes, edges}`` as an indented tree, each edge showing its range."""
    children: dict[str, list[tuple[str, str]]] = {}
    for edge in graph.get("edges") or []:
        target = edge["to"]
        children.setdefault(edge["from"], []).append((target, f"{target}  ({edge['range']})"))
    for siblings in children.values():
        siblings.sort()
    return list(render.tree_lines(graph["root"], children))


def _package_label(item: dict[str, Any], version_key: str = "version") -> str:
    label = "/".join(str(item.get(key, "?")) for key in ("organizationName", "projectName", "packageName"))
    return f"{label}@{item[version_key]}" if item.get(version_key) else label


@cli.command()
@common_options
@click.argument("ref", type=PackageRefType())
@click.option("--tree", is_flag=True, help="Show the whole locked graph as an indented tree.")
@click.pass_obj
def deps(state: State, ref: PackageRef, tree: bool) -> None:
    """Show a version's dependencies: those it declares, or its whole locked graph with --tree."""
    with state.client() as client:
        version = _resolve_version(client, ref)
        if tree:
            graph = client.get(ref.version_path(version, "graph"))
            state.emit(graph, _graph_tree(graph))
            return
        items = client.get_all_v0(ref.version_path(version, "dependencies"))
    state.emit(items, _dependency_table(items) if items else [f"{ref.label(version)} has no dependencies"])


@cli.command()
@common_options
@click.argument("ref", type=PackageRefType())
@click.option("--direct", is_flag=True, help="Only those that declare the dependency themselves.")
@click.pass_obj
def dependents(state: State, ref: PackageRef, direct: bool) -> None:
    """List the versions whose lock includes a version (or, without @VERSION, any version of the package)."""
    path = ref.version_path(ref.version, "dependents") if ref.version else ref.path + "/dependents"
    with state.client() as client:
        items = client.get_all_v0(path, direct="true" if direct else None)
    rows = [
        (_package_label(d), "direct" if d.get("direct") else "indirect", render.archive_label(d.get("archiveStatus")))
        for d in items
    ]
    state.emit(
        items,
        render.table(rows, ("DEPENDENT", "HOW", "ARCHIVE")) if rows else [f"Nothing depends on {ref.label()}"],
    )


@cli.command()
@common_options
@click.argument("query")
@click.option("--kind", help="Only these kinds, comma-separated (package, model, source, view, query, ...).")
@click.option("--limit", type=click.IntRange(1, 100), default=20, show_default=True, help="At most this many.")
@click.pass_obj
def search(state: State, query: str, kind: str | None, limit: int) -> None:
    """Search the packages and index entries you may read, best matches first."""
    with state.client() as client:
        items = client.get(V0 + "/search", q=query, kind=kind, limit=limit)
    rows = []
    for item in items:
        where = item.get("path") or ""
        if where and item.get("line"):
            where = f"{where}:{item['line']}"
        package = "/".join(str(item.get(key, "?")) for key in ("organizationName", "projectName", "packageName"))
        version = item.get("version")
        rows.append((item.get("kind"), item.get("name"), f"{package}@{version}" if version else package, where))
    state.emit(items, render.table(rows, ("KIND", "NAME", "PACKAGE", "WHERE")) if rows else ["No matches"])


def _v1_project_path(project: tuple[str, str], *tail: str) -> str:
    return "/v1" + path_of("organizations", project[0], "projects", project[1], *tail)


@cli.command()
@common_options
@click.argument("project", type=ProjectRefType())
@click.option("--status", type=click.Choice(["draft", "modified", "published", "deleted"]), help="Only this status.")
@click.pass_obj
def components(state: State, project: tuple[str, str], status: str | None) -> None:
    """List a project's components (Metabind-style)."""
    items: list[dict] = []
    with state.client() as client:
        page = 1
        while True:
            body = client.get(_v1_project_path(project, "components"), page=page, limit=100, status=status)
            items.extend(body.get("data") or [])
            pages = (body.get("pagination") or {}).get("pages") or 1
            if page >= pages:
                break
            page += 1
    rows = [
        (c.get("name"), c.get("type"), c.get("status"), c.get("version"), c.get("lastPublishedVersion")) for c in items
    ]
    state.emit(
        items,
        render.table(rows, ("NAME", "TYPE", "STATUS", "VERSION", "LAST PUBLISHED")) if rows else ["No components"],
    )


@cli.command()
@common_options
@click.argument("project", type=ProjectRefType())
@click.option("--version", "version", required=True, help="The package version to create, X.Y.Z.")
@click.option("--description", default=None, help="Package description.")
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable).")
@click.pass_obj
def release(state: State, project: tuple[str, str], version: str, description: str | None, tags: tuple[str, ...]):
    """Publish a project's draft and modified components as a new package version; print the report."""
    validate_version(version)
    metadata: dict[str, Any] = {}
    if description is not None:
        metadata["description"] = description
    if tags:
        metadata["tags"] = list(tags)
    with state.client() as client:
        # Not idempotent (a second call is VERSION_EXISTS), so only retried if the request never left.
        result = client.request_json(
            "POST",
            _v1_project_path(project, "packages"),
            body={"version": version, "metadata": metadata},
            idempotent=False,
        )
    state.emit(result, [f"Released {project[0]}/{project[1]}@{version}", *render.validation_report(result)])


def main(argv: list[str] | None = None) -> None:
    state = State()
    try:
        cli.main(args=argv, prog_name="registry-cli", obj=state, standalone_mode=False)
    except CliError as error:
        if state.json:
            click.echo(json.dumps(error.as_json(), indent=2, sort_keys=True))
        else:
            for line in render_error(error):
                click.echo(line, err=True)
        sys.exit(int(error.exit_code))
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.Abort:
        click.echo("Aborted", err=True)
        sys.exit(int(ExitCode.UNEXPECTED))
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(0)
