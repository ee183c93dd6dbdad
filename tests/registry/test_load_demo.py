"""``load_demo`` publishes through the API's services: every version indexed and locked, loaded once,
and a modeler token that may publish."""

import re

import pytest
from rest_framework.test import APIClient

from packages_app.models import Dependency, IndexEntry, IndexStatus, LockEntry, Version
from registry.models import ApiToken
from tests.api_v0.conftest import BASE, upload

pytestmark = pytest.mark.django_db

TOKEN_LINE = re.compile(r"^Modeler API token for acme \(user modeler; .*\): (reg_\S+)$", re.MULTILINE)


def token_in(output: str) -> str:
    [secret] = TOKEN_LINE.findall(output)
    return secret


def bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_after_load_demo_every_version_is_indexed_with_entries(run_demo):
    run_demo()
    statuses = dict(Version.objects.values_list("id", "index_status"))
    assert len(statuses) == 20
    assert set(statuses.values()) == {IndexStatus.INDEXED}
    indexed_versions = set(IndexEntry.objects.values_list("version_id", flat=True))
    assert indexed_versions == set(statuses)


def test_every_demo_version_with_dependencies_has_its_resolved_lock(run_demo):
    run_demo()
    with_dependencies = Version.objects.filter(dependencies__isnull=False).distinct()
    assert with_dependencies.count() >= 8
    for version in with_dependencies:
        direct = set(Dependency.objects.filter(version=version).values_list("package_id", flat=True))
        locked = dict(LockEntry.objects.filter(root=version).values_list("package_id", "depth"))
        assert direct <= set(locked), version.label
        assert {package for package, depth in locked.items() if depth == 1} == direct, version.label


def test_demo_versions_are_published_as_a_v0_upload_is_with_their_manifest_and_author(run_demo):
    run_demo()
    version = Version.objects.select_related("author", "artifact").get(package__name="revenue", version="1.1.0")
    assert version.manifest["dependencies"] == {"ledger": "~1.1.0"}
    assert version.author.username == "admin"
    assert version.artifact.media_type == "application/zip"


def test_a_second_run_publishes_nothing_and_changes_no_version(run_demo):
    first = run_demo()
    before = list(Version.objects.order_by("pk").values_list("pk", "index_status", "updated_at"))
    counts = (LockEntry.objects.count(), IndexEntry.objects.count(), Dependency.objects.count())
    second = run_demo()
    assert list(Version.objects.order_by("pk").values_list("pk", "index_status", "updated_at")) == before
    assert (LockEntry.objects.count(), IndexEntry.objects.count(), Dependency.objects.count()) == counts
    assert "(published 20 versions now)" in first
    assert "(published nothing: the demo was already loaded)" in second
    assert "Staff login for /admin/: admin / " in first
    assert "Staff user 'admin' already existed; its password was left unchanged." in second


def test_each_run_prints_a_new_modeler_token_and_revokes_no_earlier_one(run_demo):
    first = token_in(run_demo())
    second = token_in(run_demo())
    assert first != second
    assert ApiToken.objects.filter(user__username="modeler").active().count() == 2
    assert bearer(first).get(f"{BASE}/packages").status_code == 200


def test_the_printed_token_may_publish_with_the_v0_create_or_update_endpoint(run_demo):
    secret = token_in(run_demo())
    response = upload(bearer(secret), package="budget", version="1.0.0")
    assert response.status_code == 201, response.content
    assert response.json()["latestVersion"] == "1.0.0"


def test_the_printed_token_finds_the_indexed_revenue_measure_by_search(run_demo):
    secret = token_in(run_demo())
    response = bearer(secret).get("/api/v0/search", {"q": "revenue", "limit": 100})
    assert response.status_code == 200
    hits = {(hit["type"], hit["kind"], hit["name"]) for hit in response.json()}
    assert ("entry", "measure", "revenue") in hits


def test_versions_an_older_demo_left_unindexed_are_indexed_on_the_next_run(run_demo):
    run_demo()
    IndexEntry.objects.all().delete()
    Version.objects.update(index_status=IndexStatus.UNKNOWN)
    run_demo()
    assert set(Version.objects.values_list("index_status", flat=True)) == {IndexStatus.INDEXED}
    assert IndexEntry.objects.exists()
