from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from packages_app.indexing.sweeper import LOCK_KEY, sweep_index_queue
from packages_app.models import IndexStatus, Version

pytestmark = pytest.mark.django_db


def age(version, *, seconds, **fields):
    Version.objects.filter(pk=version.pk).update(updated_at=timezone.now() - timedelta(seconds=seconds), **fields)


def test_a_version_unknown_for_over_a_minute_is_enqueued(publish):
    version = publish()
    age(version, seconds=61)
    sent = []
    report = sweep_index_queue(enqueue=sent.append)
    assert sent == report.enqueued == [version.id]


def test_a_version_published_moments_ago_is_left_to_its_own_task(publish):
    publish()
    sent = []
    sweep_index_queue(enqueue=sent.append)
    assert sent == []


def test_an_enqueued_version_is_not_sent_again_by_the_next_sweep(publish):
    version = publish()
    age(version, seconds=61)
    sent = []
    sweep_index_queue(enqueue=sent.append)
    sweep_index_queue(enqueue=sent.append)
    assert sent == [version.id]


def test_a_claim_past_the_hard_time_limit_is_reset_and_enqueued(publish, settings):
    version = publish()
    stale = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 5)
    age(version, seconds=5, index_status=IndexStatus.INDEXING, index_started_at=stale)
    sent = []
    report = sweep_index_queue(enqueue=sent.append)
    assert report.reset == sent == [version.id]
    version.refresh_from_db()
    assert version.index_status == IndexStatus.UNKNOWN
    assert "stopped" in version.index_error


def test_a_claim_within_the_time_limit_is_left_alone(publish):
    version = publish()
    age(version, seconds=120, index_status=IndexStatus.INDEXING, index_started_at=timezone.now())
    sent = []
    sweep_index_queue(enqueue=sent.append)
    assert sent == []


def test_indexed_and_failed_versions_are_never_swept(publish):
    indexed = publish(version="1.0.0")
    failed = publish(version="1.0.1")
    age(indexed, seconds=600, index_status=IndexStatus.INDEXED)
    age(failed, seconds=600, index_status=IndexStatus.FAILED)
    sent = []
    sweep_index_queue(enqueue=sent.append)
    assert sent == []


def test_each_run_handles_a_bounded_batch_oldest_first(publish):
    versions = [publish(version=f"1.0.{n}") for n in range(5)]
    for n, version in enumerate(versions):
        age(version, seconds=600 - n)
    sent = []
    sweep_index_queue(enqueue=sent.append, batch_size=3)
    assert sent == [v.id for v in versions[:3]]
    sweep_index_queue(enqueue=sent.append, batch_size=3)
    assert sorted(sent) == sorted(v.id for v in versions)


def test_a_run_does_not_overlap_one_still_in_progress(publish):
    version = publish()
    age(version, seconds=61)
    cache.add(LOCK_KEY, "another run", timeout=60)
    sent = []
    report = sweep_index_queue(enqueue=sent.append)
    assert report.skipped_overlap
    assert sent == []


def test_the_lock_is_released_after_a_run(publish):
    sweep_index_queue(enqueue=lambda version_id: None)
    assert cache.get(LOCK_KEY) is None


def test_a_broker_still_down_leaves_versions_for_the_next_run(publish):
    version = publish()
    age(version, seconds=61)

    def broker_down(version_id):
        raise ConnectionError("broker unreachable")

    report = sweep_index_queue(enqueue=broker_down)
    assert report.enqueued == []
    sent = []
    sweep_index_queue(enqueue=sent.append)
    assert sent == [version.id]


def test_the_sweep_task_indexes_in_process_without_a_broker(publish):
    from packages_app.tasks import sweep_index_queue_task

    version = publish()
    age(version, seconds=61)
    result = sweep_index_queue_task.apply().get()
    assert result["enqueued"] == [version.id]
    version.refresh_from_db()
    assert version.index_status == IndexStatus.INDEXED


def test_beat_sweeps_often_enough_that_a_dead_workers_version_is_indexed_again_within_a_minute(settings):
    schedule = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    from packages_app.indexing.conf import setting

    assert schedule["packages.sweep_index_queue"] + setting("INDEX_CLAIM_STALE_SECONDS") < 60
    assert "packages.sweep_orphan_blobs" in schedule


def test_a_publish_survives_a_broker_that_cannot_be_reached(publish, monkeypatch, django_capture_on_commit_callbacks):
    from django.db import transaction

    from packages_app import tasks

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(tasks.index_version_task, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        version = publish()
        tasks.schedule_indexing(version.id)
    version.refresh_from_db()
    assert version.index_status == IndexStatus.UNKNOWN


def test_a_claim_abandoned_too_many_times_fails_instead_of_looping(publish, settings):
    settings.INDEX_MAX_ATTEMPTS = 3
    version = publish()
    stale = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 5)
    age(version, seconds=5, index_status=IndexStatus.INDEXING, index_started_at=stale, index_attempts=3)
    sent = []
    report = sweep_index_queue(enqueue=sent.append)
    assert (report.failed, sent) == ([version.id], [])
    version.refresh_from_db()
    assert version.index_status == IndexStatus.FAILED
    assert version.index_error.startswith("indexing stopped 3 times without finishing")


def test_a_reindex_resets_the_attempt_count(publish, settings, django_capture_on_commit_callbacks):
    from packages_app.indexing import request_reindex

    version = publish()
    Version.objects.filter(pk=version.pk).update(index_status=IndexStatus.FAILED, index_attempts=9)
    with django_capture_on_commit_callbacks(execute=True):
        request_reindex(version_id=version.id)
    version.refresh_from_db()
    assert (version.index_status, version.index_attempts) == (IndexStatus.INDEXED, 1)


def test_a_claim_whose_heartbeat_went_stale_is_reset_long_before_the_hard_time_limit(publish, settings):
    settings.INDEX_CLAIM_STALE_SECONDS = 20
    version = publish()
    now = timezone.now()
    age(
        version,
        seconds=25,
        index_status=IndexStatus.INDEXING,
        index_started_at=now - timedelta(seconds=25),
        index_heartbeat_at=now - timedelta(seconds=21),
    )
    sent = []
    report = sweep_index_queue(enqueue=sent.append)
    assert report.reset == sent == [version.id]
    assert Version.objects.get(pk=version.pk).index_status == IndexStatus.UNKNOWN


def test_a_claim_with_a_fresh_heartbeat_is_left_to_its_worker_however_long_it_runs(publish, settings):
    settings.INDEX_CLAIM_STALE_SECONDS = 20
    version = publish()
    now = timezone.now()
    age(
        version,
        seconds=200,
        index_status=IndexStatus.INDEXING,
        index_started_at=now - timedelta(seconds=200),
        index_heartbeat_at=now - timedelta(seconds=3),
    )
    sent = []
    sweep_index_queue(enqueue=sent.append)
    assert sent == []
