"""System checks: each misconfiguration is named at `manage.py check`, with a fix."""

from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from sharelinks import checks, mailchecks
from tests.credentials import cloudfront_pem


def ids(messages) -> list[str]:
    return [message.id for message in messages]


def checks_run():
    """Every registered check, as `manage.py check --deploy` runs them."""
    from django.core.checks import run_checks

    return run_checks(include_deployment_checks=True)


def test_no_bucket_is_an_error(settings):
    settings.AWS_STORAGE_BUCKET_NAME = ""
    [error] = checks.check_bucket()
    assert error.id == "sharelinks.E001"
    assert "AWS_STORAGE_BUCKET_NAME" in error.hint


def test_url_ttl_outside_sigv4_range_is_an_error(settings):
    for ttl in (0, 604801, "60"):
        settings.SHARELINKS_URL_TTL = ttl
        [error] = checks.check_url_ttl()
        assert error.id == "sharelinks.E002"
        assert "7 days" in error.hint


def test_url_ttl_within_range_passes(settings):
    settings.SHARELINKS_URL_TTL = 60
    assert checks.check_url_ttl() == []
    assert checks.check_url_ttl_short() == []


def test_url_ttl_above_an_hour_is_a_warning(settings):
    settings.SHARELINKS_URL_TTL = 3601
    [warning] = checks.check_url_ttl_short()
    assert warning.id == "sharelinks.W002"
    assert "60 s is plenty" in warning.hint
    settings.SHARELINKS_URL_TTL = 604801  # E002's business, not a second message
    assert checks.check_url_ttl_short() == []


def test_unset_base_url_is_a_warning(settings):
    settings.SHARELINKS_BASE_URL = ""
    [warning] = checks.check_base_url()
    assert warning.id == "sharelinks.W001"
    assert "https://files.example.com" in warning.hint


def test_signature_version_other_than_s3v4_is_an_error(settings):
    settings.AWS_S3_SIGNATURE_VERSION = "s3"
    [error] = checks.check_signature_version()
    assert error.id == "sharelinks.E003"
    assert error.hint == 'Set AWS_S3_SIGNATURE_VERSION = "s3v4".'
    settings.AWS_S3_SIGNATURE_VERSION = "s3v4"
    assert checks.check_signature_version() == []


def test_querystring_auth_off_is_an_error(settings):
    settings.AWS_QUERYSTRING_AUTH = False
    [error] = checks.check_querystring_auth()
    assert error.id == "sharelinks.E004"
    assert "AWS_QUERYSTRING_AUTH = True" in error.hint


def test_custom_domain_without_cloudfront_signing_is_an_error(settings):
    settings.AWS_S3_CUSTOM_DOMAIN = "cdn.example.com"
    [error] = checks.check_custom_domain()
    assert error.id == "sharelinks.E005"
    assert "SHARELINKS_SIGNER=cloudfront" in error.hint


def test_custom_domain_signed_by_cloudfront_passes(settings):
    settings.AWS_S3_CUSTOM_DOMAIN = "cdn.example.com"
    settings.SHARELINKS_SIGNER = "cloudfront"
    assert checks.check_custom_domain() == []


def test_unknown_signer_is_an_error(settings):
    settings.SHARELINKS_SIGNER = "gcs"
    [error] = checks.check_signer()
    assert error.id == "sharelinks.E006"
    assert error.hint == "Use one of: s3, cloudfront."


def test_unknown_presigner_is_an_error(settings):
    settings.SHARELINKS_PRESIGNER = "v2"
    [error] = checks.check_setting_values()
    assert error.id == "sharelinks.E009"
    assert error.msg.startswith("SHARELINKS_PRESIGNER='v2'")


def test_both_presigners_pass(settings):
    for presigner in ("builtin", "botocore"):
        settings.SHARELINKS_PRESIGNER = presigner
        assert checks.check_setting_values() == []


def test_cloudfront_without_domain_or_key_id_is_an_error(settings):
    settings.SHARELINKS_SIGNER = "cloudfront"
    settings.SHARELINKS_CLOUDFRONT_PRIVATE_KEY = cloudfront_pem()
    [error] = checks.check_signer()
    assert error.id == "sharelinks.E007"
    assert "SHARELINKS_CLOUDFRONT_DOMAIN and SHARELINKS_CLOUDFRONT_KEY_ID" in error.msg
    assert "trusted key group" in error.hint


def cloudfront_settings(settings, **private_key):
    settings.SHARELINKS_SIGNER = "cloudfront"
    settings.SHARELINKS_CLOUDFRONT_DOMAIN = "d111111abcdef8.cloudfront.net"
    settings.SHARELINKS_CLOUDFRONT_KEY_ID = "K2JCJMDEHXQW5F"
    for name, value in private_key.items():
        setattr(settings, f"SHARELINKS_CLOUDFRONT_{name.upper()}", value)


def test_complete_cloudfront_configuration_passes(settings, tmp_path):
    cloudfront_settings(settings, private_key=cloudfront_pem())
    assert checks.check_signer() == []
    key_file = tmp_path / "cloudfront.pem"
    key_file.write_text(cloudfront_pem())
    cloudfront_settings(settings, private_key="", private_key_file=str(key_file))
    assert checks.check_signer() == []


def test_cloudfront_private_key_missing_unreadable_or_not_rsa_is_an_error(settings, tmp_path):
    ec_pem = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    cases = [
        ({}, "No CloudFront private key"),
        ({"private_key_file": str(tmp_path / "absent.pem")}, "cannot be read"),
        ({"private_key": "not a key"}, "not an unencrypted PEM"),
        ({"private_key": ec_pem}, "must be an RSA key"),
    ]
    for private_key, reason in cases:
        cloudfront_settings(settings, private_key="", private_key_file="")
        cloudfront_settings(settings, **private_key)
        [error] = checks.check_signer()
        assert error.id == "sharelinks.E008"
        assert reason in error.msg
        assert "SHARELINKS_CLOUDFRONT_PRIVATE_KEY_FILE" in error.hint


def test_checks_make_no_network_call_not_even_to_find_credentials(settings, monkeypatch):
    # They run before every management command: a metadata-service or STS call there would
    # slow (or hang) each one. The credential probe of the former W003 is the doctor's.
    from sharelinks.aws import client

    def no_network(*args, **kwargs):
        raise AssertionError("a system check asked for AWS credentials")

    settings.AWS_S3_ENDPOINT_URL = None
    monkeypatch.setattr(client, "get_session", no_network)
    monkeypatch.setattr(client, "get_client", no_network)
    messages = checks_run()
    assert "sharelinks.W003" not in {message.id for message in messages}


def test_real_mail_without_a_broker_warns_that_requests_send_it(settings):
    settings.CELERY_BROKER_URL = None
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    [warning] = mailchecks.check_mail_without_broker()
    assert warning.id == "sharelinks.W004"
    assert "emails are sent by the web processes" in warning.msg
    assert "CELERY_BROKER_URL" in warning.hint


def test_local_mail_or_a_broker_needs_no_warning(settings):
    settings.CELERY_BROKER_URL = None
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    assert mailchecks.check_mail_without_broker() == []
    settings.CELERY_BROKER_URL = "redis://redis.internal:6379/0"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    assert mailchecks.check_mail_without_broker() == []


def test_an_app_setting_out_of_its_range_is_an_error_naming_it(settings):
    settings.SHARELINKS_GUESS_WINDOW = 0
    settings.SHARELINKS_SOURCE_BUCKETS = "one-bucket"  # a string, not a list
    first, second = checks.check_setting_values()
    assert first.id == second.id == "sharelinks.E009"
    assert first.msg == "SHARELINKS_SOURCE_BUCKETS='one-bucket': use a list of names"
    assert second.msg == "SHARELINKS_GUESS_WINDOW=0: must be 1 to 86400 (seconds)"
    assert "Use 1 to 86400 (seconds); the default is `600`." in second.hint


def test_every_app_setting_at_its_default_passes(settings):
    assert checks.check_setting_values() == []
    settings.SHARELINKS_URL_TTL = 0  # E002's business, not a second message
    settings.SHARELINKS_SIGNER = "gcs"  # E006's
    assert checks.check_setting_values() == []


def test_a_secret_setting_of_the_wrong_kind_is_named_without_its_value(settings):
    settings.SHARELINKS_SIGNER = "cloudfront"
    settings.SHARELINKS_CLOUDFRONT_PRIVATE_KEY = b"-----BEGIN PRIVATE KEY-----"
    [error] = checks.check_setting_values()
    assert error.msg == "SHARELINKS_CLOUDFRONT_PRIVATE_KEY (value hidden): use text"
    assert checks.check_signer() == []  # no second message, and no attempt to load it


def test_a_default_lifetime_beyond_the_maximum_is_an_error(settings):
    settings.SHARELINKS_DEFAULT_LIFETIME = timedelta(days=30)
    settings.SHARELINKS_MAX_LIFETIME = timedelta(days=14)
    [error] = checks.check_lifetimes()
    assert error.id == "sharelinks.E010"
    assert "lower the default or raise the maximum" in error.hint
    settings.SHARELINKS_MAX_LIFETIME = timedelta(days=30)
    assert checks.check_lifetimes() == []


@pytest.mark.parametrize("backend", ["console", "filebased", "locmem", "dummy"])
def test_a_local_mail_backend_with_debug_off_warns_and_fails_a_deployment(settings, backend):
    settings.DEBUG = False
    settings.EMAIL_BACKEND = f"django.core.mail.backends.{backend}.EmailBackend"
    [warning] = mailchecks.check_local_email()
    assert warning.id == "sharelinks.W005"
    assert "never leave this machine, yet each is recorded as sent" in warning.msg
    assert "django.core.mail.backends.smtp.EmailBackend" in warning.hint
    [error] = mailchecks.check_local_email_deploy()
    assert error.id == "sharelinks.E011"
    assert "EMAIL_HOST" in error.hint


def test_only_check_deploy_turns_a_local_mail_backend_into_an_error(settings):
    settings.DEBUG = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    from django.core.checks import run_checks

    assert "sharelinks.E011" not in ids(run_checks())
    assert "sharelinks.W005" in ids(run_checks())
    assert "sharelinks.E011" in ids(checks_run())


def test_a_local_mail_backend_is_fine_under_debug_and_a_real_one_always(settings):
    settings.DEBUG = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    assert mailchecks.check_local_email() == mailchecks.check_local_email_deploy() == []
    settings.DEBUG = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    assert mailchecks.check_local_email() == mailchecks.check_local_email_deploy() == []


def test_tls_and_ssl_together_is_an_error(settings):
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = True
    [error] = mailchecks.check_email_tls()
    assert error.id == "sharelinks.E012"
    assert "Set only one" in error.hint
    settings.EMAIL_USE_SSL = False
    assert mailchecks.check_email_tls() == []


def test_a_per_process_cache_warns_a_deployment(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    [warning] = checks.check_shared_cache()
    assert warning.id == "sharelinks.W006"
    assert "CACHE_URL=redis://" in warning.hint
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://redis.internal:6379/1",
        }
    }
    assert checks.check_shared_cache() == []
