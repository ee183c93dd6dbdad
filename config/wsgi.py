"""The WSGI application for gunicorn (``config.wsgi``) and runserver."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from registry.request_framing import TerminatedBodyWithLength

# A chunked body gunicorn de-chunked reaches Django with its length (Django would read it as empty).
application = TerminatedBodyWithLength(get_wsgi_application())


def import_what_the_first_request_would() -> None:
    """Import now, not during a fresh worker's first request, what every request needs.

    Django imports the URLconf (with every view, serializer and service), the cache backend (redis) and
    Celery the broker transport on first use: the first request a worker served took 250-350 ms
    instead of ~17. Imports only: no connection is opened, so a worker still starts with a service down.
    """
    from django.core.cache import caches
    from django.urls import get_resolver

    from config.celery import app as celery_app

    get_resolver().url_patterns  # noqa: B018 (evaluated for its imports)
    for alias in caches.settings:
        caches[alias]
    celery_app.tasks  # noqa: B018 (finalizes the app: task classes and signatures)
    celery_app.backend  # noqa: B018 (the result backend, whose module tasks' delay() needs)
    celery_app.connection_for_write().transport  # noqa: B018 (kombu's transport module)


import_what_the_first_request_would()

# What startup built (modules, settings, URLconf) lives as long as the process. Freezing it keeps the
# cyclic collector from rescanning it in every full collection: those pauses were a third of the time of
# a large dependency resolution.
gc.freeze()
