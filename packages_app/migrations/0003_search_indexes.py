"""GIN indexes for search on PostgreSQL: full-text on descriptions and docs, trigrams on names.

Search matches ``name`` by substring (Django's ``icontains``: ``UPPER(name::text) LIKE UPPER('%q%')``) or
doc text by full-text search (``to_tsvector('english', COALESCE(doc, ''))``). Without these indexes
both were computed for every row on every search. Each index is on the very expression the query
uses, so the planner can match it. Other databases search by substring and get nothing here.

The trigram indexes need the ``pg_trgm`` extension (trusted since PostgreSQL 13: a database owner may
create it). Where it cannot be created the full-text indexes are still made, and a warning says so.

The indexes are built ``CONCURRENTLY`` (so the migration is not atomic): on a registry already holding
millions of index entries, publishing and indexing go on while they build. An index a failed build left
INVALID is dropped and built again on the next run.
"""

import logging

from django.db import migrations, transaction

logger = logging.getLogger(__name__)

FULL_TEXT = {
    "package_description_fts": ("packages_app_package", "description"),
    "indexentry_doc_fts": ("packages_app_indexentry", "doc"),
}
TRIGRAM = {
    "package_name_trgm": ("packages_app_package", "name"),
    "indexentry_name_trgm": ("packages_app_indexentry", "name"),
}


def _build(schema_editor, index: str, table: str, expression: str) -> None:
    quote = schema_editor.quote_name
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT NOT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = %s",
            [index],
        )
        row = cursor.fetchone()
    if row is not None and row[0]:  # left INVALID by a build that failed: start again
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {quote(index)}")
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {quote(index)} ON {quote(table)} USING gin ({expression})"
    )


def create_search_indexes(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    for index, (table, column) in FULL_TEXT.items():
        _build(schema_editor, index, table, f"to_tsvector('english'::regconfig, COALESCE({quote(column)}, ''::text))")
    try:
        with transaction.atomic(using=connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception as exc:  # no privilege to create it: search still works, scanning names
        logger.warning("pg_trgm unavailable (%s): name search will not use an index", exc)
        return
    for index, (table, column) in TRIGRAM.items():
        _build(schema_editor, index, table, f"UPPER(({quote(column)})::text) gin_trgm_ops")


def drop_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index in [*FULL_TEXT, *TRIGRAM]:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(index)}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("packages_app", "0002_initial")]

    operations = [migrations.RunPython(create_search_indexes, drop_search_indexes)]
