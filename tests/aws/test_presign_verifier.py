"""The verifier itself must fail on what real S3 refuses, or it proves nothing."""

from datetime import UTC, datetime, timedelta

import pytest

from sharelinks import aws
from tests.presign import PresignError, verify_presigned_url

KEYS = {"access_key": "AKIDLOCALTESTING", "secret_key": "local-testing-secret"}


@pytest.fixture
def url(s3_settings):
    return aws.presigned_get_url(
        bucket="sharelinks-test",
        key="a/b c.pdf",
        filename="b c.pdf",
        content_type="",
        expires_in=60,
    )


def test_accepts_a_url_signed_by_botocore(url):
    info = verify_presigned_url(url, **KEYS)
    assert info.expires_in == 60
    assert info.region == "us-east-1"
    assert info.token is None


def test_refuses_a_tampered_signature(url):
    tampered = url.replace("X-Amz-Signature=", "X-Amz-Signature=0")[:-1]
    with pytest.raises(PresignError, match="signature"):
        verify_presigned_url(tampered, **KEYS)


def test_refuses_a_changed_key(url):
    with pytest.raises(PresignError, match="signature"):
        verify_presigned_url(url.replace("b%20c.pdf", "other.pdf"), **KEYS)


def test_refuses_the_wrong_secret(url):
    with pytest.raises(PresignError, match="signature"):
        verify_presigned_url(url, access_key=KEYS["access_key"], secret_key="guess")


def test_refuses_an_expired_url(url):
    later = datetime.now(UTC) + timedelta(seconds=61)
    with pytest.raises(PresignError, match="expired"):
        verify_presigned_url(url, **KEYS, now=later)


def test_refuses_a_missing_session_token(url):
    with pytest.raises(PresignError, match="token"):
        verify_presigned_url(url, **KEYS, token="expected-a-token")
