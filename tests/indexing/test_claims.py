"""Who holds an indexing claim, and when another task may take it over (a crashed worker's version is
indexed again within a minute, not after the hard time limit)."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from packages_app.indexing.service import Heartbeat, claim, index_version, this_worker
from packages_app.models import IndexStatus, Version

pytestmark = pytest.mark.django_db


def claimed(version, *, task_id: str, heartbeat_age: float = 0, started_age: float = 0):
    now = timezone.now()
    Version.objects.filter(pk=version.pk).update(
        index_status=IndexStatus.INDEXING,
        index_task_id=task_id,
        index_started_at=now - timedelta(seconds=started_age),
        index_heartbeat_at=now - timedelta(seconds=heartbeat_age),
        index_attempts=1,
    )


def unindexed(publish):
    version = publish()
    Version.objects.filter(pk=version.pk).update(index_status=IndexStatus.UNKNOWN)
    return version


def test_a_claim_records_the_task_the_worker_process_and_a_heartbeat(publish):
    version = unindexed(publish)
    token = claim(version_id=version.id, task_id="task-1")
    version.refresh_from_db()
    assert token is not None
    assert (version.index_status, version.index_task_id, version.index_worker) == (
        IndexStatus.INDEXING,
        "task-1",
        this_worker(),
    )
    assert version.index_heartbeat_at == version.index_started_at == token


def test_a_redelivery_of_the_claiming_task_takes_its_claim_over_at_once(publish):
    version = unindexed(publish)
    claimed(version, task_id="task-1")
    assert claim(version_id=version.id, task_id="task-1") is not None
    assert Version.objects.get(pk=version.pk).index_attempts == 2


def test_another_task_is_refused_while_the_claim_has_a_fresh_heartbeat(publish):
    version = unindexed(publish)
    claimed(version, task_id="task-1", heartbeat_age=5, started_age=200)
    assert claim(version_id=version.id, task_id="task-2") is None
    assert index_version(version_id=version.id, task_id="task-2") == "skipped"


def test_another_task_takes_over_a_claim_whose_heartbeat_went_stale(publish, settings):
    settings.INDEX_CLAIM_STALE_SECONDS = 20
    version = unindexed(publish)
    claimed(version, task_id="task-1", heartbeat_age=21, started_age=30)
    assert index_version(version_id=version.id, task_id="task-2") == "indexed"
    version.refresh_from_db()
    assert (version.index_status, version.index_task_id) == (IndexStatus.INDEXED, "task-2")


def test_a_redelivered_task_stops_taking_over_once_the_attempts_run_out(publish, settings):
    settings.INDEX_MAX_ATTEMPTS = 3
    version = unindexed(publish)
    claimed(version, task_id="task-1")
    Version.objects.filter(pk=version.pk).update(index_attempts=3)
    assert claim(version_id=version.id, task_id="task-1") is None


def test_indexing_a_version_deleted_after_its_claim_is_skipped(publish, monkeypatch):
    from packages_app.indexing import service

    version = unindexed(publish)
    real_claim = service.claim

    def claim_then_delete(**kwargs):
        token = real_claim(**kwargs)
        Version.objects.filter(pk=version.pk).delete()
        return token

    monkeypatch.setattr(service, "claim", claim_then_delete)
    assert index_version(version_id=version.id, task_id="task-1") == "skipped"


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_is_refreshed_while_the_claim_is_held_and_stops_with_it(publish, settings):
    settings.INDEX_HEARTBEAT_SECONDS = 0.05
    version = unindexed(publish)
    token = claim(version_id=version.id, task_id="task-1")
    with Heartbeat(version.id, token):
        deadline = time.monotonic() + 10
        while Version.objects.get(pk=version.pk).index_heartbeat_at == token and time.monotonic() < deadline:
            time.sleep(0.05)
    beat = Version.objects.get(pk=version.pk).index_heartbeat_at
    assert beat > token
    time.sleep(0.2)
    assert Version.objects.get(pk=version.pk).index_heartbeat_at == beat  # stopped with the block
