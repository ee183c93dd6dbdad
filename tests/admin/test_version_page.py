import pytest
from django.urls import reverse

from packages_app.models import IndexEntry

pytestmark = pytest.mark.django_db


def version_page(client, version):
    return client.get(reverse("admin:packages_app_version_change", args=[version.pk]))


def index(version, kind, name, *, parent=None, path="sales.malloy", line=None, doc="", data=None):
    return IndexEntry.objects.create(
        version=version, kind=kind, name=name, parent=parent, path=path, line=line, doc=doc, data=data or {}
    )


def test_version_page_lists_files_apart_from_the_other_index_entries(staff_client, publish):
    version = publish("ledger", "1.0.0")
    index(version, "file", "sales.malloy", data={"size": 2048, "sha256": "ab" * 32})
    index(version, "file", "data/orders.csv", path="data/orders.csv", data={"size": 100, "sha256": "cd" * 32})
    index(version, "model", "sales.malloy")

    sections = version_page(staff_client, version).context["sections"]

    assert [f.name for f in sections.files] == ["data/orders.csv", "sales.malloy"]
    assert [kind for kind, _ in sections.index_groups] == ["Model"]


def test_version_page_nests_views_under_their_malloy_source(staff_client, publish):
    version = publish("ledger", "1.0.0")
    orders = index(version, "source", "orders", line=2, doc="Orders placed in the store")
    index(version, "view", "by_month", parent=orders, line=9)
    index(version, "measure", "revenue", parent=orders, line=7)
    index(version, "query", "top_months", line=12)

    response = version_page(staff_client, version)

    groups = dict(response.context["sections"].index_groups)
    assert [node.entry.name for node in groups["Source"]] == ["orders"]
    nested = dict(groups["Source"][0].children_by_kind())
    assert [n.entry.name for n in nested["View"]] == ["by_month"]
    assert [n.entry.name for n in nested["Measure"]] == ["revenue"]
    assert [node.entry.name for node in groups["Query"]] == ["top_months"]
    page = response.content.decode()
    assert page.index("orders") < page.index("by_month") < page.index("top_months")
    assert "Orders placed in the store" in page


def test_version_page_shows_declared_dependencies_lock_and_dependents(staff_client, publish):
    publish("base", "1.0.0")
    publish("core", "1.3.0", {"base": "^1.0.0"})
    ledger = publish("ledger", "2.0.0", {"core": "^1.2.0"})
    publish("reports", "1.0.0", {"ledger": "^2.0.0"})

    response = version_page(staff_client, ledger)

    sections = response.context["sections"]
    assert [(d.reference, d.range) for d in sections.dependencies] == [("core", "^1.2.0")]
    assert [(e.resolved.label, e.depth) for e in sections.lock] == [("core@1.3.0", 1), ("base@1.0.0", 2)]
    assert [v.label for v in sections.dependents] == ["reports@1.0.0"]
    assert reverse("admin:packages_app_version_graph", args=[ledger.pk]) in response.content.decode()


def test_version_page_query_count_does_not_grow_with_its_index(staff_client, publish, django_assert_max_num_queries):
    version = publish("ledger", "1.0.0")
    for n in range(40):
        source = index(version, "source", f"source{n}")
        index(version, "view", f"view{n}", parent=source)

    with django_assert_max_num_queries(14):
        response = version_page(staff_client, version)

    assert response.context["sections"].index_count == 80


def test_a_deeply_nested_index_renders_with_the_depth_it_can_show(staff_client, publish):
    version = publish("deep", "1.0.0")
    parent = None
    for level in range(100):  # once a RecursionError in the template's include per level
        # Names no CSRF token on the page can contain by chance (those are letters and digits only).
        parent = index(version, "query", f"nested_query_{level}", parent=parent, line=level + 1)
    response = version_page(staff_client, version)
    assert response.status_code == 200
    assert "nested_query_11" in response.text
    assert "nested_query_12" not in response.text
    assert "88 more entries" in response.text


def test_a_huge_index_shows_its_first_entries_and_says_how_many_are_left(staff_client, publish, monkeypatch):
    from packages_app import admin_selectors

    monkeypatch.setattr(admin_selectors, "INDEX_ENTRIES_SHOWN", 50)
    version = publish("wide", "1.0.0")
    IndexEntry.objects.bulk_create(
        IndexEntry(version=version, kind="dimension", name=f"d{n:03d}", path="sales.malloy", line=n + 1)
        for n in range(120)
    )
    response = version_page(staff_client, version)
    assert response.status_code == 200
    assert "Index entries (120)" in response.text
    assert "70 more entries" in response.text
