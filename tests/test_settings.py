"""Settings from the environment: production values pass `check --deploy`, bad ones fail loudly,
and no error page or error report shows a secret."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory
from django.views.debug import ExceptionReporter

from project import environment
from project.errorreports import SecretHidingFilter
from sharelinks import conf

# The production environment of docs/configuration.md, with made-up hosts. No password is
# needed for `check`, which never connects to the database, the cache or the broker.
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "x7Hq2v9LmN4pR8sT1wY6zB3cF5gJ0kD-aE_uI9oP2lK4jH6gF8dS",
    "ALLOWED_HOSTS": "files.example.com",
    "SHARELINKS_BASE_URL": "https://files.example.com",
    "AWS_STORAGE_BUCKET_NAME": "example-shares",
    "AWS_S3_REGION_NAME": "eu-west-1",
    "SECURE_PROXY_SSL_HEADER": "true",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "SESSION_COOKIE_SECURE": "true",
    "CSRF_COOKIE_SECURE": "true",
    "DATABASE_URL": "postgres://sharelinks@db.internal:5432/sharelinks",
    "CACHE_URL": "redis://redis.internal:6379/1",
    "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "EMAIL_HOST": "smtp.example.com",
    "EMAIL_PORT": "587",
    "EMAIL_USE_TLS": "true",
    "DEFAULT_FROM_EMAIL": "sharelinks <files@example.com>",
    "SHARELINKS_PROXY_COUNT": "1",
    # No credentials at all, as on a host whose role is found at run time; no metadata
    # service is reachable here, so do not wait for one.
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": "/nonexistent",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
}


def manage(*args: str, env: dict, tmp_path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        env={"PATH": "/usr/bin:/bin", "SHARELINKS_DATA_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy(tmp_path):
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV, tmp_path=tmp_path
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


def test_the_documented_production_environment_is_the_one_tested():
    page = (Path(__file__).resolve().parent.parent / "docs" / "configuration.md").read_text()
    example = page.split("## A production environment")[1].split("```sh")[1].split("```")[0]
    documented = set(re.findall(r"\b([A-Z][A-Z0-9_]+)=", example))
    only_in_production = {"EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD"}  # real secrets
    only_in_tests = {"AWS_EC2_METADATA_DISABLED", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"}
    assert documented - only_in_production == set(PRODUCTION_ENV) - only_in_tests


def test_the_embedded_defaults_warn_about_https_under_check_deploy(tmp_path):
    env = {"AWS_STORAGE_BUCKET_NAME": "b", "SHARELINKS_BASE_URL": "http://127.0.0.1:8000"}
    result = manage("check", "--deploy", env=env, tmp_path=tmp_path)
    assert "security.W004" in result.stderr + result.stdout  # HSTS off
    assert "security.W008" in result.stderr + result.stdout  # no SSL redirect


def test_without_a_real_mail_backend_check_deploy_fails(tmp_path):
    # The embedded default prints emails: with DEBUG off every link email would be lost.
    env = {**PRODUCTION_ENV, "EMAIL_BACKEND": ""}
    result = manage("check", "--deploy", env=env, tmp_path=tmp_path)
    assert result.returncode == 1
    assert "sharelinks.E011" in result.stderr
    plain = manage("check", env=env, tmp_path=tmp_path)
    assert plain.returncode == 0
    assert "sharelinks.W005" in plain.stderr + plain.stdout
    assert "sharelinks.E011" not in plain.stderr + plain.stdout


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DEBUG", "maybe", "DEBUG='maybe': use true or false"),
        ("EMAIL_PORT", "twenty-five", "EMAIL_PORT='twenty-five': not a whole number"),
        ("EMAIL_PORT", "0", "EMAIL_PORT='0': must be 1 to 65535"),
        ("LOG_LEVEL", "verbose", "LOG_LEVEL='verbose': use one of: DEBUG, INFO, WARNING"),
        (
            "SHARELINKS_DEFAULT_LIFETIME",
            "a week",
            "SHARELINKS_DEFAULT_LIFETIME='a week': not a duration",
        ),
        ("SHARELINKS_MAX_LIFETIME", "0d", "SHARELINKS_MAX_LIFETIME='0d': must be a duration"),
        ("SHARELINKS_URL_TTL", "0", "SHARELINKS_URL_TTL='0': must be 1 to 604800 (seconds)"),
        ("SHARELINKS_URL_TTL", "604801", "SHARELINKS_URL_TTL='604801': must be 1 to 604800"),
        ("SHARELINKS_GUESS_WINDOW", "0", "SHARELINKS_GUESS_WINDOW='0': must be 1 to 86400"),
        ("SHARELINKS_GUESS_LIMIT", "-5", "SHARELINKS_GUESS_LIMIT='-5': must be 1 or more"),
        ("SHARELINKS_OBJECT_CHECK_RATE", "0", "SHARELINKS_OBJECT_CHECK_RATE='0': must be a"),
        ("SHARELINKS_SIGNER", "gcs", "SHARELINKS_SIGNER='gcs': use one of: s3, cloudfront"),
        ("SHARELINKS_BASE_URL", "files.example.com", "SHARELINKS_BASE_URL='files.example.com'"),
    ],
)
def test_a_bad_environment_value_stops_start_up_naming_the_variable(tmp_path, name, value, message):
    result = manage("check", env={name: value}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_every_bad_variable_is_named_at_once_and_no_secret_is_repeated():
    env = {
        "DEBUG": "maybe",
        "SHARELINKS_URL_TTL": "0",
        "DATABASE_URL": "postgres:/user:not-to-be-printed@db",  # one slash: not a URL
    }
    with pytest.raises(ImproperlyConfigured) as err:
        environment.read(env)
    lines = str(err.value).splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "DEBUG='maybe'",
        "DATABASE_URL (value hidden)",
        "SHARELINKS_URL_TTL='0'",
    ]
    assert "not-to-be-printed" not in str(err.value)


@pytest.mark.parametrize("setting", conf.SETTINGS, ids=lambda setting: setting.name)
def test_every_app_setting_is_read_from_the_environment(setting):
    # What the reference shows as the default parses back to the default...
    text = setting.kind.show(setting.default)
    assert (
        environment.read({f"SHARELINKS_{setting.name}": text})[f"SHARELINKS_{setting.name}"]
        == setting.default
    )
    # ...and an unset variable is the default.
    assert environment.read({})[f"SHARELINKS_{setting.name}"] == setting.default


def test_settings_py_sets_every_app_setting_from_the_environment(tmp_path):
    env = {
        "SHARELINKS_GUESS_LIMIT": "7",
        "SHARELINKS_UPLOAD_PREFIX": "incoming/",
        "SHARELINKS_MAX_RECIPIENTS": "3",
        "SHARELINKS_SIGNER": "CloudFront",
        "SHARELINKS_SOURCE_BUCKETS": "a-bucket, another",
        "SHARELINKS_BASE_URL": "https://files.example.com/",
    }
    code = (
        "import json; from project import settings as s; print(json.dumps({name: "
        "getattr(s, 'SHARELINKS_' + name) for name in ['GUESS_LIMIT', 'UPLOAD_PREFIX', "
        "'MAX_RECIPIENTS', 'SIGNER', 'SOURCE_BUCKETS', 'BASE_URL', 'URL_TTL']}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={"PATH": "/usr/bin:/bin", "SHARELINKS_DATA_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(result.stdout.splitlines()[-1]) == {
        "GUESS_LIMIT": 7,
        "UPLOAD_PREFIX": "incoming/",
        "MAX_RECIPIENTS": 3,
        "SIGNER": "cloudfront",
        "SOURCE_BUCKETS": ["a-bucket", "another"],
        "BASE_URL": "https://files.example.com",
        "URL_TTL": 60,
    }


def test_a_secret_key_is_made_once_and_kept_private(tmp_path):
    env = {"AWS_STORAGE_BUCKET_NAME": "b", "SHARELINKS_BASE_URL": "http://x"}
    manage("check", env=env, tmp_path=tmp_path)
    key_file = tmp_path / "secret_key"
    first = key_file.read_text()
    manage("check", env=env, tmp_path=tmp_path)
    assert key_file.read_text() == first
    assert len(first) >= 50
    assert key_file.stat().st_mode & 0o077 == 0


# Made-up secrets that must never appear on an error page or in an error report.
DATABASE_PASSWORD = "db-pw-4a1b"
BROKER_PASSWORD = "broker-pw-9c2d"


def test_the_filter_hides_urls_with_passwords_and_every_secret_setting(settings):
    settings.DATABASE_URL = f"postgres://sharelinks:{DATABASE_PASSWORD}@db.internal/sharelinks"
    settings.CACHE_URL = f"redis://:{BROKER_PASSWORD}@redis.internal:6379/1"
    settings.EMAIL_HOST_PASSWORD = "smtp-pw"
    safe = SecretHidingFilter().get_safe_settings()
    for name in ("DATABASE_URL", "CACHE_URL", "SECRET_KEY", "EMAIL_HOST_PASSWORD"):
        assert safe[name] == SecretHidingFilter.cleansed_substitute, name
    assert safe["SHARELINKS_CLOUDFRONT_PRIVATE_KEY"] == SecretHidingFilter.cleansed_substitute
    assert safe["SHARELINKS_BASE_URL"] == settings.SHARELINKS_BASE_URL  # not a secret


@pytest.mark.parametrize(
    ("key", "value", "shown"),
    [
        ("CELERY_BROKER_URL", "amqp://u:p@rabbit//", SecretHidingFilter.cleansed_substitute),
        ("CELERY_RESULT_BACKEND", "redis://:p@r/2", SecretHidingFilter.cleansed_substitute),
        (
            "CACHES",
            {"default": {"LOCATION": f"redis://:{BROKER_PASSWORD}@redis.internal:6379/1"}},
            {"default": {"LOCATION": "redis://:********************@redis.internal:6379/1"}},
        ),
        (
            "HTTP_X_ANYTHING",
            "rediss://user:p@ss@host/0",
            "rediss://user:********************@host/0",
        ),
        ("AWS_S3_ENDPOINT_URL", "https://s3.example.com:8443/x?u=a@b", None),
        ("DEFAULT_FROM_EMAIL", "sharelinks <files@example.com>", None),
    ],
)
def test_a_password_in_any_url_is_hidden_whatever_its_name(key, value, shown):
    assert SecretHidingFilter().cleanse_setting(key, value) == (value if shown is None else shown)


def test_an_error_report_shows_no_password(settings):
    settings.DATABASE_URL = f"postgres://sharelinks:{DATABASE_PASSWORD}@db.internal/sharelinks"
    request = RequestFactory().get("/", CELERY_BROKER_URL=f"redis://:{BROKER_PASSWORD}@r:6379/0")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        reporter = ExceptionReporter(request, *sys.exc_info())
    for report in (reporter.get_traceback_text(), reporter.get_traceback_html()):
        assert "DATABASE_URL" in report
        assert DATABASE_PASSWORD not in report
        assert BROKER_PASSWORD not in report


def test_a_bad_host_under_debug_shows_no_password(client, settings):
    # The page Django shows for DisallowedHost under DEBUG lists every setting and META.
    settings.DEBUG = True
    settings.DATABASE_URL = f"postgres://sharelinks:{DATABASE_PASSWORD}@db.internal/sharelinks"
    response = client.get(
        "/admin/",
        HTTP_HOST="attacker.example",
        CELERY_BROKER_URL=f"redis://:{BROKER_PASSWORD}@redis.internal:6379/0",
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "DisallowedHost" in page
    assert "DATABASE_URL" in page
    assert DATABASE_PASSWORD not in page
    assert BROKER_PASSWORD not in page


def test_every_documented_variable_is_read_by_settings_py():
    # A row in the reference that nothing reads would promise a setting that does nothing.
    source = (Path(__file__).resolve().parent.parent / "project" / "settings.py").read_text()
    unread = [s.name for s in environment.PROJECT_SETTINGS if f'ENV["{s.name}"]' not in source]
    assert unread == []


def test_production_settings_bound_every_wait_on_the_database_and_the_cache(tmp_path):
    script = (
        "import json; from django.conf import settings; "
        "print(json.dumps([settings.DATABASES['default']['OPTIONS'], "
        "settings.CACHES['default']['OPTIONS']]))"
    )
    result = manage("shell", "-c", script, env=PRODUCTION_ENV, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    database, cache = json.loads(result.stdout.strip().splitlines()[-1])
    assert database == {
        "options": "-c statement_timeout=15000",
        "connect_timeout": 3,
        "keepalives": 1,
        "keepalives_idle": 30,
        "keepalives_interval": 10,
        "keepalives_count": 3,
        "tcp_user_timeout": 10000,
    }
    assert cache == {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}


def test_a_database_url_keeps_its_own_parameters_and_options(tmp_path):
    env = {
        **PRODUCTION_ENV,
        "DATABASE_URL": "postgres://s@db/s?connect_timeout=7&options=-c%20lock_timeout%3D2000",
        "DATABASE_STATEMENT_TIMEOUT": "0",
    }
    script = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'])"
    result = manage("shell", "-c", script, env=env, tmp_path=tmp_path)
    assert "'connect_timeout': 7" in result.stdout
    assert "'options': '-c statement_timeout=0 -c lock_timeout=2000'" in result.stdout
