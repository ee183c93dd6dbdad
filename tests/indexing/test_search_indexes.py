"""On PostgreSQL, search's two predicates can be served by the GIN indexes of migration 0003."""

import pytest
from django.db import connection

from packages_app.indexing.selectors import _text_match
from packages_app.models import IndexEntry, Package

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def plan_of(queryset) -> str:
    """EXPLAIN with sequential scans priced out: an index the expression matches is then chosen."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
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
