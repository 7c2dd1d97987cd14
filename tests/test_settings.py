"""Settings from the environment: production values pass `check --deploy`, bad ones fail loudly."""

import subprocess
import sys

import pytest

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


def test_the_embedded_defaults_warn_about_https_under_check_deploy(tmp_path):
    env = {"AWS_STORAGE_BUCKET_NAME": "b", "SHARELINKS_BASE_URL": "http://127.0.0.1:8000"}
    result = manage("check", "--deploy", env=env, tmp_path=tmp_path)
    assert "security.W004" in result.stderr + result.stdout  # HSTS off
    assert "security.W008" in result.stderr + result.stdout  # no SSL redirect


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DEBUG", "maybe", "DEBUG='maybe': use true or false"),
        ("EMAIL_PORT", "twenty-five", "EMAIL_PORT='twenty-five' is not a whole number"),
        (
            "SHARELINKS_DEFAULT_LIFETIME",
            "a week",
            "SHARELINKS_DEFAULT_LIFETIME: 'a week' is not a duration",
        ),
    ],
)
def test_a_bad_environment_value_names_the_variable(tmp_path, name, value, message):
    result = manage("check", env={name: value}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert message in result.stderr


def test_a_secret_key_is_made_once_and_kept_private(tmp_path):
    env = {"AWS_STORAGE_BUCKET_NAME": "b", "SHARELINKS_BASE_URL": "http://x"}
    manage("check", env=env, tmp_path=tmp_path)
    key_file = tmp_path / "secret_key"
    first = key_file.read_text()
    manage("check", env=env, tmp_path=tmp_path)
    assert key_file.read_text() == first
    assert len(first) >= 50
    assert key_file.stat().st_mode & 0o077 == 0
