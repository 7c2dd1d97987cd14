"""Settings for sharelinks, read once from the environment.

Every value has an embedded default that runs on one machine with nothing installed
(SQLite, a local S3-compatible server, eager Celery, console email); production sets the
environment variables documented in the README. The app reads its own SHARELINKS_*
values through sharelinks.conf, never from os.environ.
"""

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from sharelinks.durations import parse_duration

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("SHARELINKS_DATA_DIR", BASE_DIR / "var"))


def env(name: str, default: str = "") -> str:
    """One environment variable, stripped; empty means unset."""
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    """A yes/no variable; anything unexpected fails loudly rather than guessing."""
    value = env(name).lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r}: use true or false")


def env_int(name: str, default: int) -> int:
    """An integer variable, named in the error when it is not one."""
    value = env(name)
    try:
        return int(value) if value else default
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number") from None


def env_list(name: str, default: str) -> list[str]:
    """A comma-separated variable."""
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def env_duration(name: str, default: str):
    """A duration such as 7d or 36h (see sharelinks.durations)."""
    try:
        return parse_duration(env(name) or default)
    except ValueError as err:
        raise ImproperlyConfigured(f"{name}: {err}") from None


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one made once and kept beside the database.

    A per-install random key keeps `make run` free of configuration without ever shipping
    a known key; several web hosts behind a load balancer must share SECRET_KEY instead.
    """
    if env("SECRET_KEY"):
        return env("SECRET_KEY")
    path = DATA_DIR / "secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

SHARELINKS_BASE_URL = env("SHARELINKS_BASE_URL").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
if SHARELINKS_BASE_URL:
    _base = urlsplit(SHARELINKS_BASE_URL)
    CSRF_TRUSTED_ORIGINS.append(f"{_base.scheme}://{_base.netloc}")

INSTALLED_APPS = [
    "django.contrib.admin",
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

# Database: PostgreSQL in production, a SQLite file by default. Connections persist
# (CONN_MAX_AGE) because opening a PostgreSQL connection per request costs more than the
# whole click; health checks drop a connection the server has closed.
DATABASE_URL = env("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'db.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock when a
    # transaction starts, so concurrent clicks queue (busy timeout) instead of failing
    # with "database is locked" when a read lock is upgraded mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Tests use a file too: concurrent clicks from several threads need real SQLite
    # locking, which an in-memory shared-cache database does not have.
    # One file per test process, so two runs side by side never share a database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-db-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if env("CACHE_URL"):
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env("CACHE_URL"),
    }

# Staff passwords guard every share: repeated wrong ones lock the username for a while.
AUTHENTICATION_BACKENDS = ["sharelinks.auth.ThrottledModelBackend"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = env("LANGUAGE_CODE", "en")
# Recipients' pages follow Accept-Language (or the page's own switch); link emails use the
# language staff pick per share; the admin follows the staff member's browser.
LANGUAGES = [("en", "English"), ("ja", "日本語")]
LOCALE_PATHS = [BASE_DIR / "sharelinks" / "locale"]
TIME_ZONE = env("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# Object storage. The app's one seam to AWS (sharelinks.aws) reads these; uploads go through
# django-storages with the same values. Credentials are deliberately absent: boto3's default
# chain finds an IAM role (and refreshes it), SSO, a profile or environment keys by itself.
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME")
AWS_S3_REGION_NAME = env("AWS_S3_REGION_NAME") or env("AWS_DEFAULT_REGION") or "us-east-1"
AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL") or None
AWS_S3_ADDRESSING_STYLE = env("AWS_S3_ADDRESSING_STYLE") or None
AWS_S3_SIGNATURE_VERSION = "s3v4"
AWS_QUERYSTRING_AUTH = True
AWS_DEFAULT_ACL = None
AWS_S3_FILE_OVERWRITE = False
AWS_S3_CUSTOM_DOMAIN = env("AWS_S3_CUSTOM_DOMAIN") or None

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

SHARELINKS_URL_TTL = env_int("SHARELINKS_URL_TTL", 60)
SHARELINKS_CREDENTIALS_MARGIN = env_int("SHARELINKS_CREDENTIALS_MARGIN", 30)
SHARELINKS_URL_TTL_MIN = env_int("SHARELINKS_URL_TTL_MIN", 5)
# Who signs the redirect: "s3" (presigned with the server's AWS credentials) or "cloudfront"
# (signed with a CloudFront key pair; the private key as PEM text or a file).
SHARELINKS_SIGNER = env("SHARELINKS_SIGNER", "s3").lower()
SHARELINKS_CLOUDFRONT_DOMAIN = env("SHARELINKS_CLOUDFRONT_DOMAIN")
SHARELINKS_CLOUDFRONT_KEY_ID = env("SHARELINKS_CLOUDFRONT_KEY_ID")
SHARELINKS_CLOUDFRONT_PRIVATE_KEY = env("SHARELINKS_CLOUDFRONT_PRIVATE_KEY")
SHARELINKS_CLOUDFRONT_PRIVATE_KEY_FILE = env("SHARELINKS_CLOUDFRONT_PRIVATE_KEY_FILE")
SHARELINKS_DEFAULT_LIFETIME = env_duration("SHARELINKS_DEFAULT_LIFETIME", "7d")
SHARELINKS_MAX_LIFETIME = env_duration("SHARELINKS_MAX_LIFETIME", "90d")
SHARELINKS_PROXY_COUNT = env_int("SHARELINKS_PROXY_COUNT", 0)
SHARELINKS_SOURCE_BUCKETS = env_list("SHARELINKS_SOURCE_BUCKETS", "")
SHARELINKS_LOGIN_FAILURE_LIMIT = env_int("SHARELINKS_LOGIN_FAILURE_LIMIT", 10)
SHARELINKS_LOGIN_FAILURE_WINDOW = env_int("SHARELINKS_LOGIN_FAILURE_WINDOW", 900)
SHARELINKS_VERIFY_OBJECT_ON_CLICK = env_bool("SHARELINKS_VERIFY_OBJECT_ON_CLICK", True)
SHARELINKS_VERIFY_OBJECT_CACHE = env_int("SHARELINKS_VERIFY_OBJECT_CACHE", 300)

# Celery: without a broker, tasks run in-process (eager), which is what `make run` and the
# unit tests want; production points CELERY_BROKER_URL at Redis or RabbitMQ.
CELERY_BROKER_URL = env("CELERY_BROKER_URL") or None
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
# The queue this deployment's web processes publish to and its workers consume; give each
# deployment (staging, production) its own name when they share one broker.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", "sharelinks")
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
# Email retries (sharelinks.mail): attempts, and the backoff that doubles from the delay
# to the maximum (seconds), with jitter. A retry waits unacked in a worker for its
# countdown and then runs, so the maximum plus CELERY_TASK_TIME_LIMIT (1200 + 300) stays
# below RabbitMQ's default consumer_timeout too.
SHARELINKS_EMAIL_MAX_ATTEMPTS = env_int("SHARELINKS_EMAIL_MAX_ATTEMPTS", 6)
SHARELINKS_EMAIL_RETRY_DELAY = env_int("SHARELINKS_EMAIL_RETRY_DELAY", 30)
SHARELINKS_EMAIL_RETRY_MAX = env_int("SHARELINKS_EMAIL_RETRY_MAX", 1200)
SHARELINKS_OUTBOX_SWEEP_AFTER = env_int("SHARELINKS_OUTBOX_SWEEP_AFTER", 120)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Redis redelivers a message not acked within this many seconds, so it must exceed the
    # longest a message stays unacked: a retry's countdown plus its run, or the longest
    # job; otherwise a second worker gets it while the first still holds it.
    "visibility_timeout": max(
        SHARELINKS_EMAIL_RETRY_MAX + CELERY_TASK_TIME_LIMIT, CELERY_LONGEST_TASK
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

# Periodic upkeep (sharelinks.maintenance).
SHARELINKS_EXPIRY_REMINDER = env_duration("SHARELINKS_EXPIRY_REMINDER", "1d")
SHARELINKS_CLICK_RETENTION_DAYS = env_int("SHARELINKS_CLICK_RETENTION_DAYS", 90)
SHARELINKS_OBJECT_CHECK_BATCH = env_int("SHARELINKS_OBJECT_CHECK_BATCH", 500)

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "sharelinks <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# HTTPS hardening. Off by default so the embedded setup works over plain HTTP; the README's
# production environment turns each on, and `manage.py check --deploy` is then clean.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("SECURE_PROXY_SSL_HEADER", False) else None
)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", False)
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # A share code is a bearer secret: every path under /s/ is redacted before any record
    # (runserver's access log, Django's "Gone: /s/..." warnings) reaches a handler.
    "filters": {"redact_share_codes": {"()": "sharelinks.logfilters.RedactShareCodes"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "level": env("LOG_LEVEL", "INFO"),
            "filters": ["redact_share_codes"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own handler on "django" (DEBUG only) would print unredacted paths.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "botocore": {"level": "WARNING"},
    },
}
