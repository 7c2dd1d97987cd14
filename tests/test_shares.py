"""Service functions: creating, withdrawing, extending shares, and resolving clicks."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from sharelinks import links, shares
from sharelinks.models import ShareStatus
from tests.conftest import TEST_BUCKET
from tests.factories import ShareFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return UserFactory()


def test_share_create_captures_size_and_type_from_s3(owner, put_object):
    put_object("contracts/lease.pdf", b"x" * 1234, "application/pdf")
    share = shares.share_create(owner=owner, key="contracts/lease.pdf")
    assert (share.bucket, share.filename, share.size) == (TEST_BUCKET, "lease.pdf", 1234)
    assert share.content_type == "application/pdf"
    assert share.status == ShareStatus.ACTIVE


def test_share_create_refuses_a_missing_object(owner):
    with pytest.raises(ValidationError) as err:
        shares.share_create(owner=owner, key="nope.pdf")
    assert err.value.code == "object_missing"


def test_share_create_refuses_a_missing_bucket_in_words(owner, settings):
    settings.SHARELINKS_SOURCE_BUCKETS = ["no-such-bucket"]
    with pytest.raises(ValidationError, match="no-such-bucket"):
        shares.share_create(owner=owner, bucket="no-such-bucket", key="a.pdf")


def test_objects_are_shared_only_from_buckets_the_operator_allowed(owner, s3_client, settings):
    # The server's role may read more than staff should publish.
    s3_client.create_bucket(Bucket="payroll-private")
    s3_client.put_object(Bucket="payroll-private", Key="2026/salaries.csv", Body=b"secret")
    with pytest.raises(ValidationError) as err:
        shares.share_create(owner=owner, bucket="payroll-private", key="2026/salaries.csv")
    assert err.value.code == "bucket_not_allowed"
    assert "SHARELINKS_SOURCE_BUCKETS" in err.value.messages[0]
    settings.SHARELINKS_SOURCE_BUCKETS = ["payroll-private"]
    share = shares.share_create(owner=owner, bucket="payroll-private", key="2026/salaries.csv")
    assert share.size == 6


@pytest.mark.parametrize(
    ("delta", "code"),
    [(timedelta(seconds=-1), "expiry_past"), (timedelta(days=90, minutes=1), "expiry_too_late")],
)
def test_expiry_must_be_in_the_future_and_within_the_maximum(owner, put_object, delta, code):
    put_object("a.txt", b"a")
    with pytest.raises(ValidationError) as err:
        shares.share_create(owner=owner, key="a.txt", expires_at=timezone.now() + delta)
    assert err.value.code == code


def test_the_maximum_lifetime_is_a_setting(owner, put_object, settings):
    settings.SHARELINKS_MAX_LIFETIME = timedelta(days=365)
    put_object("a.txt", b"a")
    share = shares.share_create(
        owner=owner, key="a.txt", expires_at=timezone.now() + timedelta(days=200)
    )
    assert share.pk


def test_upload_lands_under_a_random_prefix_with_its_name(owner, s3_client):
    share = shares.share_create_from_upload(
        owner=owner, content=BytesIO(b"hello"), filename="../../etc/見積書.txt"
    )
    assert share.filename == "見積書.txt"
    prefix, random_part, name = share.key.split("/")
    assert (prefix, name) == ("shares", "見積書.txt")
    assert len(random_part) == 16
    body = s3_client.get_object(Bucket=TEST_BUCKET, Key=share.key)["Body"].read()
    assert body == b"hello"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("report.pdf", "report.pdf"),
        ("C:\\Users\\me\\report.pdf", "report.pdf"),
        ("a/b/c.txt", "c.txt"),
        ("bad\x00name\n.txt", "badname.txt"),
        ("x" * 300 + ".pdf", "x" * 251 + ".pdf"),
        ("見積書\u30002026.pdf", "見積書\u30002026.pdf"),  # the ideographic space stays
        ("Q3\u00a0report.pdf", "Q3\u00a0report.pdf"),  # and so does a no-break space
        ("invoice\u202egpj.exe", "invoicegpj.exe"),  # a bidi override does not
    ],
)
def test_filename_clean(raw, clean):
    assert shares.filename_clean(raw) == clean


@pytest.mark.parametrize("raw", ["", "   ", "..", "dir/"])
def test_filename_clean_refuses_empty_names(raw):
    with pytest.raises(ValidationError):
        shares.filename_clean(raw)


def test_revoke_reinstate_extend(owner):
    share = ShareFactory(owner=owner, body=False)
    shares.share_revoke(share=share)
    assert share.status == ShareStatus.REVOKED
    shares.share_reinstate(share=share)
    assert share.status == ShareStatus.ACTIVE
    later = timezone.now() + timedelta(days=60)
    shares.share_extend(share=share, until=later)
    share.refresh_from_db()
    assert share.expires_at == later
    with pytest.raises(ValidationError):
        shares.share_extend(share=share, until=timezone.now() - timedelta(days=1))


def test_extend_never_shortens(owner):
    share = ShareFactory(owner=owner, body=False, expires_at=timezone.now() + timedelta(days=60))
    with pytest.raises(ValidationError) as caught:
        shares.share_extend(share=share, until=timezone.now() + timedelta(days=7))
    assert caught.value.code == "extend_shortens"
    share.refresh_from_db()
    assert share.expires_at > timezone.now() + timedelta(days=59)


def test_share_url_prefers_the_configured_origin(rf, settings):
    share = ShareFactory(body=False)
    assert links.share_url(share) == f"https://files.example.com/s/{share.code}"
    settings.SHARELINKS_BASE_URL = ""
    settings.ALLOWED_HOSTS = ["intranet.local"]
    request = rf.get("/admin/", HTTP_HOST="intranet.local")
    assert links.share_url(share, request) == f"http://intranet.local/s/{share.code}"
