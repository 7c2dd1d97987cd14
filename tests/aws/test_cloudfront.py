"""sharelinks.aws.cloudfront: signed URLs that CloudFront accepts, checked with the public key."""

import base64
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from sharelinks.aws import cloudfront
from sharelinks.models import Click, ClickOutcome
from tests.credentials import cloudfront_key, cloudfront_pem
from tests.factories import ShareFactory
from tests.recipient import download

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DOMAIN = "d111111abcdef8.cloudfront.net"
KEY_ID = "K2JCJMDEHXQW5F"


@pytest.fixture
def cloudfront_settings(settings):
    settings.SHARELINKS_SIGNER = "cloudfront"
    settings.SHARELINKS_CLOUDFRONT_DOMAIN = DOMAIN
    settings.SHARELINKS_CLOUDFRONT_KEY_ID = KEY_ID
    settings.SHARELINKS_CLOUDFRONT_PRIVATE_KEY = cloudfront_pem()
    return settings


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def cloudfront_b64decode(text: str) -> bytes:
    return base64.b64decode(text.replace("-", "+").replace("_", "=").replace("~", "/"))


def verify_cloudfront_url(url: str) -> dict[str, str]:
    """Check url as CloudFront would (canned policy, RSA-SHA1); return its query."""
    resource, _, signed_part = url.partition("&Expires=")
    query = {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}
    assert signed_part.startswith(f"{query['Expires']}&Signature=")
    assert query["Key-Pair-Id"] == KEY_ID
    # The canned policy CloudFront rebuilds from the URL: compact JSON, in this key order.
    condition = f'{{"DateLessThan":{{"AWS:EpochTime":{query["Expires"]}}}}}'
    policy = f'{{"Statement":[{{"Resource":"{resource}","Condition":{condition}}}]}}'
    signature = cloudfront_b64decode(signed_part.split("&Signature=")[1].split("&")[0])
    cloudfront_key().public_key().verify(
        signature,
        policy.encode(),
        padding.PKCS1v15(),
        hashes.SHA1(),  # noqa: S303  (what CloudFront verifies)
    )
    return query


def test_signed_url_verifies_with_the_public_key_and_expires_after_the_ttl(
    cloudfront_settings, clock
):
    url = cloudfront.signed_url(
        key="reports/2026/Q1 résumé.pdf",
        filename="Q1 résumé.pdf",
        content_type="application/pdf",
        expires_in=60,
    )
    assert url.startswith(f"https://{DOMAIN}/reports/2026/Q1%20r%C3%A9sum%C3%A9.pdf?")
    query = verify_cloudfront_url(url)
    assert int(query["Expires"]) == int((NOW + timedelta(seconds=60)).timestamp())
    assert query["response-content-disposition"] == (
        "attachment; filename=\"Q1 resume.pdf\"; filename*=UTF-8''Q1%20r%C3%A9sum%C3%A9.pdf"
    )
    assert query["response-content-type"] == "application/pdf"
    assert "X-Amz-Security-Token" not in query  # nothing from STS: no role expiry applies


def test_a_changed_disposition_breaks_the_signature(cloudfront_settings, clock):
    url = cloudfront.signed_url(key="a.pdf", filename="a.pdf", content_type="", expires_in=60)
    forged = url.replace("filename%3D%22a.pdf", "filename%3D%22evil.exe")
    assert forged != url
    with pytest.raises(InvalidSignature):
        verify_cloudfront_url(forged)


def test_private_key_from_a_file_or_with_escaped_newlines(cloudfront_settings, tmp_path, clock):
    key_file = tmp_path / "cloudfront.pem"
    key_file.write_text(cloudfront_pem())
    cloudfront_settings.SHARELINKS_CLOUDFRONT_PRIVATE_KEY = ""
    cloudfront_settings.SHARELINKS_CLOUDFRONT_PRIVATE_KEY_FILE = str(key_file)
    verify_cloudfront_url(
        cloudfront.signed_url(key="a", filename="a", content_type="", expires_in=5)
    )
    cloudfront_settings.SHARELINKS_CLOUDFRONT_PRIVATE_KEY_FILE = ""
    cloudfront_settings.SHARELINKS_CLOUDFRONT_PRIVATE_KEY = cloudfront_pem().replace("\n", "\\n")
    verify_cloudfront_url(
        cloudfront.signed_url(key="a", filename="a", content_type="", expires_in=5)
    )


@pytest.mark.django_db
def test_click_redirects_to_a_cloudfront_url_and_counts(client, cloudfront_settings, clock):
    share = ShareFactory()
    response = download(client, share.path)
    assert response.status_code == 303
    assert response["Location"].startswith(f"https://{DOMAIN}/{share.key}?")
    query = verify_cloudfront_url(response["Location"])
    assert int(query["Expires"]) == int(NOW.timestamp()) + 60
    share.refresh_from_db()
    assert share.download_count == 1


@pytest.mark.django_db
def test_share_in_another_bucket_is_presigned_by_s3(client, cloudfront_settings, s3_client):
    s3_client.create_bucket(Bucket="sharelinks-other")
    share = ShareFactory(bucket="sharelinks-other")
    response = download(client, share.path)
    assert response.status_code == 303
    assert "X-Amz-Signature=" in response["Location"]


@pytest.mark.django_db
def test_click_with_an_unusable_key_is_503_and_not_counted(client, cloudfront_settings):
    cloudfront_settings.SHARELINKS_CLOUDFRONT_PRIVATE_KEY = "not a key"
    share = ShareFactory()
    response = download(client, share.path)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    share.refresh_from_db()
    assert share.download_count == 0


@pytest.mark.django_db
def test_the_cloudfront_url_serves_the_file_under_its_own_type(client, cloudfront_settings, clock):
    share = ShareFactory(content_type="text/csv", filename="figures.csv")
    query = verify_cloudfront_url(download(client, share.path)["Location"])
    assert query["response-content-type"] == "text/csv"


@pytest.mark.django_db
def test_an_unusable_key_is_named_in_the_log_and_the_refused_click_keeps_its_visitor(
    client, cloudfront_settings, caplog
):
    cloudfront_settings.SHARELINKS_CLOUDFRONT_PRIVATE_KEY = "not a key"
    share = ShareFactory()
    response = download(client, share.path, REMOTE_ADDR="203.0.113.77", HTTP_USER_AGENT="Mail/1.0")
    assert response.status_code == 503
    row = Click.objects.get(share=share, outcome=ClickOutcome.UNAVAILABLE)
    assert (row.client_ip, row.user_agent) == ("203.0.113.0", "Mail/1.0")
    (logged,) = (m for m in caplog.messages if m.startswith(f"share {share.pk}: cannot presign"))
    assert logged.startswith(
        f"share {share.pk}: cannot presign: CloudFront signing is misconfigured: "
        "The CloudFront private key is not an unencrypted PEM private key"
    )
