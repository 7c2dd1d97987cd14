"""The environment variables project/settings.py reads, each with its kind, default and doc.

Django's and the infrastructure's variables are here; the app's SHARELINKS_* ones are in
sharelinks.conf. Both tables are read together by read(), and docs/configuration.md is
generated from both (`python -m project.configdoc`).
"""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from sharelinks import conf
from sharelinks.settingtypes import (
    Bool,
    Choice,
    Int,
    Names,
    Rate,
    Setting,
    Str,
    Url,
    read_environment,
    table,
)

BASE_DIR = Path(__file__).resolve().parent.parent
YEAR = 31536000

PROJECT_SETTINGS = table(
    "Django",
    Setting("DEBUG", Bool(), False,
            "`true` only for development: error pages show settings and code."),
    # A per-install random key keeps `make run` free of configuration without ever shipping
    # a known key; several web hosts behind a load balancer must share one instead.
    Setting("SECRET_KEY", Str(), "",
            "Django's signing key; set it, the same on every web host, in production.",
            secret=True, default_doc="made once, kept in `$SHARELINKS_DATA_DIR/secret_key`"),
    Setting("ALLOWED_HOSTS", Names(), ("localhost", "127.0.0.1", "[::1]"),
            "Host names the app answers to."),
    Setting("CSRF_TRUSTED_ORIGINS", Names(), (),
            "Origins trusted for the admin's forms besides `SHARELINKS_BASE_URL`'s own."),
    Setting("LANGUAGE_CODE", Choice("en", "ja"), "en",
            "The default language of link emails (staff choose per share) and of owners' emails."),
    Setting("TIME_ZONE", Str(), "UTC",
            "The zone dates are shown in when staff's browsers do not say, and beat's schedule."),
    Setting("LOG_LEVEL", Choice("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"), "INFO",
            "Root log level; share codes are redacted from every log line."),
    Setting("SHARELINKS_DATA_DIR", Str(), str(BASE_DIR / "var"),
            "Where the SQLite database and the generated secret key live.", default_doc="`var/`"),
    "Database and cache",
    Setting("DATABASE_URL", Url(), "", "The database, e.g. `postgres://user:pass@db:5432/sharelinks`.",
            secret=True, default_doc="SQLite file `var/db.sqlite3` (WAL)"),
    Setting("CONN_MAX_AGE", Int(0, 3600, "seconds"), 600,
            "How long a database connection is kept for the next request."),
    Setting("DATABASE_CONNECT_TIMEOUT", Int(2, 60, "seconds"), 3,
            "PostgreSQL: longest wait for a new connection (libpq's minimum is 2)."),
    # Migrations rewrite whole tables: `manage.py migrate` lifts the limit for itself.
    Setting("DATABASE_STATEMENT_TIMEOUT", Int(0, 86400, "seconds"), 15,
            "PostgreSQL: the server cancels a statement running longer (0: never); "
            "`migrate` runs without it."),
    Setting("CACHE_URL", Url(), "",
            "`redis://...`: the sign-in lock and guess limit then hold across processes (`W006`).",
            secret=True, default_doc="memory of each process"),
    Setting("CACHE_SOCKET_TIMEOUT", Rate("seconds"), 0.5,
            "Redis: longest wait to connect or for an answer; a cache that fails is skipped "
            "for 10 s."),
    "Object storage",
    Setting("AWS_STORAGE_BUCKET_NAME", Str(), "",
            "The bucket uploads go to and shares come from by default (required)."),
    Setting("AWS_S3_REGION_NAME", Str(), "", "The bucket's region.",
            default_doc="`AWS_DEFAULT_REGION`"),
    Setting("AWS_DEFAULT_REGION", Str(), "us-east-1",
            "botocore's own default region, used when `AWS_S3_REGION_NAME` is not set."),
    Setting("AWS_S3_ENDPOINT_URL", Url(), None,
            "For S3-compatible stores (MinIO, Ceph RGW, ...); unset for Amazon S3.",
            default_doc="Amazon S3"),
    Setting("AWS_S3_ADDRESSING_STYLE", Choice("auto", "path", "virtual"), None,
            "How the bucket appears in URLs.", default_doc="botocore's choice"),
    Setting("AWS_S3_CUSTOM_DOMAIN", Str(), None,
            "Only with CloudFront signing (`sharelinks.E005`): URLs on it are unsigned otherwise.",
            default_doc="none"),
    "Celery",
    Setting("CELERY_BROKER_URL", Url(), None, "`redis://...` or `amqp://...`; unset: tasks run "
            "inside the web process.", secret=True, default_doc="unset (eager)"),
    Setting("CELERY_TASK_DEFAULT_QUEUE", Str(), "sharelinks",
            "The queue; give each deployment its own when they share a broker."),
    "Email",
    Setting("EMAIL_BACKEND", Str(), "django.core.mail.backends.console.EmailBackend",
            "`django.core.mail.backends.smtp.EmailBackend` in production (`sharelinks.E011`).",
            default_doc="console (prints emails)"),
    Setting("EMAIL_HOST", Str(), "localhost", "The SMTP server."),
    Setting("EMAIL_PORT", Int(1, 65535), 25, "Its port (587 with STARTTLS, 465 with TLS)."),
    Setting("EMAIL_HOST_USER", Str(), "", "SMTP user name, if the server wants one."),
    Setting("EMAIL_HOST_PASSWORD", Str(), "", "Its password.", secret=True),
    Setting("EMAIL_USE_TLS", Bool(), False, "STARTTLS on a plain connection (port 587)."),
    Setting("EMAIL_USE_SSL", Bool(), False,
            "TLS from the start (port 465); not with `EMAIL_USE_TLS` (`sharelinks.E012`)."),
    Setting("EMAIL_TIMEOUT", Int(1, 600, "seconds"), 30, "Per SMTP socket operation."),
    Setting("DEFAULT_FROM_EMAIL", Str(), "sharelinks <noreply@localhost>",
            "The From address (Reply-To is the share's owner)."),
    "HTTPS",
    Setting("SECURE_PROXY_SSL_HEADER", Bool(), False,
            "Trust `X-Forwarded-Proto: https` from the TLS-terminating load balancer."),
    Setting("SECURE_SSL_REDIRECT", Bool(), False, "Redirect plain HTTP to HTTPS."),
    Setting("SECURE_HSTS_SECONDS", Int(0, 2 * YEAR, "seconds"), 0,
            "HSTS max-age; 31536000 (a year) in production."),
    Setting("SECURE_HSTS_INCLUDE_SUBDOMAINS", Bool(), False, "HSTS for subdomains too."),
    Setting("SECURE_HSTS_PRELOAD", Bool(), False, "Ask browsers to preload HSTS."),
    Setting("SESSION_COOKIE_SECURE", Bool(), False, "The staff session cookie over HTTPS only."),
    Setting("CSRF_COOKIE_SECURE", Bool(), False, "The CSRF cookie over HTTPS only."),
)  # fmt: skip


def read(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """Every variable of both tables, parsed, else its default: {"DEBUG": False, ...}.

    Raises one ImproperlyConfigured naming every bad variable, so start-up stops before
    anything runs on a value that was mistyped.
    """
    values, problems = read_environment(PROJECT_SETTINGS, environ)
    app_values, app_problems = read_environment(conf.SETTINGS, environ, prefix="SHARELINKS_")
    if problems or app_problems:
        raise ImproperlyConfigured("\n".join(problems + app_problems))
    return {**values, **app_values}
