"""Celery tasks: thin, idempotent wrappers over services. They take ids, never model instances."""

from celery import shared_task
from django.db import transaction


@shared_task(name="packages.index_version")
def index_version_task(version_id: int) -> None:
    """Index one version. The indexing service claims the version, so duplicate deliveries are harmless."""
    from packages_app import indexing

    indexing.index_version(version_id=version_id)


def schedule_indexing(version_id: int) -> None:
    """Enqueue indexing once the current transaction commits (in-process when no broker is configured)."""
    transaction.on_commit(lambda: index_version_task.delay(version_id))
