"""Settings for sharelinks, read once from the environment.

Every value has an embedded default that runs on one machine with nothing installed
(SQLite, a local S3-compatible server, eager Celery, console email); production sets the
variables of docs/configuration.md. What each variable accepts and its default are written
once, in project.environment (Django's and the infrastructure's) and sharelinks.conf (the
app's SHARELINKS_*); a bad value stops start-up with a message naming it. The app reads its
own SHARELINKS_* values through sharelinks.conf, never from os.environ.
"""

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from project import database, environment, logconfig
from sharelinks import conf

BASE_DIR = environment.BASE_DIR
ENV = environment.read()
DATA_DIR = Path(ENV["SHARELINKS_DATA_DIR"])

# Every SHARELINKS_* setting: from the environment, else its default in sharelinks.conf.
for _setting in conf.SETTINGS:
    globals()[f"SHARELINKS_{_setting.name}"] = ENV[f"SHARELINKS_{_setting.name}"]


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one made once and kept beside the database.

    A per-install random key keeps `make run` free of configuration without ever shipping
    a known key; several web hosts behind a load balancer must share SECRET_KEY instead.
    """
    if ENV["SECRET_KEY"]:
        return ENV["SECRET_KEY"]
    path = DATA_DIR / "secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


DEBUG = ENV["DEBUG"]
SECRET_KEY = _secret_key()
ALLOWED_HOSTS = list(ENV["ALLOWED_HOSTS"])

CSRF_TRUSTED_ORIGINS = list(ENV["CSRF_TRUSTED_ORIGINS"])
if ENV["SHARELINKS_BASE_URL"]:
    _base = urlsplit(ENV["SHARELINKS_BASE_URL"])
    CSRF_TRUSTED_ORIGINS.append(f"{_base.scheme}://{_base.netloc}")

# Error pages (DEBUG) and error reports hide secrets: every setting the tables mark secret
# and the password in any URL, wherever it appears (DATABASE_URL, CACHES, request.META).
DEFAULT_EXCEPTION_REPORTER_FILTER = "project.errorreports.SecretHidingFilter"

INSTALLED_APPS = [
    "sharelinks.apps.AdminConfig",  # django.contrib.admin, with sharelinks' own site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_celery_beat",
    "sharelinks",
]

MIDDLEWARE = [
    "sharelinks.middleware.HealthCheckMiddleware",
    "sharelinks.middleware.RecipientHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "sharelinks.middleware.StaffTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: PostgreSQL in production, a SQLite file by default (project.database: how long
# each wait may last, and how SQLite is opened).
DATABASE_URL = ENV["DATABASE_URL"] or f"sqlite:///{DATA_DIR / 'db.sqlite3'}"
DATABASES = {
    "default": database.default(
        DATABASE_URL,
        conn_max_age=ENV["CONN_MAX_AGE"],
        connect_timeout=ENV["DATABASE_CONNECT_TIMEOUT"],
        statement_timeout=ENV["DATABASE_STATEMENT_TIMEOUT"],
        data_dir=DATA_DIR,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if ENV["CACHE_URL"]:
    # redis-py waits forever by default. A cache that does not answer in time is skipped
    # where the app can do without it (sharelinks.softcache).
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": ENV["CACHE_URL"],
        "OPTIONS": {
            "socket_connect_timeout": ENV["CACHE_SOCKET_TIMEOUT"],
            "socket_timeout": ENV["CACHE_SOCKET_TIMEOUT"],
        },
    }

# Staff passwords guard every share: repeated wrong ones lock the username for a while.
AUTHENTICATION_BACKENDS = ["sharelinks.auth.ThrottledModelBackend"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = ENV["LANGUAGE_CODE"]
# Recipients' pages follow Accept-Language (or the page's own switch); link emails use the
# language staff pick per share; the admin follows the staff member's browser.
LANGUAGES = [("en", "English"), ("ja", "日本語")]
LOCALE_PATHS = [BASE_DIR / "sharelinks" / "locale"]
TIME_ZONE = ENV["TIME_ZONE"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# Object storage. The app's one seam to AWS (sharelinks.aws) reads these; uploads go through
# django-storages with the same values. Credentials are deliberately absent: boto3's default
# chain finds an IAM role (and refreshes it), SSO, a profile or environment keys by itself.
AWS_STORAGE_BUCKET_NAME = ENV["AWS_STORAGE_BUCKET_NAME"]
AWS_S3_REGION_NAME = ENV["AWS_S3_REGION_NAME"] or ENV["AWS_DEFAULT_REGION"]
AWS_S3_ENDPOINT_URL = ENV["AWS_S3_ENDPOINT_URL"]
AWS_S3_ADDRESSING_STYLE = ENV["AWS_S3_ADDRESSING_STYLE"]
AWS_S3_SIGNATURE_VERSION = "s3v4"
AWS_QUERYSTRING_AUTH = True
AWS_DEFAULT_ACL = None
AWS_S3_FILE_OVERWRITE = False
AWS_S3_CUSTOM_DOMAIN = ENV["AWS_S3_CUSTOM_DOMAIN"]

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = DATA_DIR / "media"

# Celery: without a broker, tasks run in-process (eager), which is what `make run` and the
# unit tests want; production points CELERY_BROKER_URL at Redis or RabbitMQ.
CELERY_BROKER_URL = ENV["CELERY_BROKER_URL"]
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
# The queue this deployment's web processes publish to and its workers consume; give each
# deployment (staging, production) its own name when they share one broker.
CELERY_TASK_DEFAULT_QUEUE = ENV["CELERY_TASK_DEFAULT_QUEUE"]
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
# Late acks: a task is acknowledged when it has run, not when it starts, so a worker that
# dies mid-task leaves it to another. Safe only because every task is idempotent (the
# outbox claims its row; the periodic jobs re-read the state they act on).
CELERY_TASK_ACKS_LATE = True
# A worker process killed mid-task (OOM, SIGKILL) gives the message back instead of
# acking it; late acks alone would count a crash as done.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# One message at a time per process: a worker waiting on a slow mail server must not sit
# on prefetched emails that an idle worker could send.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# No task may hang a worker: the soft limit raises inside the task, the hard one kills
# it. An SMTP send is bounded by EMAIL_TIMEOUT per socket operation, far below these; the
# outbox's claim lease (10 minutes) must stay above the hard limit.
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_TIME_LIMIT = 300
# The two long jobs. The broken-share check HEADs OBJECT_CHECK_BATCH objects at
# OBJECT_CHECK_RATE per second (50 s by default); the purge stops between batches before
# its soft limit and the next run goes on. Every hard limit stays below RabbitMQ's default
# consumer_timeout (1800 s), past which the server drops a consumer holding an unacked task.
CELERY_TASK_ANNOTATIONS = {
    "sharelinks.tasks.clicks_purge": {"soft_time_limit": 1500, "time_limit": 1560},
    "sharelinks.tasks.objects_check": {"soft_time_limit": 840, "time_limit": 900},
}
CELERY_LONGEST_TASK = max(
    [CELERY_TASK_TIME_LIMIT, *(limits["time_limit"] for limits in CELERY_TASK_ANNOTATIONS.values())]
)
# Email retries (SHARELINKS_EMAIL_*) back off from the delay to the maximum. A retry waits
# unacked in a worker for its countdown and then runs, so with the defaults the maximum plus
# CELERY_TASK_TIME_LIMIT (1200 + 300) stays below RabbitMQ's default consumer_timeout too.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Redis redelivers a message not acked within this many seconds, so it must exceed the
    # longest a message stays unacked: a retry's countdown plus its run, or the longest
    # job; otherwise a second worker gets it while the first still holds it.
    "visibility_timeout": max(
        ENV["SHARELINKS_EMAIL_RETRY_MAX"] + CELERY_TASK_TIME_LIMIT, CELERY_LONGEST_TASK
    )
    + 600,
    # Publishing happens on commit of a click or a staff request: one connection attempt,
    # then give up (the row stays pending and the sweeper publishes it later). Without
    # this kombu keeps reconnecting for seconds while the recipient waits for the file.
    "max_retries": 0,
    # Redis: a broker that accepts the connection and then says nothing (stuck in a fork,
    # a half-dead proxy) holds each command this long. RabbitMQ's connection and handshake
    # are bounded by CELERY_BROKER_CONNECTION_TIMEOUT below; a publish only writes.
    "socket_connect_timeout": 2,
    "socket_timeout": 2,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY = False
# Workers and beat, unlike web requests, should wait for a broker that is still starting.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Schedules live in the database (django-celery-beat), so staff see and edit them in the
# admin; sharelinks' migration 0003 registers the defaults once.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_IGNORE_RESULT = True

EMAIL_BACKEND = ENV["EMAIL_BACKEND"]
EMAIL_HOST = ENV["EMAIL_HOST"]
EMAIL_PORT = ENV["EMAIL_PORT"]
EMAIL_HOST_USER = ENV["EMAIL_HOST_USER"]
EMAIL_HOST_PASSWORD = ENV["EMAIL_HOST_PASSWORD"]
EMAIL_USE_TLS = ENV["EMAIL_USE_TLS"]
EMAIL_USE_SSL = ENV["EMAIL_USE_SSL"]
EMAIL_TIMEOUT = ENV["EMAIL_TIMEOUT"]
DEFAULT_FROM_EMAIL = ENV["DEFAULT_FROM_EMAIL"]
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# HTTPS hardening. Off by default so the embedded setup works over plain HTTP; the
# production environment of docs/configuration.md turns each on, and
# `manage.py check --deploy` is then clean.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if ENV["SECURE_PROXY_SSL_HEADER"] else None
)
SECURE_SSL_REDIRECT = ENV["SECURE_SSL_REDIRECT"]
SECURE_HSTS_SECONDS = ENV["SECURE_HSTS_SECONDS"]
SECURE_HSTS_INCLUDE_SUBDOMAINS = ENV["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
SECURE_HSTS_PRELOAD = ENV["SECURE_HSTS_PRELOAD"]
SESSION_COOKIE_SECURE = ENV["SESSION_COOKIE_SECURE"]
CSRF_COOKIE_SECURE = ENV["CSRF_COOKIE_SECURE"]
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = logconfig.logging_config(ENV["LOG_LEVEL"])
