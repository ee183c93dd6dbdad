import pytest

from packages_app.indexing import index_version
from packages_app.models import IndexStatus, Version
from registry.models import Role
from tests.factories import PackageFactory, ProjectFactory, make_version

from .builders import manifest_files, zip_bytes
from .conftest import rich_archive

pytestmark = pytest.mark.django_db
VERSION_URL = "/api/v0/organizations/acme/projects/finance/packages/ledger/versions/1.0.0"


@pytest.fixture
def reader(user, grant, project, client_for):
    grant(project, Role.VIEWER, user=user)
    return client_for(user)


@pytest.fixture
def modeler(grant, project, client_for):
    from tests.factories import UserFactory

    person = UserFactory(username="modeler")
    grant(project, Role.MODELER, user=person)
    return client_for(person)


@pytest.fixture
def indexed(publish):
    version = publish(rich_archive())
    index_version(version_id=version.id)
    return version


def test_contents_lists_the_entries_in_file_and_line_order(reader, indexed):
    response = reader.get(f"{VERSION_URL}/contents?limit=100")
    assert response.status_code == 200
    body = response.json()
    assert int(response["X-Total-Count"]) == indexed.index_entries.count()
    keys = [(row["path"], row["line"] or 0) for row in body]
    assert keys == sorted(keys)
    view = next(row for row in body if row["name"] == "by_carrier")
    source = next(row for row in body if row["name"] == "flights" and row["kind"] == "source")
    assert view == {
        "id": view["id"],
        "kind": "view",
        "name": "by_carrier",
        "path": "flights.malloy",
        "line": 34,
        "parentId": source["id"],
        "doc": "Flights per carrier, busiest first",
        "data": {},
    }


def test_contents_filter_by_several_kinds(reader, indexed):
    body = reader.get(f"{VERSION_URL}/contents?kind=source,view&limit=100").json()
    assert {row["kind"] for row in body} == {"source", "view"}
    assert {row["name"] for row in body if row["kind"] == "source"} == {"flights", "long_flights", "ops"}


def test_contents_filter_by_file_and_by_folder(reader, indexed):
    file_rows = reader.get(f"{VERSION_URL}/contents?path=data/flights.csv").json()
    assert {row["kind"] for row in file_rows} == {"file", "data"}
    folder_rows = reader.get(f"{VERSION_URL}/contents?path=data/&kind=file").json()
    assert sorted(row["path"] for row in folder_rows) == ["data/flights.csv", "data/legs.parquet"]


def test_contents_refuse_an_unknown_kind(reader, indexed):
    response = reader.get(f"{VERSION_URL}/contents?kind=banana")
    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_FAILED"
    assert list(response.json()["details"]["fields"]) == ["kind"]


def test_contents_of_a_package_the_caller_cannot_read_are_not_found(client_for, indexed):
    from tests.factories import UserFactory

    stranger = client_for(UserFactory(username="stranger"))
    response = stranger.get(f"{VERSION_URL}/contents")
    assert response.status_code == 404


def test_contents_of_an_unknown_version_are_not_found(reader, indexed):
    response = reader.get(VERSION_URL.replace("1.0.0", "9.9.9") + "/contents")
    assert response.status_code == 404
    assert response.json()["details"] == {"resourceType": "version", "resourceId": "9.9.9"}


@pytest.mark.parametrize("size", [1, 100])
def test_contents_use_a_constant_number_of_queries(reader, publish, django_assert_max_num_queries, size):
    files = manifest_files(**{f"data/{n}.csv": "a" for n in range(size)})
    version = publish(zip_bytes(files))
    index_version(version_id=version.id)
    with django_assert_max_num_queries(8):
        response = reader.get(f"{VERSION_URL}/contents?limit=100")
    # Each CSV gives a file and a data entry, plus publisher.json's file and manifest entries.
    assert len(response.json()) == min(2 * size + 2, 100)


def test_reindex_resets_and_indexes_again(modeler, publish, django_capture_on_commit_callbacks):
    version = publish(zip_bytes(manifest_files(**{"../escape": "x"})))
    index_version(version_id=version.id)
    with django_capture_on_commit_callbacks(execute=True):
        response = modeler.post(f"{VERSION_URL}/reindex")
    assert response.status_code == 202
    version.refresh_from_db()
    # The archive is still bad: the reindex ran (the first attempt since the reset) and failed the same way.
    assert (version.index_status, version.index_attempts) == (IndexStatus.FAILED, 1)
    assert version.index_error == "entry ../escape escapes the archive root"


def test_reindex_needs_write_access(reader, indexed):
    response = reader.post(f"{VERSION_URL}/reindex")
    assert response.status_code == 403


def test_reindex_with_a_read_only_token_is_forbidden(user, grant, project, client_for, indexed):
    grant(project, Role.ADMIN, user=user)
    response = client_for(user, read_only=True).post(f"{VERSION_URL}/reindex")
    assert response.status_code == 403


def test_search_ranks_name_matches_before_doc_text(reader, indexed):
    body = reader.get("/api/v0/search?q=carrier").json()
    names = [(row["kind"], row["name"]) for row in body]
    # A name starting with the query, then a name containing it, then entries matching only doc text.
    assert names.index(("join", "carriers")) < names.index(("query", "busiest_carriers"))
    name_hits = [row for row in body if "carrier" in row["name"].lower()]
    doc_hits = [row for row in body if "carrier" not in row["name"].lower()]
    assert name_hits
    assert doc_hits
    assert min(row["rank"] for row in name_hits) > max(row["rank"] for row in doc_hits)


def test_search_finds_packages_by_name_with_their_latest_version(reader, indexed):
    body = reader.get("/api/v0/search?q=ledger").json()
    assert body[0] == {
        "type": "package",
        "rank": 4.0,
        "organizationName": "acme",
        "projectName": "finance",
        "packageName": "ledger",
        "version": "1.0.0",
        "kind": "package",
        "name": "ledger",
        "path": None,
        "line": None,
        "doc": "",
    }


def test_search_results_carry_where_the_entry_is(reader, indexed):
    body = reader.get("/api/v0/search?q=distance_band").json()
    assert body[0]["type"] == "entry"
    assert (body[0]["kind"], body[0]["path"], body[0]["line"], body[0]["version"]) == (
        "dimension",
        "flights.malloy",
        24,
        "1.0.0",
    )


def test_search_filters_by_kind(reader, indexed):
    body = reader.get("/api/v0/search?q=flights&kind=source").json()
    assert {row["kind"] for row in body} == {"source"}


def test_search_never_shows_what_the_caller_cannot_read(reader, indexed, organization):
    hidden = PackageFactory(project=ProjectFactory(organization=organization, name="secret"), name="hidden_flights")
    version = make_version(hidden, "1.0.0", archive=rich_archive())
    index_version(version_id=version.id)
    body = reader.get("/api/v0/search?q=flights&limit=100").json()
    assert body
    assert {row["projectName"] for row in body} == {"finance"}


def test_search_only_looks_at_each_package_latest_version(reader, publish):
    first = publish(zip_bytes(manifest_files(**{"m.malloy": "source: old_source is t.table('x')"})), version="1.0.0")
    second = publish(zip_bytes(manifest_files(**{"m.malloy": "source: new_source is t.table('x')"})), version="1.1.0")
    for version in (first, second):
        index_version(version_id=version.id)
    assert reader.get("/api/v0/search?q=old_source").json() == []
    assert [row["version"] for row in reader.get("/api/v0/search?q=new_source").json()] == ["1.1.0"]


@pytest.mark.parametrize("query", ["", "   ", "x" * 201])
def test_search_refuses_an_empty_or_oversized_query(reader, query):
    response = reader.get("/api/v0/search", {"q": query})
    assert response.status_code == 400
    assert list(response.json()["details"]["fields"]) == ["q"]


@pytest.mark.parametrize("query", ["%", "_", "'; drop table x; --", "a & | ! b", '"unbalanced', "(()"])
def test_search_treats_odd_input_as_text(reader, indexed, query):
    assert reader.get("/api/v0/search", {"q": query}).status_code == 200


def test_search_pages_with_total_count(reader, indexed):
    response = reader.get("/api/v0/search?q=flight&limit=2")
    assert len(response.json()) == 2
    assert int(response["X-Total-Count"]) > 2
    assert 'rel="next"' in response["Link"]


@pytest.mark.parametrize(("packages", "hits"), [(1, 2), (50, 100)])
def test_search_uses_a_constant_number_of_queries(reader, project, django_assert_max_num_queries, packages, hits):
    for n in range(packages):
        package = PackageFactory(project=project, name=f"sales{n}")
        version = make_version(package, "1.0.0")
        index_version(version_id=version.id)
    with django_assert_max_num_queries(9):
        response = reader.get("/api/v0/search?q=orders&kind=source,data&limit=100")
    # Each demo package has one source and one data file named "orders"; a page holds at most 100.
    assert len(response.json()) == hits


def test_package_index_status_is_its_latest_version(reader, publish):
    publish(version="1.0.0")
    newer = publish(version="1.1.0")
    index_version(version_id=newer.id)
    body = reader.get("/api/v0/organizations/acme/projects/finance/packages/ledger").json()
    assert body["indexStatus"] == "indexed"
    Version.objects.filter(pk=newer.pk).update(index_status=IndexStatus.FAILED)
    body = reader.get("/api/v0/organizations/acme/projects/finance/packages/ledger").json()
    assert body["indexStatus"] == "failed"


def test_an_upload_through_the_v0_endpoint_is_indexed_and_searchable(
    modeler, reader, project, django_capture_on_commit_callbacks
):
    from tests.api_v0.conftest import upload

    make_version(PackageFactory(project=project, name="core"), "1.0.0")  # the archive depends on core ^1.0.0
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(modeler, data=rich_archive())
    assert response.status_code in (200, 201), response.json()
    version = reader.get(VERSION_URL).json()
    assert version["indexStatus"] == "indexed"
    sources = reader.get(f"{VERSION_URL}/contents?kind=source").json()
    assert {row["name"] for row in sources} == {"flights", "long_flights", "ops"}
    hits = reader.get("/api/v0/search?q=busiest").json()
    # The name match first, then the entries whose doc text says "busiest".
    assert (hits[0]["kind"], hits[0]["name"]) == ("query", "busiest_carriers")
    assert {(hit["kind"], hit["name"]) for hit in hits[1:]} == {
        ("view", "by_carrier"),
        ("cell", "notebooks/overview.malloynb cell 3"),
        ("run", "flights -> by_carrier"),
    }


def test_contents_and_search_show_a_nested_view_under_its_view_and_a_query_field_under_its_nest(reader, indexed):
    body = reader.get(f"{VERSION_URL}/contents?kind=view,nest,field&limit=100").json()
    by_id = {row["id"]: row for row in body}
    nest = next(row for row in body if row["kind"] == "nest")
    field = next(row for row in body if row["kind"] == "field" and row["name"] == "dep_month")
    assert (nest["name"], nest["line"], by_id[nest["parentId"]]["name"]) == ("by_month", 37, "by_carrier")
    assert (field["line"], field["parentId"]) == (38, nest["id"])
    hits = reader.get("/api/v0/search?q=by_month&kind=nest").json()
    assert [(hit["kind"], hit["name"], hit["line"]) for hit in hits] == [("nest", "by_month", 37)]
