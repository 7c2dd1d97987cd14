"""Whether a share's file is there, known without asking S3 on a click: the survey lists
each bucket (1,000 keys a request), flags what it did not find, and clicks trust it."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone

from sharelinks import aws, maintenance, presence, shares
from sharelinks.models import BucketSurvey, Share
from tests.factories import CONTENT, ShareFactory, UserFactory
from tests.recipient import download

pytestmark = pytest.mark.django_db

NO_WAIT = {"sleep": lambda seconds: None}


@pytest.fixture
def s3_calls(s3_settings):
    """The operations the app's two S3 clients (web and background) send, in order:
    botocore's own event, no mock. Starts empty once the test's shares are made."""
    calls: list[str] = []

    def seen(model, **kwargs):
        calls.append(model.name)

    clients = [aws.get_client(), aws.get_client(background=True)]
    for s3 in clients:
        s3.meta.events.register("before-call.s3", seen)
    yield calls
    for s3 in clients:
        s3.meta.events.unregister("before-call.s3", seen)


def test_after_a_survey_downloads_and_pages_ask_s3_nothing(client, s3_calls):
    made = [ShareFactory() for _ in range(3)]
    s3_calls.clear()
    report = maintenance.objects_check(**NO_WAIT)
    assert (report.listed, report.checked, report.missing) == (["sharelinks-test"], 3, 0)
    assert s3_calls == ["ListObjectsV2"]  # three shares, one request
    s3_calls.clear()
    for share in made:
        response = download(client, share.path)
        assert response.status_code == 303
        assert response["Location"].startswith("http://127.0.0.1")
    assert s3_calls == []
    assert Share.objects.filter(object_checked_at__isnull=False).count() == 0  # no row rewritten


def test_a_deleted_file_gets_its_page_once_the_next_survey_has_run(
    client, s3_client, s3_calls, on_commit
):
    share = ShareFactory()
    maintenance.objects_check(**NO_WAIT)
    s3_client.delete_object(Bucket=share.bucket, Key=share.key)
    # Until the next survey the click trusts the last one (docs/performance.md: within one
    # survey interval plus one listing): it redirects, and S3 answers the GET with 404.
    assert download(client, share.path).status_code == 303
    assert "HeadObject" not in s3_calls
    assert on_commit(maintenance.objects_check, **NO_WAIT).missing == 1
    page = client.get(share.path)
    assert page.status_code == 410
    assert b"no longer available" in page.content
    assert [message.subject for message in mail.outbox] == [
        "The file behind your link to figures.pdf is missing"
    ]


def test_a_file_put_back_works_at_the_next_click_without_waiting_for_a_survey(
    client, s3_client, s3_calls
):
    share = ShareFactory()
    s3_client.delete_object(Bucket=share.bucket, Key=share.key)
    maintenance.objects_check(**NO_WAIT)
    assert client.get(share.path).status_code == 410
    s3_client.put_object(Bucket=share.bucket, Key=share.key, Body=CONTENT)
    s3_calls.clear()
    assert download(client, share.path).status_code == 303
    assert s3_calls.count("HeadObject") == 1  # a flagged share is asked about on each click
    share.refresh_from_db()
    assert share.missing_since is None


def test_a_survey_older_than_the_trusted_age_is_asked_again_with_a_head(client, settings, s3_calls):
    share = ShareFactory()
    maintenance.objects_check(**NO_WAIT)
    too_old = timezone.now() - timedelta(seconds=settings.SHARELINKS_VERIFY_OBJECT_CACHE + 1)
    BucketSurvey.objects.update(listed_at=too_old)
    Share.objects.filter(pk=share.pk).update(created_at=too_old - timedelta(minutes=1))
    s3_calls.clear()
    assert download(client, share.path).status_code == 303
    assert s3_calls == ["HeadObject"]  # the answer then goes on the row for every process
    s3_calls.clear()
    assert download(client, share.path).status_code == 303
    assert s3_calls == []


def test_a_share_made_after_the_survey_began_trusts_the_head_that_made_it(
    client, put_object, s3_calls
):
    ShareFactory()
    maintenance.objects_check(**NO_WAIT)
    put_object("later/report.pdf", CONTENT, "application/pdf")
    share = shares.share_create(owner=UserFactory(), key="later/report.pdf")
    s3_calls.clear()
    assert download(client, share.path).status_code == 303
    assert s3_calls == []
    # Made by hand after the survey, with no HEAD of its own: the click asks.
    unchecked = ShareFactory()
    s3_calls.clear()
    assert download(client, unchecked.path).status_code == 303
    assert s3_calls == ["HeadObject"]


def test_a_bucket_is_listed_1000_keys_a_request_under_the_prefix_its_shares_share(
    s3_client, s3_calls
):
    owner = get_user_model().objects.create(username="lister", email="lister@example.com")
    keys = [f"survey/{n:04}.txt" for n in range(1001)]
    for key in keys:
        s3_client.put_object(Bucket="sharelinks-test", Key=key, Body=b"x")
    s3_client.put_object(Bucket="sharelinks-test", Key="elsewhere/not-listed.txt", Body=b"x")
    expires = timezone.now() + timedelta(days=3)
    Share.objects.bulk_create(
        Share(owner=owner, bucket="sharelinks-test", key=key, filename="f.txt", expires_at=expires)
        for key in (keys[0], keys[-1])
    )
    s3_calls.clear()
    report = presence.presence_survey()
    assert s3_calls == ["ListObjectsV2", "ListObjectsV2"]  # 1,000 and then 1 key
    assert (report.objects, report.shares, report.missing) == (1001, 2, 0)


def test_s3_unreachable_ends_the_survey_and_flags_nothing(settings, caplog):
    share = ShareFactory()
    settings.AWS_S3_ENDPOINT_URL = "http://127.0.0.1:9"  # nothing listens there
    report = presence.presence_survey()
    assert (report.listed, report.missing) == ([], 0)
    share.refresh_from_db()
    assert share.missing_since is None
    assert not BucketSurvey.objects.exists()
    assert "presence survey stopped" in caplog.text
