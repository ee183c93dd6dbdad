"""On PostgreSQL, search's two predicates can be served by the GIN indexes of migration 0003."""

import pytest
from django.db import connection

from packages_app.indexing.selectors import _text_match
from packages_app.models import IndexEntry, Package

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def plan_of(queryset) -> str:
    """EXPLAIN with sequential and plain index scans priced out: what is left is a bitmap scan, which
    needs an index whose expression matches the filter. Without ordering, whose joins add other paths."""
    sql, params = queryset.order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("SET LOCAL enable_indexonlyscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def by_text(model, field: str):
    text_filter, vector, _ = _text_match("orders", field)
    return model.objects.annotate(_text_vector=vector).filter(text_filter).values("pk")


def test_a_substring_search_on_entry_names_uses_the_trigram_index():
    assert "indexentry_name_trgm" in plan_of(IndexEntry.objects.filter(name__icontains="orders").values("pk"))


def test_a_substring_search_on_package_names_uses_the_trigram_index():
    assert "package_name_trgm" in plan_of(Package.objects.filter(name__icontains="orders").values("pk"))


def test_a_full_text_search_on_entry_docs_uses_the_full_text_index():
    assert "indexentry_doc_fts" in plan_of(by_text(IndexEntry, "doc"))


def test_a_full_text_search_on_package_descriptions_uses_the_full_text_index():
    assert "package_description_fts" in plan_of(by_text(Package, "description"))
