"""The Celery application. Configuration comes from Django settings (the ``CELERY_`` names)."""

import gc
import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def freeze_startup_objects(**kwargs) -> None:
    """As in config/wsgi.py: keep long-lived startup objects out of the cyclic collector's scans."""
    gc.freeze()
