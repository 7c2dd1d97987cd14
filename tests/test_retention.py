"""Uploaded files are deleted a retention after their last share ended, and never sooner."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from sharelinks import retention, shares
from sharelinks.models import Share
from tests.conftest import TEST_BUCKET
from tests.factories import ShareFactory, UserFactory

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def thirty_days(settings):
    settings.SHARELINKS_UPLOAD_RETENTION = timedelta(days=30)


def ago(days: float):
    return timezone.now() - timedelta(days=days)


def upload(**terms) -> Share:
    return ShareFactory(uploaded=True, key=f"shares/{timezone.now().timestamp()}/a.pdf", **terms)


def stored(s3_client, share: Share) -> bool:
    listing = s3_client.list_objects_v2(Bucket=TEST_BUCKET, Prefix=share.key)
    return listing.get("KeyCount", 0) == 1


def test_an_upload_whose_share_expired_a_retention_ago_is_deleted(s3_client):
    share = upload(expires_at=ago(31))
    report = retention.uploads_purge()
    assert report.as_dict() == {"deleted": 1, "kept": 0, "errors": 0}
    assert not stored(s3_client, share)
    share.refresh_from_db()
    assert share.file_deleted_at is not None
    assert retention.uploads_purge().deleted == 0  # once


@pytest.mark.parametrize(
    "ended",
    [
        {"revoked_at": ago(40)},
        {"max_downloads": 1, "download_count": 1, "last_download_at": ago(40)},
        {"revoked_at": ago(5), "expires_at": ago(40)},  # it had expired before the revocation
    ],
    ids=["revoked", "used-up", "expired-then-revoked"],
)
def test_withdrawn_or_used_up_uploads_count_from_when_that_happened(s3_client, ended):
    share = upload(**{"expires_at": timezone.now() + 30 * DAY, **ended})
    assert retention.uploads_purge().deleted == 1
    assert not stored(s3_client, share)


@pytest.mark.parametrize(
    "terms",
    [{"expires_at": ago(-5)}, {"expires_at": ago(29)}],
    ids=["active", "within-retention"],
)
def test_a_file_a_share_may_still_serve_is_kept(s3_client, terms):
    share = upload(**terms)
    assert retention.uploads_purge().deleted == 0
    assert stored(s3_client, share)


def test_an_object_also_shared_by_key_is_never_deleted(s3_client):
    share = upload(expires_at=ago(100))
    ShareFactory(key=share.key, expires_at=ago(100), body=False)  # by key: uploaded=False
    assert retention.uploads_purge().deleted == 0
    assert stored(s3_client, share)
    assert retention.file_fate(share).kind == "kept"


def test_one_live_share_of_an_upload_keeps_it_for_all(s3_client):
    share = upload(expires_at=ago(100))
    ShareFactory(key=share.key, uploaded=True, body=False)  # still active
    assert retention.uploads_purge().deleted == 0
    assert stored(s3_client, share)


def test_extending_in_time_keeps_the_file_and_after_deletion_nothing_comes_back(s3_client):
    kept = upload(expires_at=ago(29))
    shares.share_extend(share=kept, until=timezone.now() + 7 * DAY)
    gone = upload(expires_at=ago(31), revoked_at=ago(31))
    assert retention.uploads_purge().deleted == 1
    assert stored(s3_client, kept)
    gone.refresh_from_db()
    for bring_back in (
        lambda: shares.share_extend(share=gone, until=timezone.now() + 7 * DAY),
        lambda: shares.share_reinstate(share=gone),
    ):
        with pytest.raises(ValidationError) as caught:
            bring_back()
        assert caught.value.code == "file_deleted"


def test_an_extension_after_the_query_keeps_the_file(s3_client, monkeypatch):
    share = upload(expires_at=ago(31))
    due = retention._due_objects(timezone.now(), 10)
    Share.objects.filter(pk=share.pk).update(expires_at=timezone.now() + DAY)
    monkeypatch.setattr(retention, "_due_objects", lambda now, limit: due)
    assert retention.uploads_purge().as_dict() == {"deleted": 0, "kept": 1, "errors": 0}
    assert stored(s3_client, share)


def test_files_shared_by_key_are_never_touched(s3_client):
    share = ShareFactory(key="shares/made-by-hand/a.pdf", expires_at=ago(400))
    assert retention.uploads_purge().deleted == 0
    assert stored(s3_client, share)


def test_the_fate_says_when(settings):
    active = upload(expires_at=timezone.now() + 5 * DAY)
    fate = retention.file_fate(active)
    assert fate.kind == "waiting"
    assert fate.when == active.expires_at + 30 * DAY
    ended = upload(expires_at=ago(10))
    assert retention.file_fate(ended) == retention.FileFate("due", ended.expires_at + 30 * DAY)
    assert retention.file_fate(ShareFactory(body=False)).kind == "kept"


def test_the_change_page_says_when_the_file_will_be_deleted(admin_client):
    share = upload(owner=UserFactory(), expires_at=ago(10))
    page = admin_client.get(f"/admin/sharelinks/share/{share.pk}/change/").content.decode()
    when = timezone.localtime(share.expires_at + 30 * DAY)
    assert "Uploaded through the app: deleted on " in page
    assert f"{when:%Y}" in page
    assert "30 days after the last share of it ended, unless a share of it is extended" in page


def test_the_maintenance_command_purges_uploads_and_counters(capsys):
    upload(expires_at=ago(31))
    call_command("maintenance", "purge-uploads", "purge-counters")
    out = capsys.readouterr().out
    assert "purge-uploads: 1 files deleted, 0 kept, 0 errors" in out
    assert "purge-counters: 0 counters deleted" in out


def test_the_migration_marks_existing_shares_under_the_upload_prefix(settings):
    uploaded = ShareFactory(key="shares/Xy12/report.pdf", body=False)
    named = ShareFactory(key="reports/q3.pdf", body=False)
    elsewhere = ShareFactory(key="shares/Xy12/report.pdf", bucket="other", body=False)
    migration = importlib.import_module("sharelinks.migrations.0008_share_uploaded")
    migration.mark_uploads(apps, None)
    marked = set(Share.objects.filter(uploaded=True).values_list("pk", flat=True))
    assert marked == {uploaded.pk}
    assert named.pk not in marked
    assert elsewhere.pk not in marked


def test_an_upload_through_the_admin_is_marked(admin_client, admin_user, s3_client):
    # The browser's upload goes straight to S3 (tests/uploader.py does its steps); the form
    # then carries the finished upload's handle.
    from tests.uploader import upload_via_service

    expires = timezone.localtime(timezone.now() + 3 * DAY)
    admin_client.post(
        "/admin/sharelinks/share/add/",
        {
            "upload": upload_via_service(admin_user, "a.pdf", b"a"),
            "expires_at_0": f"{expires:%Y-%m-%d}",
            "expires_at_1": f"{expires:%H:%M:%S}",
        },
    )
    assert Share.objects.get().uploaded is True
