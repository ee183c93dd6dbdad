"""Settings for the registry, read from the environment in this one place.

Embedded default (no environment at all): SQLite and filesystem storage under ``var/``, Celery tasks run
in-process after commit, a generated development secret key. Production: set ``DJANGO_DEBUG=false``,
``SECRET_KEY``, ``DATABASE_URL``, ``CELERY_BROKER_URL`` (or ``REDIS_URL``) and the ``S3_*`` settings.
"""

import contextlib
import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("REGISTRY_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_DEBUG is false.")
    # Development only: a key generated once per checkout and kept (git-ignored) under var/.
    key_file = VAR_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "config.admin_site.RegistryAdminConfig",  # the stock admin with the registry dashboard (top layer: it reads every app)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "registry",
    "packages_app",
    "components_app",
]

MIDDLEWARE = [
    "registry.request_id.RequestIdMiddleware",
    # Before anything reads a body: refuse a chunked body Django would read as empty (411) and an over-long
    # request target (414), in the API's envelope.
    "registry.request_framing.RequestFramingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files (the staff console's, Swagger UI's and Redoc's) from the app itself, with far-future
    # caching of hashed names: gunicorn in production has no other server for them.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # An ETag on every GET answered 200 (a hash of the body, unless the view set one, as downloads do) and
    # 304 for a matching If-None-Match. It acts on the response only, so only after the view (and DRF's
    # authentication and permission checks) answered.
    "django.middleware.http.ConditionalGetMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# --- Database -------------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'registry.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent readers with one writer, and writers wait instead of failing at once.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Every wait on PostgreSQL is bounded: a server that accepts the connection and never answers costs a
    # request DATABASE_CONNECT_TIMEOUT (then 503 DATABASE_UNAVAILABLE), not a thread for good; a statement
    # the server runs longer than DATABASE_STATEMENT_TIMEOUT is cancelled by the server (0: no limit, e.g.
    # behind a pooler that refuses startup options). A server that stops answering on an open connection
    # answers no statement timeout either: past DATABASE_CLIENT_TIMEOUT this process drops the connection
    # itself (registry/postgresql/base.py); a little above the statement timeout, so the server's own
    # answer comes first whenever it can. 0: wait as long as TCP does.
    _statement_timeout_ms = int(env_float("DATABASE_STATEMENT_TIMEOUT", 30) * 1000)
    DATABASES["default"]["ENGINE"] = "registry.postgresql"
    DATABASES["default"]["CLIENT_TIMEOUT"] = env_float(
        "DATABASE_CLIENT_TIMEOUT", (_statement_timeout_ms or 30_000) / 1000 + 5
    )
    DATABASES["default"]["OPTIONS"] = {
        "connect_timeout": env_int("DATABASE_CONNECT_TIMEOUT", 3),  # libpq's unit: whole seconds, at least 2
        **({"options": f"-c statement_timeout={_statement_timeout_ms}"} if _statement_timeout_ms else {}),
        **DATABASES["default"].get("OPTIONS", {}),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Files ----------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# Without `collectstatic` (development, tests) WhiteNoise serves straight from the apps' static folders;
# after it, from STATIC_ROOT. (It warns about a STATIC_ROOT that does not exist yet: make it, where the
# file system lets us.)
WHITENOISE_USE_FINDERS = True
with contextlib.suppress(OSError):
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "media/"

S3_BUCKET = os.environ.get("S3_BUCKET", "")
if S3_BUCKET:
    ARTIFACT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("S3_REGION") or None,
            "access_key": os.environ.get("S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("S3_SECRET_ACCESS_KEY") or None,
            "location": os.environ.get("S3_PREFIX", ""),
            "file_overwrite": False,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": env_int("REGISTRY_SIGNED_URL_SECONDS", 300),
            "signature_version": "s3v4",
        },
    }
else:
    # Files appear whole or not at all (see packages_app.storage).
    ARTIFACT_STORAGE = {
        "BACKEND": "packages_app.storage.AtomicFileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT / "artifacts", "base_url": None},
    }

# Replica locations for replicationCount > 1: more buckets on S3 (S3_REPLICA_BUCKETS, comma-separated),
# otherwise folders beside the primary (REGISTRY_FILESYSTEM_REPLICAS of them).
if S3_BUCKET:
    REPLICA_STORAGES = {
        f"replica-{n}": {**ARTIFACT_STORAGE, "OPTIONS": {**ARTIFACT_STORAGE["OPTIONS"], "bucket_name": bucket}}
        for n, bucket in enumerate(env_list("S3_REPLICA_BUCKETS", []), start=1)
    }
else:
    REPLICA_STORAGES = {
        f"replica-{n}": {
            "BACKEND": "packages_app.storage.AtomicFileSystemStorage",
            "OPTIONS": {"location": MEDIA_ROOT / f"replica-{n}", "base_url": None},
        }
        for n in range(1, env_int("REGISTRY_FILESYSTEM_REPLICAS", 2) + 1)
    }

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "artifacts": ARTIFACT_STORAGE,
    **REPLICA_STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Where copies of an artifact may live, primary first; replicationCount may not exceed its length.
REGISTRY_STORAGE_LOCATIONS = ["artifacts", *REPLICA_STORAGES]
# Downloads may redirect to a short-lived signed URL (S3 only) instead of streaming through Django.
REGISTRY_DOWNLOAD_REDIRECT = env_bool("REGISTRY_DOWNLOAD_REDIRECT", False)
REGISTRY_SIGNED_URL_SECONDS = env_int("REGISTRY_SIGNED_URL_SECONDS", 300)
# Downloads up to this size are re-hashed before sending, so a silently corrupted copy is never served.
REGISTRY_DOWNLOAD_VERIFY_MAX_BYTES = env_int("REGISTRY_DOWNLOAD_VERIFY_MAX_BYTES", 16 * 1024 * 1024)

# Uploads: anything over 2.5 MB is streamed to a temporary file rather than held in memory.
FILE_UPLOAD_TEMP_DIR = os.environ.get("FILE_UPLOAD_TEMP_DIR") or None
REGISTRY_MAX_UPLOAD_BYTES = env_int("REGISTRY_MAX_UPLOAD_BYTES", 512 * 1024 * 1024)
# A longer path and query string is 414 URI_TOO_LONG (registry.request_framing).
REGISTRY_MAX_REQUEST_TARGET_BYTES = env_int("REGISTRY_MAX_REQUEST_TARGET_BYTES", 8190)
# An unreferenced blob younger than this is never swept: its upload may still be committing.
REGISTRY_ORPHAN_GRACE_SECONDS = env_int("REGISTRY_ORPHAN_GRACE_SECONDS", 3600)

# --- Celery ---------------------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL") or ""
# Without a broker the embedded default runs tasks in-process; they are still enqueued on commit.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 300)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 360)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Every wait on the broker is bounded. Without socket timeouts (kombu's default is none) a Redis that
# accepts connections and never answers holds the caller for good. The socket timeout stays above the
# workers' 1 s BRPOP poll.
CELERY_BROKER_CONNECTION_TIMEOUT = env_float("CELERY_BROKER_CONNECT_TIMEOUT", 2)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
    "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
    "socket_timeout": env_float("CELERY_BROKER_SOCKET_TIMEOUT", 5),
}
# Publishing must not hang on a dead broker: one quick retry, then give up; the indexing sweeper enqueues
# later. A request never waits for the publish longer than CELERY_ENQUEUE_WAIT_SECONDS (packages_app.tasks
# hands it to a background thread).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
CELERY_ENQUEUE_WAIT_SECONDS = env_float("CELERY_ENQUEUE_WAIT_SECONDS", 2)
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# One queue name per deployment (or per real-worker test run, so concurrent runs never share tasks).
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "celery")
INDEX_SWEEP_INTERVAL_SECONDS = env_int(
    "INDEX_SWEEP_INTERVAL_SECONDS", 30
)  # with a 20 s stale claim: re-indexed within a minute
INDEX_SWEEP_UNKNOWN_AFTER_SECONDS = env_int("INDEX_SWEEP_UNKNOWN_AFTER_SECONDS", 60)
INDEX_SWEEP_BATCH_SIZE = env_int("INDEX_SWEEP_BATCH_SIZE", 200)
CELERY_BEAT_SCHEDULE = {
    # Each run expires if not started within its interval, so a backlog never stacks sweeps up.
    "sweep-index-queue": {
        "task": "packages.sweep_index_queue",
        "schedule": INDEX_SWEEP_INTERVAL_SECONDS,
        "options": {"expires": INDEX_SWEEP_INTERVAL_SECONDS},
    },
    "sweep-orphan-blobs": {
        "task": "packages.sweep_orphan_blobs",
        "schedule": env_int("ORPHAN_SWEEP_INTERVAL_SECONDS", 3600),
        "options": {"expires": 600},
    },
    "verify-replicas": {
        "task": "packages.verify_replicas",
        "schedule": env_int("REGISTRY_INTEGRITY_INTERVAL_SECONDS", 600),
        "options": {"expires": 600},
    },
}
# How many stored copies one integrity-check run re-hashes.
REGISTRY_INTEGRITY_BATCH_SIZE = env_int("REGISTRY_INTEGRITY_BATCH_SIZE", 100)

# --- Archives (see packages_app.archives) -----------------------------------------------------------
ARCHIVE_MAX_ENTRIES = env_int("ARCHIVE_MAX_ENTRIES", 10_000)
ARCHIVE_MAX_TOTAL_SIZE = env_int("ARCHIVE_MAX_TOTAL_SIZE", 1024**3)
ARCHIVE_MAX_COMPRESSION_RATIO = env_int("ARCHIVE_MAX_COMPRESSION_RATIO", 200)

# --- Cache ----------------------------------------------------------------------------------------
# Locks that keep periodic jobs from overlapping and rate-limit counters must be shared by every
# process: use CACHE_URL, else REDIS_URL, else the broker when it is Redis. No API response is cached:
# reads carry ETags for clients to revalidate (docs/performance.md).
_broker_redis = CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else ""
REDIS_CACHE_URL = os.environ.get("CACHE_URL") or os.environ.get("REDIS_URL") or _broker_redis
if REDIS_CACHE_URL:
    # An unreachable Redis costs a request at most these timeouts per cache call, then the request
    # carries on without it: the rate limit fails open and periodic jobs skip their turn
    # (IGNORE_EXCEPTIONS, logged through DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS).
    _cache_socket_timeout = float(os.environ.get("CACHE_SOCKET_TIMEOUT", "1"))
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_CACHE_URL,
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": _cache_socket_timeout,
                "SOCKET_TIMEOUT": _cache_socket_timeout,
                "IGNORE_EXCEPTIONS": True,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True

# --- API ------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "registry.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "registry.permissions.TokenScopePermission",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "registry.api.renderers.RegistryBrowsableAPIRenderer",  # forms show what each method takes
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_METADATA_CLASS": "registry.api.metadata.RegistryMetadata",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "registry.api.exceptions.registry_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DATETIME_FORMAT": "%Y-%m-%dT%H:%M:%S.%fZ",
    "DEFAULT_THROTTLE_CLASSES": [
        "registry.throttling.TokenRateThrottle",
        "registry.throttling.AnonymousRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "token": os.environ.get("REGISTRY_RATE_TOKEN", "3000/minute"),
        "anon": os.environ.get("REGISTRY_RATE_ANON", "120/minute"),
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Package Registry API",
    "DESCRIPTION": (
        "Two compatible surfaces over one registry: the Credible-style admin API under `/api/v0/` and "
        "the Metabind-style API under `/v1/`. Authenticate with `Authorization: Bearer <token>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs pages are public and the same for everyone: serving them authenticates no one,
    # so they need no database (a session cookie or a token would otherwise be looked up there).
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One enum for the grant roles wherever a serializer names them (v0 permissions).
    "ENUM_NAME_OVERRIDES": {
        "GrantRoleEnum": "registry.models.Role",
        "OrganizationRoleEnum": "registry.api.v0.serializers.ORGANIZATION_ROLE_CHOICES",
        "ProjectRoleEnum": "registry.api.v0.serializers.PROJECT_ROLE_CHOICES",
        "ComponentTypeEnum": "components_app.models.ComponentType",
        "ComponentStatusEnum": "components_app.models.ComponentStatus",
        "MemberStatusEnum": ["admin", "member"],
        "PermissionStatusEnum": ["granted", "pending"],
        "PermissionDecisionEnum": ["granted", "refused"],
        "PermissionRefusedEnum": ["refused"],
    },
    # The errors any operation can answer (400/401/403/404/429/503, 413/507 on uploads), documented once.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "registry.api.schema_hooks.document_common_errors",
        "registry.api.schema_hooks.state_text_constraints",
    ],
}

# The function that compiles component source (see components_app.compiler for the contract): BindJS
# TypeScript by default; "components_app.compiler.comment_tag_compiler" is the registry's first format.
REGISTRY_COMPONENT_COMPILER = os.environ.get("REGISTRY_COMPONENT_COMPILER", "components_app.bindjs.compile_bindjs")
# Component assets (images, fonts, JSON): the largest file accepted, in bytes (FILE_TOO_LARGE above it).
REGISTRY_ASSET_MAX_BYTES = env_int("REGISTRY_ASSET_MAX_BYTES", 10 * 1024 * 1024)

# /readyz answers within this many seconds, a check that has not answered by then reported as "timeout".
REGISTRY_READYZ_TIMEOUT_SECONDS = env_float("REGISTRY_READYZ_TIMEOUT_SECONDS", 4)

# Tokens: how often (seconds) last-use is written, so authentication is not a write on every request.
REGISTRY_TOKEN_LAST_USED_RESOLUTION = env_int("REGISTRY_TOKEN_LAST_USED_RESOLUTION", 60)

LOGIN_URL = "/admin/login/"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "registry.request_id.RequestIdLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s request_id=%(request_id)s %(message)s"},
        # One JSON object per line, for log shippers (LOG_FORMAT=json; the default when DEBUG is off).
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"levelname": "level", "asctime": "time", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": os.environ.get("LOG_FORMAT", "plain" if DEBUG else "json"),
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}

if not DEBUG:
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
