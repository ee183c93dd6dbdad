"""What an archive contains, as index entry drafts: pure functions, no database.

Entries form a tree through ``parent``: a model's sources are its children, a source's dimensions,
measures, views and joins are the source's children, a notebook's cells are the notebook's children.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO

from packages_app.archives import MANIFEST_NAME, ArchiveLimits, iter_archive, parse_manifest
from packages_app.malloy import MalloyOutline, parse_malloy, parse_notebook
from packages_app.models import IndexKind

# Text files are parsed only up to this size; bigger ones are listed (path, size, sha256) but not read.
TEXT_MAX_BYTES = 4 * 1024 * 1024
DATA_EXTENSIONS = {".csv", ".parquet", ".xlsx", ".json", ".ndjson"}
TEXT_EXTENSIONS = {".malloy", ".malloynb", ".csv", ".html"}
MAX_NAME = 400
MAX_DOC = 10_000
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


class _Collector:
    def __init__(self) -> None:
        self.entries: list[EntryDraft] = []
        self.manifest: dict | None = None
        self.paths: set[str] = set()

    def add(self, kind: str, name: str, **fields) -> EntryDraft:
        fields["doc"] = (fields.get("doc") or "")[:MAX_DOC]
        entry = EntryDraft(kind=kind, name=str(name)[:MAX_NAME], **fields)
        self.entries.append(entry)
        return entry

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

    def file(self, path: str, size: int, sha256: str, text: bytes | None) -> None:
        self.paths.add(path)
        self.add(IndexKind.FILE, path, path=path, data={"size": size, "sha256": sha256})
        extension = posixpath.splitext(path)[1].lower()
        if path == MANIFEST_NAME:
            self.manifest = parse_manifest(text or b"")
            self.manifest_entry(path)
        elif extension == ".malloy" and text is not None:
            outline = parse_malloy(_decode(text))
            kind = IndexKind.DASHBOARD if path.startswith("dashboards/") else IndexKind.MODEL
            model = self.add(kind, path, path=path, doc=outline.doc, data={"annotations": outline.annotations})
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
        self.add(
            IndexKind.MANIFEST,
            MANIFEST_NAME,
            path=path,
            doc=description if isinstance(description, str) else "",
            data=kept,
        )

    def notebook(self, path: str, text: str) -> None:
        notebook = self.add(IndexKind.NOTEBOOK, path, path=path)
        uses: list[str] = []
        for cell in parse_notebook(text):
            data: dict = {"language": cell.language}
            if cell.outline is not None:
                data["uses"] = cell.outline.uses()
                data["imports"] = cell.outline.names("import")
                uses.extend(name for name in data["uses"] if name not in uses)
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
                self.outline(cell.outline, path=path, parent=entry, line_offset=cell.line)
        notebook.data["uses"] = uses

    def components(self) -> None:
        components = (self.manifest or {}).get("components")
        if not isinstance(components, list):
            return
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
