"""gunicorn settings for the web process: `gunicorn -c config/gunicorn.conf.py config.wsgi`.

Every value can be overridden from the environment, so one file serves a laptop and a fleet.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
# Threads let one worker overlap a slow upload or download with other requests.
threads = int(os.environ.get("GUNICORN_THREADS", 4))
# gunicorn's threaded worker (gthread), whose answers to requests gunicorn refuses itself (malformed, 431
# header fields too large, 501 unknown transfer coding) are the API's JSON envelope, not an HTML page.
worker_class = "config.gunicorn_worker.ApiEnvelopeWorker"
# A keep-alive connection stays with the worker that accepted it, and a worker that wakes first can
# accept a whole burst of them: all of a client's connections then share one process (one core for
# Python) while the others idle. Capping each worker's connections spreads them out. (gunicorn keeps at
# most worker_connections - threads of them idle; past that it closes them after their response.)
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", 3 * threads))
# Large uploads stream in for a while; the timeout is per request, not per chunk.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 300))
graceful_timeout = 30
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 5000))
max_requests_jitter = 500
# Load the app (config.wsgi: Django, the URLconf, the cache backend, Celery) once in the arbiter, before
# forking: every worker, and each one max_requests replaces, starts warm and shares those pages. The
# import opens no database or broker connection, so nothing is shared that must not be.
preload_app = True
# Long request lines reach the app (up to gunicorn's own 1 MB cap), which answers one over
# REGISTRY_MAX_REQUEST_TARGET_BYTES with 414 in the API's JSON envelope rather than gunicorn's HTML page.
limit_request_line = int(os.environ.get("GUNICORN_LIMIT_REQUEST_LINE", 0))
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn's control socket (for `gunicornc`) is one path per user by default ($XDG_RUNTIME_DIR or
# $HOME/.gunicorn/gunicorn.ctl), so a second instance on the machine takes it over: give each its own.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
