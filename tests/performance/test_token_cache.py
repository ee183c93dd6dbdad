"""With the read cache on, a token is checked without SQL, and revocation still takes effect at once."""

import pytest

from registry.models import ApiToken
from registry.tokens import revoke_token
from tests.api_v0.conftest import BASE
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PACKAGE = f"{BASE}/packages/ledger"


def test_a_cached_read_with_a_known_token_runs_no_sql(as_viewer, package, django_assert_num_queries):
    as_viewer.get(PACKAGE)
    with django_assert_num_queries(0):
        assert as_viewer.get(PACKAGE).status_code == 200


def test_a_revoked_token_is_refused_on_the_next_request(
    client_for, viewer, package, django_capture_on_commit_callbacks
):
    client = client_for(viewer, name="soon-revoked")
    assert client.get(PACKAGE).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        revoke_token(token=ApiToken.objects.get(name="soon-revoked"))
    assert client.get(PACKAGE).status_code == 401


def test_a_write_outside_any_organization_refreshes_cached_tokens(client_for, viewer, package):
    client = client_for(viewer)
    assert client.get(PACKAGE).status_code == 200
    type(viewer).objects.filter(pk=viewer.pk).update(is_active=False)  # as a staff edit would
    other = client_for(UserFactory(username="founder"))
    assert other.post("/api/v0/organizations", {"name": "initech"}, format="json").status_code == 201
    assert client.get(PACKAGE).status_code == 401


def test_last_use_is_written_once_per_window_however_many_requests(client_for, viewer, package):
    client = client_for(viewer, name="busy")
    for _ in range(5):
        client.get(PACKAGE)
    assert ApiToken.objects.get(name="busy").last_used_at is not None


def test_a_token_used_again_in_the_same_process_costs_no_shared_cache_round_trip(as_viewer, package, monkeypatch):
    from registry import authentication

    as_viewer.get(PACKAGE)
    shared, token_reads = authentication.cache, []

    class CountingCache:
        def __getattr__(self, name):
            return getattr(shared, name)

        def get(self, key, *args, **kwargs):
            token_reads.append(key)
            return shared.get(key, *args, **kwargs)

    monkeypatch.setattr(authentication, "cache", CountingCache())
    assert as_viewer.get(PACKAGE).status_code == 200
    assert token_reads == []


def test_the_per_process_record_of_token_uses_stays_bounded(client_for, viewer, package, monkeypatch):
    from registry import authentication

    monkeypatch.setattr(authentication, "TOKENS_KEPT", 2)
    for name in ("one", "two", "three"):
        assert client_for(viewer, name=name).get(PACKAGE).status_code == 200
    assert len(authentication._recorded_here) <= 2
