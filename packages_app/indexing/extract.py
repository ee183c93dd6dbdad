"""What an archive contains, as index entry drafts: pure functions, no database.

Entries form a tree through ``parent``: a model's sources are its children, a source's dimensions,
measures, renames, views and joins are the source's children, a view's nested views (``nest``) and the
fields its stages define (``field``) are the view's children (a query's, a run's or a nested view's
likewise), a notebook's cells are the notebook's children.

A file yields at most ``MAX_ENTRIES_PER_FILE`` entries and a version ``MAX_ENTRIES_PER_VERSION``. Past a
cap, extraction keeps the entries it has, stops reading that file (or, for the version cap, the archive),
and says so in the ``truncated`` key of the ``data`` of the file's ``file`` entry and of its model or
notebook entry: ``{"scope": "file" | "version", "limit": N, "message": "..."}``.
"""

from __future__ import annotations

import hashlib
import logging
import posixpath
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO

from packages_app.archives import MANIFEST_NAME, ArchiveLimits, iter_archive, parse_manifest
from packages_app.indexing.malloy import MalloyOutline, parse_malloy, parse_notebook
from packages_app.models import IndexKind

logger = logging.getLogger(__name__)

# Text files are parsed only up to this size; bigger ones are listed (path, size, sha256) but not read.
TEXT_MAX_BYTES = 4 * 1024 * 1024
DATA_EXTENSIONS = {".csv", ".parquet", ".xlsx", ".json", ".ndjson"}
TEXT_EXTENSIONS = {".malloy", ".malloynb", ".csv", ".html"}
MAX_NAME = 400
MAX_DOC = 10_000
# Caps on the entries one file, and one version, may produce (each is a database row).
MAX_ENTRIES_PER_FILE = 10_000
MAX_ENTRIES_PER_VERSION = 100_000
SYMBOL_KINDS = {
    "import": IndexKind.IMPORT,
    "export": IndexKind.EXPORT,
    "source": IndexKind.SOURCE,
    "dimension": IndexKind.DIMENSION,
    "measure": IndexKind.MEASURE,
    "view": IndexKind.VIEW,
    "join": IndexKind.JOIN,
    "query": IndexKind.QUERY,
    "run": IndexKind.RUN,
    "given": IndexKind.GIVEN,
    "nest": IndexKind.NEST,
    "field": IndexKind.FIELD,
    "rename": IndexKind.RENAME,
}


@dataclass(eq=False)
class EntryDraft:
    kind: str
    name: str
    path: str = ""
    line: int | None = None
    parent: EntryDraft | None = None
    doc: str = ""
    data: dict = field(default_factory=dict)

    @property
    def depth(self) -> int:
        depth, node = 0, self.parent
        while node is not None:
            depth, node = depth + 1, node.parent
        return depth


def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


class _FileFull(Exception):
    """The file being read has produced ``MAX_ENTRIES_PER_FILE`` entries and has more."""


class _VersionFull(Exception):
    """The version has produced ``MAX_ENTRIES_PER_VERSION`` entries and has more."""


class _Collector:
    def __init__(self) -> None:
        self.entries: list[EntryDraft] = []
        self.manifest: dict | None = None
        self.paths: set[str] = set()
        self.manifest_draft: EntryDraft | None = None
        # The file being read: its cap, its entries so far, and the entries that report its truncation.
        self.file_limit = MAX_ENTRIES_PER_FILE
        self.file_entries = 0
        self.file_markers: list[EntryDraft] = []
        self.full = False  # the version's cap was reached: nothing more is indexed

    def room(self) -> int:
        """How many more entries fit: in the file being read, and in the version."""
        return min(self.file_limit - self.file_entries, MAX_ENTRIES_PER_VERSION - len(self.entries))

    def check_room(self) -> None:
        if len(self.entries) >= MAX_ENTRIES_PER_VERSION:
            raise _VersionFull
        if self.file_entries >= self.file_limit:
            raise _FileFull

    def add(self, kind: str, name: str, **fields) -> EntryDraft:
        self.check_room()
        fields["doc"] = (fields.get("doc") or "")[:MAX_DOC]
        entry = EntryDraft(kind=kind, name=str(name)[:MAX_NAME], **fields)
        self.entries.append(entry)
        self.file_entries += 1
        return entry

    def truncated(self, *, scope: str, limit: int, message: str) -> None:
        """Say on the current file's entries (else the last entry) that indexing stopped there."""
        for entry in self.file_markers or self.entries[-1:]:
            entry.data["truncated"] = {"scope": scope, "limit": limit, "message": message}

    def outline(self, outline: MalloyOutline, *, path: str, parent: EntryDraft, line_offset: int = 0) -> None:
        drafts: dict[int, EntryDraft] = {}
        for symbol in outline.symbols:
            symbol_parent = drafts.get(id(symbol.parent), parent) if symbol.parent is not None else parent
            drafts[id(symbol)] = self.add(
                SYMBOL_KINDS[symbol.kind],
                symbol.name,
                path=path,
                line=symbol.line + line_offset,
                parent=symbol_parent,
                doc=symbol.doc,
                data=symbol.data,
            )
        if outline.truncated:  # the parse stopped at room(): there is more than fits
            self.check_room()
            raise _FileFull

    def file(self, path: str, size: int, sha256: str, text: bytes | None) -> None:
        """Index one file; past a cap, keep what fits and mark the truncation on the file's entries."""
        self.paths.add(path)
        self.file_limit, self.file_entries = MAX_ENTRIES_PER_FILE, 0
        try:
            # Should the version be full already, the previous file's entries tell it.
            self.file_markers = [self.add(IndexKind.FILE, path, path=path, data={"size": size, "sha256": sha256})]
            self.file_contents(path, size, text)
        except _FileFull:
            logger.warning("indexing keeps only the first %s entries of %s", MAX_ENTRIES_PER_FILE, path)
            self.truncated(
                scope="file",
                limit=MAX_ENTRIES_PER_FILE,
                message=f"more than {MAX_ENTRIES_PER_FILE} index entries in {path}: only the first "
                f"{MAX_ENTRIES_PER_FILE} are indexed",
            )
        except _VersionFull:
            self.version_full(path)

    def version_full(self, where: str) -> None:
        logger.warning("indexing stopped at %s entries for the version, in %s", MAX_ENTRIES_PER_VERSION, where)
        self.full = True
        self.truncated(
            scope="version",
            limit=MAX_ENTRIES_PER_VERSION,
            message=f"more than {MAX_ENTRIES_PER_VERSION} index entries in the version: only the first "
            f"{MAX_ENTRIES_PER_VERSION} are indexed; indexing stopped in {where}",
        )

    def file_contents(self, path: str, size: int, text: bytes | None) -> None:
        extension = posixpath.splitext(path)[1].lower()
        if path == MANIFEST_NAME:
            self.manifest = parse_manifest(text or b"")
            self.manifest_entry(path)
        elif extension == ".malloy" and text is not None:
            kind = IndexKind.DASHBOARD if path.startswith("dashboards/") else IndexKind.MODEL
            model = self.add(kind, path, path=path)
            self.file_markers.append(model)
            outline = parse_malloy(_decode(text), max_symbols=self.room())
            model.doc, model.data = outline.doc[:MAX_DOC], {"annotations": outline.annotations}
            self.outline(outline, path=path, parent=model)
        elif extension == ".malloynb" and text is not None:
            self.notebook(path, _decode(text))
        elif extension in DATA_EXTENSIONS:
            data = {"format": extension[1:], "size": size}
            if extension == ".csv" and text is not None:
                header = _decode(text).split("\n", 1)[0].strip()
                data["columns"] = [column.strip().strip('"') for column in header.split(",")] if header else []
            self.add(IndexKind.DATA, posixpath.basename(path), path=path, data=data)
        elif path.startswith("dashboards/"):
            self.add(IndexKind.DASHBOARD, path, path=path, data={"size": size})
        elif path.startswith("public/") and extension == ".html":
            self.add(IndexKind.APP, path, path=path, data={"size": size})

    def manifest_entry(self, path: str) -> None:
        manifest = self.manifest or {}
        description = manifest.get("description")
        kept = {
            key: manifest[key]
            for key in ("name", "description", "explores", "queryableSources", "dependencies")
            if key in manifest
        }
        self.manifest_draft = self.add(
            IndexKind.MANIFEST,
            MANIFEST_NAME,
            path=path,
            doc=description if isinstance(description, str) else "",
            data=kept,
        )

    def notebook(self, path: str, text: str) -> None:
        notebook = self.add(IndexKind.NOTEBOOK, path, path=path)
        self.file_markers.append(notebook)
        uses: dict[str, None] = {}  # ordered, and linear however many names there are
        try:
            self.cells(path, text, notebook, uses)
        finally:  # also when a cap stops the cells: the notebook lists what the indexed ones use
            notebook.data["uses"] = list(uses)

    def cells(self, path: str, text: str, notebook: EntryDraft, uses: dict[str, None]) -> None:
        for cell in parse_notebook(text, max_symbols=self.room()):
            data: dict = {"language": cell.language}
            if cell.outline is not None:
                data["uses"] = cell.outline.uses()
                data["imports"] = cell.outline.names("import")
            entry = self.add(
                IndexKind.CELL,
                f"{path} cell {cell.index}",
                path=path,
                line=cell.line,
                parent=notebook,
                doc=cell.text,
                data=data,
            )
            if cell.outline is not None:
                uses.update(dict.fromkeys(data["uses"]))
                self.outline(cell.outline, path=path, parent=entry, line_offset=cell.line)

    def components(self) -> None:
        components = (self.manifest or {}).get("components")
        if self.full or not isinstance(components, list):
            return
        # Components count toward the version's cap only; its truncation is told on the manifest.
        self.file_limit, self.file_entries = MAX_ENTRIES_PER_VERSION, 0
        self.file_markers = [self.manifest_draft] if self.manifest_draft is not None else []
        try:
            self.add_components(components)
        except _VersionFull:
            self.version_full(f"the components of {MANIFEST_NAME}")

    def add_components(self, components: list) -> None:
        for component in components:
            if not isinstance(component, dict) or not component.get("name"):
                continue
            path = component.get("path") if isinstance(component.get("path"), str) else ""
            doc = "\n".join(str(component.get(key) or "") for key in ("title", "description")).strip()
            self.add(
                IndexKind.COMPONENT,
                component["name"],
                path=path,
                doc=doc,
                data={
                    "type": component.get("type"),
                    "version": component.get("version"),
                    "id": component.get("id"),
                    "present": bool(path) and path in self.paths,
                },
            )


def _wants_text(path: str, size: int) -> bool:
    extension = posixpath.splitext(path)[1].lower()
    return size <= TEXT_MAX_BYTES and (path == MANIFEST_NAME or extension in TEXT_EXTENSIONS)


def extract_entries(fileobj: IO[bytes], *, limits: ArchiveLimits | None = None) -> list[EntryDraft]:
    """Every index entry of one archive, parents before children. Raises INVALID_ARCHIVE on unsafe input."""
    collector = _Collector()
    for member in iter_archive(fileobj, limits=limits):
        if collector.full:  # past the version's cap: nothing more is indexed
            break
        digest = hashlib.sha256()
        keep = _wants_text(member.path, member.size)
        parts: list[bytes] = []
        size = 0
        for chunk in member.chunks():
            digest.update(chunk)
            size += len(chunk)
            if keep:
                parts.append(chunk)
        collector.file(member.path, size, digest.hexdigest(), b"".join(parts) if keep else None)
    collector.components()
    return collector.entries


def by_depth(entries: Iterable[EntryDraft]) -> list[list[EntryDraft]]:
    """Entries grouped by tree depth, so each level can be inserted once its parents have ids."""
    levels: list[list[EntryDraft]] = []
    for entry in entries:
        depth = entry.depth
        while len(levels) <= depth:
            levels.append([])
        levels[depth].append(entry)
    return levels
