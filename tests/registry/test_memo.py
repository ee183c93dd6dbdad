"""The caller's grants and the project a path names are kept per process until access changes (registry.memo)."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry import memo
from registry.memo import GenerationMemo
from registry.models import Grant
from tests.factories import make_version

pytestmark = pytest.mark.django_db

PROJECT = "/api/v0/organizations/acme/projects/finance"
PACKAGE = f"{PROJECT}/packages/ledger"


@pytest.fixture(autouse=True)
def memos_on(settings):
    settings.REGISTRY_READ_CACHE_SECONDS = 60


@pytest.fixture
def committing(django_capture_on_commit_callbacks):
    """Writes inside commit as in production, so what waits for the commit (the generation bump) runs."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def tables_read(client, url) -> str:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return "\n".join(query["sql"] for query in queries)


# --- The memo itself ---------------------------------------------------------------------------------


def test_a_kept_value_is_found_under_its_generation_only():
    kept = GenerationMemo()
    kept.put("key", 7, {"rank": 1})
    assert kept.get("key", 7) == {"rank": 1}
    assert kept.get("key", 8) is None
    assert kept.get("key", None) is None


def test_each_hit_is_a_new_object_so_no_two_requests_share_one():
    kept = GenerationMemo()
    kept.put("key", 7, {"rank": 1})
    first = kept.get("key", 7)
    first["rank"] = 3
    assert kept.get("key", 7) == {"rank": 1}


def test_a_kept_value_expires_after_the_read_cache_lifetime(settings, monkeypatch):
    settings.REGISTRY_READ_CACHE_SECONDS = 10
    now = [1000.0]
    monkeypatch.setattr(memo.time, "monotonic", lambda: now[0])
    kept = GenerationMemo()
    kept.put("key", 7, "value")
    now[0] += 9.9
    assert kept.get("key", 7) == "value"
    now[0] += 0.2
    assert kept.get("key", 7) is None


def test_nothing_is_kept_with_the_read_cache_off(settings):
    settings.REGISTRY_READ_CACHE_SECONDS = 0
    kept = GenerationMemo()
    kept.put("key", 7, "value")
    assert kept.get("key", 7) is None


def test_a_full_memo_starts_over_rather_than_growing():
    kept = GenerationMemo(max_entries=2)
    kept.put("a", 1, "a")
    kept.put("b", 1, "b")
    kept.put("c", 1, "c")
    assert [kept.get(key, 1) for key in "abc"] == [None, None, "c"]


# --- Through the API ---------------------------------------------------------------------------------


def test_a_second_request_reads_neither_the_project_nor_the_grants(as_viewer, package):
    make_version(package, "1.0.0")
    first = tables_read(as_viewer, f"{PACKAGE}/versions")
    assert "registry_grant" in first
    assert "registry_project" in first
    again = tables_read(as_viewer, f"{PACKAGE}/versions/1.0.0")
    assert "registry_grant" not in again
    assert "registry_project" not in again


def test_a_flushed_cache_never_brings_back_what_was_kept_before_it(as_viewer, package):
    tables_read(as_viewer, PACKAGE)
    cache.clear()  # Redis flushed or the generation evicted: its number starts somewhere new
    assert "registry_grant" in tables_read(as_viewer, f"{PROJECT}/packages")


def test_a_new_grant_reaches_the_callers_very_next_request(as_admin, as_stranger, package, committing):
    assert as_stranger.get(PACKAGE).status_code == 404  # no grants: kept as such
    with committing():
        granted = as_admin.post(
            f"{PROJECT}/permissions", {"userGroupId": "user:st@example.com", "permission": "viewer"}, format="json"
        )
    assert granted.status_code == 201
    assert as_stranger.get(PACKAGE).status_code == 200


def test_a_raised_role_reaches_the_callers_very_next_request(as_admin, as_viewer, package, committing):
    assert as_viewer.patch(PACKAGE, {"description": "mine"}, format="json").status_code == 403
    with committing():
        raised = as_admin.post(
            f"{PROJECT}/permissions", {"userGroupId": "user:vi@example.com", "permission": "modeler"}, format="json"
        )
    assert raised.status_code in (200, 201)
    assert as_viewer.patch(PACKAGE, {"description": "mine"}, format="json").status_code == 200


def test_a_project_edit_is_seen_by_the_next_request_that_names_the_project(as_admin, as_viewer, project, committing):
    assert as_viewer.get(PROJECT).json()["description"] == project.description
    with committing():
        assert as_admin.patch(PROJECT, {"description": "Month-end close"}, format="json").status_code == 200
    assert as_viewer.get(PROJECT).json()["description"] == "Month-end close"


def test_a_deleted_project_is_gone_for_the_next_request(as_admin, as_viewer, project, committing):
    assert as_viewer.get(PROJECT).status_code == 200
    with committing():
        assert as_admin.delete(PROJECT).status_code == 204
    assert as_viewer.get(PROJECT).status_code == 404


@pytest.mark.django_db(transaction=True)  # the grant commits during the request, as in production
def test_a_write_whose_generation_bump_cannot_reach_the_cache_still_answers_as_committed(
    as_admin, package, stranger, monkeypatch, caplog
):
    from registry.api import read_cache

    incr = read_cache.cache.incr

    def unreachable_for_generations(key, *args, **kwargs):
        if key.startswith("read-cache:generation"):
            raise ConnectionError("the cache is down")
        return incr(key, *args, **kwargs)

    monkeypatch.setattr(read_cache.cache, "incr", unreachable_for_generations)
    response = as_admin.post(
        f"{PROJECT}/permissions", {"userGroupId": "user:st@example.com", "permission": "viewer"}, format="json"
    )
    assert response.status_code == 201
    assert Grant.objects.filter(user=stranger, project=package.project).exists()
    assert "not bumped; cached reads expire on their own" in caplog.text
