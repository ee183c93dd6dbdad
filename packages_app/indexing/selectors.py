"""Reads over the index: a version's contents and search across what the caller may read."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Case, F, FloatField, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Cast

from packages_app.models import IndexEntry, IndexKind, Package, Version

SEARCH_MAX_QUERY = 200
# Files are listed by their own kinds (model, data, notebook...), so raw file rows would only repeat them.
SEARCH_EXCLUDED_KINDS = [IndexKind.FILE]


def version_contents(version: Version, *, kinds: list[str] | None = None, path: str | None = None) -> QuerySet:
    """A version's entries in file and line order; ``path`` is a file path or a folder ending in ``/``."""
    # Whole-file entries (no line) first on every database: PostgreSQL would sort NULL lines last.
    entries = IndexEntry.objects.filter(version=version).order_by("path", F("line").asc(nulls_first=True), "id")
    if kinds:
        entries = entries.filter(kind__in=kinds)
    if path:
        entries = entries.filter(path__startswith=path) if path.endswith("/") else entries.filter(path=path)
    return entries


def _uses_postgres() -> bool:
    return connection.vendor == "postgresql"


def _name_rank(q: str) -> Case:
    """Name matches rank above any doc-text match (whose rank stays below 1)."""
    return Case(
        When(name__iexact=q, then=Value(4.0)),
        When(name__istartswith=q, then=Value(3.0)),
        When(name__icontains=q, then=Value(2.0)),
        default=Value(0.0),
        output_field=FloatField(),
    )


def _text_match(q: str, text_field: str):
    """(filter, rank) for doc text: full-text search on PostgreSQL, a substring match elsewhere."""
    if _uses_postgres():
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        query = SearchQuery(q, search_type="websearch", config="english")
        vector = SearchVector(text_field, config="english")
        # Normalization 32 maps the rank into [0, 1): doc matches order among themselves, below names.
        rank = Cast(SearchRank(vector, query, normalization=32), FloatField())
        return Q(_text_vector=query), vector, rank
    return Q(**{f"{text_field}__icontains": q}), None, Value(0.5, output_field=FloatField())


def _ranked(queryset: QuerySet, *, q: str, text_field: str, result_type: str) -> QuerySet:
    text_filter, vector, text_rank = _text_match(q, text_field)
    if vector is not None:
        queryset = queryset.annotate(_text_vector=vector)
    name_match = Q(name__icontains=q)
    return (
        queryset.filter(name_match | text_filter)
        .annotate(
            result_type=Value(result_type),
            rank=_name_rank(q) + Case(When(text_filter, then=text_rank), default=Value(0.0), output_field=FloatField()),
            sort_name=F("name"),
            object_id=Cast("pk", IntegerField()),
        )
        .values("result_type", "object_id", "rank", "sort_name")
        .order_by()  # a UNION member may not carry the models' default ordering
    )


@dataclass
class SearchHit:
    result_type: str  # "package" | "entry"
    rank: float
    package: Package
    entry: IndexEntry | None = None


def search_rows(*, user, q: str, kinds: list[str] | None = None) -> QuerySet:
    """One ranked row per matching package and index entry the user may read: a UNION, so one query
    pages both. Entries come from each package's latest version only, so versions do not repeat."""
    packages = Package.objects.visible_to(user)
    latest_versions = packages.with_latest().values("latest_version_id")
    entries = IndexEntry.objects.filter(version_id__in=latest_versions).exclude(kind__in=SEARCH_EXCLUDED_KINDS)
    if kinds:
        entries = entries.filter(kind__in=kinds)
    entry_rows = _ranked(entries, q=q, text_field="doc", result_type="entry")
    if kinds and "package" not in kinds:
        return entry_rows.order_by("-rank", "sort_name", "object_id")
    package_rows = _ranked(packages, q=q, text_field="description", result_type="package")
    return package_rows.union(entry_rows, all=True).order_by("-rank", "sort_name", "result_type", "object_id")


def hydrate(rows: list[dict]) -> list[SearchHit]:
    """Turn a page of ranked rows into hits, with two queries whatever the page size."""
    package_ids = [row["object_id"] for row in rows if row["result_type"] == "package"]
    entry_ids = [row["object_id"] for row in rows if row["result_type"] == "entry"]
    packages = {
        package.pk: package
        for package in Package.objects.filter(pk__in=package_ids).select_related("project__organization").with_latest()
    }
    entries = {
        entry.pk: entry
        for entry in IndexEntry.objects.filter(pk__in=entry_ids).select_related(
            "version__package__project__organization", "parent"
        )
    }
    hits = []
    for row in rows:
        if row["result_type"] == "package" and row["object_id"] in packages:
            hits.append(SearchHit("package", row["rank"], packages[row["object_id"]]))
        elif row["result_type"] == "entry" and row["object_id"] in entries:
            entry = entries[row["object_id"]]
            hits.append(SearchHit("entry", row["rank"], entry.version.package, entry))
    return hits


__all__ = ["SEARCH_MAX_QUERY", "SearchHit", "hydrate", "search_rows", "version_contents"]
