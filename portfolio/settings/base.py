"""Settings shared by every environment, read from environment variables.

The defaults run Cairn on one machine with nothing else installed: SQLite, media on disk and a
Celery broker on the file system. DATABASE_URL and REDIS_URL switch to PostgreSQL and Redis.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from .env import env_bool, env_int, env_list, env_str, postgres_options

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("CAIRN_VAR_DIR") or BASE_DIR / "var")

DEBUG = env_bool("DEBUG", default=False)
# Only for local runs: production.py refuses to start without a real key.
SECRET_KEY = env_str("SECRET_KEY") or "insecure-local-key-do-not-use-in-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sitemaps",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "outbox",
    "portfolio",
    "projects",
    "milestones",
    "tracking",
    "mlsync",
]

MIDDLEWARE = [
    # First, so that every error answer under /api/ (404, 405, 413, CSRF, 500) becomes JSON.
    "portfolio.api.views.JsonErrorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Before any view reads the body: an upload over the limit is refused from its length.
    "projects.uploads.UploadSizeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so that lockouts see the authenticated request.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portfolio.urls"
WSGI_APPLICATION = "portfolio.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portfolio.context_processors.background_work",
                "portfolio.context_processors.mentoring_first",
                "portfolio.context_processors.nav_section",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'cairn.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the worker writes; the timeout rides out short locks.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Short queries: no JIT compiling (settings/env.py). Behind a pooler that refuses startup
    # options, set CAIRN_PG_JIT=1 and `ALTER DATABASE ... SET jit = off` instead.
    DATABASES["default"]["OPTIONS"] = postgres_options(
        DATABASES["default"].get("OPTIONS", {}), jit=env_bool("CAIRN_PG_JIT", False)
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Argon2 first (memory-hard, the hasher Django's documentation recommends): as strong as
# PBKDF2's 1.5 million rounds at about a quarter of their time, which was most of a sign-in's
# server time. Passwords hashed by the others still verify and are rehashed at the next sign-in.
PASSWORD_HASHERS = [
    # Argon2id at OWASP's login parameters (portfolio/accounts/hashers.py).
    "portfolio.accounts.hashers.CairnArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "milestones:plan"
LOGOUT_REDIRECT_URL = "home"

# Login guessing: after AXES_FAILURE_LIMIT failures for one username from one address, that
# pair is locked out for AXES_COOLOFF_MINUTES.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
# Reverse proxies in front of the app (each appends to X-Forwarded-For); 0 trusts no header and
# reads the socket address. Lockouts and rate limits key on this client address.
CAIRN_PROXY_COUNT = env_int("AXES_PROXY_COUNT", 0)
if CAIRN_PROXY_COUNT < 0:
    raise ImproperlyConfigured(f"AXES_PROXY_COUNT must be 0 or more; got {CAIRN_PROXY_COUNT}")
AXES_CLIENT_IP_CALLABLE = "portfolio.security.clients.client_ip"
# Rate limits (portfolio/security/limits.py): (attempts, window in seconds). Counted in the
# cache; with the cache down they let requests through rather than fail them.
CAIRN_LIMIT_PASSWORD_CHANGE = (env_int("CAIRN_PASSWORD_CHANGE_GUESSES", 5), 15 * 60)
CAIRN_LIMIT_PASSWORD_RESET = (env_int("CAIRN_PASSWORD_RESET_EMAILS_PER_HOUR", 3), 60 * 60)
CAIRN_LIMIT_API = (env_int("CAIRN_API_REQUESTS_PER_MINUTE", 120), 60)
CAIRN_LIMIT_MLFLOW = (env_int("CAIRN_MLFLOW_REQUESTS_PER_MINUTE", 6000), 60)

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE") or "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    # Files that training code logs through the MLflow artifact endpoints: outside MEDIA_ROOT,
    # so that nothing serves them except the views that apply the visibility rule.
    "artifacts": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": Path(env_str("CAIRN_ARTIFACT_ROOT") or VAR_DIR / "artifacts"),
            "base_url": None,
        },
    },
}
# Without collectstatic, serve straight from the finders (local runs); production turns it off.
WHITENOISE_USE_FINDERS = True
# Pick up edited static files without a restart (a changed size would otherwise hang the browser).
WHITENOISE_AUTOREFRESH = True
warnings.filterwarnings("ignore", message="No directory at", module="whitenoise.base")

# Uploads of experiment results: the most one upload may carry, refused from its Content-Length
# before the body is read (projects/uploads.py), and checked again as each file arrives.
CAIRN_MAX_UPLOAD_BYTES = env_int("CAIRN_MAX_UPLOAD_MB", 200) * 1000 * 1000
# A run logged live whose last point is older than this (and that did not end) shows as stale:
# its process probably died (projects/live.py).
CAIRN_LIVE_STALE_SECONDS = env_int("CAIRN_LIVE_STALE_SECONDS", 600)
# MLflow stores (an mlruns folder or an mlflow.db file) that "Sync from MLflow" may read on the
# workers' machine: folders separated like PATH. Under production settings a store path outside
# them is refused, and none is allowed when it is empty (mlsync/sources/store_paths.py).
CAIRN_SYNC_STORE_ROOTS = [
    root for root in env_str("CAIRN_SYNC_STORE_ROOTS").split(os.pathsep) if root.strip()
]
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "projects.uploads.SizeLimitUploadHandler",
    "projects.uploads.MemoryUploadHandler",
    "projects.uploads.TemporaryUploadHandler",
]

# Email: printed to the console unless EMAIL_HOST names an SMTP server (EMAIL_BACKEND overrides).
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    _mail_options = {
        "host": EMAIL_HOST,
        "port": env_int("EMAIL_PORT", 587),
        "username": env_str("EMAIL_HOST_USER"),
        "password": env_str("EMAIL_HOST_PASSWORD"),
        "use_tls": env_bool("EMAIL_USE_TLS", default=True),
        "timeout": 20,
    }
    _mail_backend = "django.core.mail.backends.smtp.EmailBackend"
else:
    _mail_options = {}
    _mail_backend = "django.core.mail.backends.console.EmailBackend"
if env_str("EMAIL_BACKEND"):
    _mail_backend = env_str("EMAIL_BACKEND")
    if _mail_backend.endswith("filebased.EmailBackend"):
        _mail_options = {"file_path": env_str("EMAIL_FILE_PATH") or str(VAR_DIR / "mail")}
MAILERS = {"default": {"BACKEND": _mail_backend, "OPTIONS": _mail_options}}
del EMAIL_HOST
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or "Cairn <noreply@cairn.localhost>"
# Where links in emails point (invitations, notifications, digests): no trailing slash.
CAIRN_SITE_URL = (env_str("CAIRN_SITE_URL") or "http://127.0.0.1:8000").rstrip("/")

# Content Security Policy: scripts only from here with this response's nonce; no inline styles.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Celery: Redis when REDIS_URL is set, otherwise a broker on the local file system, so that the
# default run still has a separate worker process like production.
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_DIR = VAR_DIR / "celery"
if REDIS_URL:
    # CELERY_BROKER_URL may name another Redis than the cache's (tests stop their own broker).
    CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 15 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 14 * 60)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# The queue tasks go to when nothing else is said (a test worker listens on a queue of its own).
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE") or "celery"
# Imports that always end: every CAIRN_IMPORT_SWEEP_SECONDS (and whenever a worker starts) a
# sweep sends again queued imports older than CAIRN_IMPORT_STALE_SECONDS and running imports
# whose worker has not reported for that long (killed worker, broker outage).
CAIRN_IMPORT_SWEEP_SECONDS = env_int("CAIRN_IMPORT_SWEEP_SECONDS", 30)
CAIRN_IMPORT_STALE_SECONDS = env_int("CAIRN_IMPORT_STALE_SECONDS", 30)
# Points logged live (the MLflow endpoint) wait in an append table; every CAIRN_FOLD_SECONDS
# beat folds them into the columnar series (projects.appends), and at once when a run ends.
CAIRN_FOLD_SECONDS = env_int("CAIRN_FOLD_SECONDS", 30)
# Sync from MLflow (mlsync/): beat looks for due connections every CAIRN_SYNC_BEAT_SECONDS; each
# runs every schedule_minutes (15 by default). A sync asks for runs created or ended since the
# last success less CAIRN_SYNC_OVERLAP_SECONDS (clocks differ), waits CAIRN_SYNC_TIMEOUT_SECONDS
# for each answer, and after CAIRN_SYNC_NOTIFY_AFTER failures in a row the owner is told once.
# Saved credentials are encrypted with a key derived from CAIRN_SYNC_KEY (else SECRET_KEY).
CAIRN_SYNC_BEAT_SECONDS = env_int("CAIRN_SYNC_BEAT_SECONDS", 60)
CAIRN_SYNC_OVERLAP_SECONDS = env_int("CAIRN_SYNC_OVERLAP_SECONDS", 600)
CAIRN_SYNC_TIMEOUT_SECONDS = env_int("CAIRN_SYNC_TIMEOUT_SECONDS", 30)
CAIRN_SYNC_NOTIFY_AFTER = env_int("CAIRN_SYNC_NOTIFY_AFTER", 3)
CAIRN_SYNC_KEY = env_str("CAIRN_SYNC_KEY")
# Celery beat (`celery -A portfolio beat`, one per deployment; `make run` embeds it in its
# worker) sends the daily digests at CAIRN_DIGEST_HOUR, in TIME_ZONE.
CAIRN_DIGEST_HOUR = env_int("CAIRN_DIGEST_HOUR", 7)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "daily-digests": {
        "task": "portfolio.tasks.send_daily_digests",
        "schedule": crontab(minute=0, hour=CAIRN_DIGEST_HOUR),
    },
    # Tasks written to the outbox while the broker was down go out once it is back.
    "drain-outbox": {"task": "outbox.tasks.drain_outbox", "schedule": 60.0},
    "requeue-stalled-imports": {
        "task": "projects.tasks.requeue_stalled_imports",
        "schedule": float(CAIRN_IMPORT_SWEEP_SECONDS),
        # A sweep that waited longer than the next one is useless: drop it.
        "options": {"expires": float(CAIRN_IMPORT_SWEEP_SECONDS)},
    },
    "fold-pending-points": {
        "task": "projects.tasks.fold_pending_points",
        "schedule": float(CAIRN_FOLD_SECONDS),
        "options": {"expires": float(CAIRN_FOLD_SECONDS)},
    },
    "sync-trackers": {
        "task": "mlsync.tasks.sync_due_connections",
        "schedule": float(CAIRN_SYNC_BEAT_SECONDS),
        "options": {"expires": float(CAIRN_SYNC_BEAT_SECONDS)},
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

if REDIS_URL:
    # The cache is a help, never a need (portfolio/public/cache.py): with Redis down, a call
    # fails at once or within these timeouts, and the page is built without it.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
else:
    # On disk, not in process memory: the web server and the worker share it, so a change a
    # worker makes (an import finishing) reaches the cached public pages of the web process.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "OPTIONS": {"MAX_ENTRIES": 10000},
        }
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL") or "INFO"},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
IS_PRODUCTION = False
AXES_VERBOSE = False
