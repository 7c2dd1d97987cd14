"""The short link's download: what a recipient's browser gets for every outcome.

The landing page itself (tokens, scanners, resumption, direct links) is specified in
tests/test_landing.py; passwords in tests/test_passwords.py; languages and times in
tests/test_pages.py.
"""

from datetime import UTC, datetime, timedelta
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
import requests
import time_machine
from django.db import DatabaseError
from django.utils import timezone

from sharelinks import aws, signing
from sharelinks.models import Click, ClickOutcome, Delivery, DeliveryKind, Share
from tests.factories import ShareFactory
from tests.presign import verify_presigned_url
from tests.recipient import download

pytestmark = pytest.mark.django_db

KEYS = {"access_key": "AKIDLOCALTESTING", "secret_key": "local-testing-secret"}
NO_STORE = "no-store, private"


NO_FORM_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


def assert_recipient_headers(response):
    assert response["Cache-Control"] == NO_STORE
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    if response.status_code != 200:  # only the landing page has a form (test_landing.py)
        assert response["Content-Security-Policy"] == NO_FORM_CSP


def test_the_download_button_redirects_to_a_fresh_short_lived_signed_url(client):
    share = ShareFactory()
    response = download(client, share.path, REMOTE_ADDR="203.0.113.77", HTTP_USER_AGENT="Mail/1.0")
    assert response.status_code == 303
    assert_recipient_headers(response)
    url = verify_presigned_url(response["Location"], **KEYS)
    assert url.expires_in == 60
    assert url.bucket_and_key == f"/{share.bucket}/{share.key}"
    assert url.disposition == "attachment; filename=\"figures.pdf\"; filename*=UTF-8''figures.pdf"
    share.refresh_from_db()
    assert share.download_count == 1
    click = Click.objects.get(share=share, outcome=ClickOutcome.REDIRECTED)
    assert (click.outcome, click.client_ip, click.user_agent) == (
        ClickOutcome.REDIRECTED,
        "203.0.113.0",
        "Mail/1.0",
    )


def test_each_click_gets_its_own_signature(client, settings):
    settings.SHARELINKS_URL_TTL = 5
    share = ShareFactory()
    first = download(client, share.path)["Location"]
    assert verify_presigned_url(first, **KEYS).expires_in == 5
    with time_machine.travel(timezone.now() + timedelta(seconds=2)):
        second = download(client, share.path)["Location"]
    assert first != second
    assert (
        verify_presigned_url(second, **KEYS).signed_at
        > verify_presigned_url(first, **KEYS).signed_at
    )


def test_the_redirect_downloads_the_bytes_under_a_japanese_name(client):
    share = ShareFactory(filename="見積書 2026.pdf", body=b"estimate bytes")
    location = download(client, share.path)["Location"]
    disposition = verify_presigned_url(location, **KEYS).disposition
    assert disposition == (
        "attachment; filename=\"___ 2026.pdf\"; filename*=UTF-8''"
        "%E8%A6%8B%E7%A9%8D%E6%9B%B8%202026.pdf"
    )
    fetched = requests.get(location, timeout=10)
    assert fetched.status_code == 200
    assert fetched.content == b"estimate bytes"
    echoed = fetched.headers["Content-Disposition"]
    assert unquote(echoed.split("filename*=UTF-8''")[1]) == "見積書 2026.pdf"


def test_malformed_code_is_404_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/s/not-a-code")
    assert response.status_code == 404
    assert_recipient_headers(response)
    assert b"This link does not exist" in response.content


def test_unknown_wellformed_code_is_404(client):
    response = client.get("/s/" + "A" * 22)
    assert response.status_code == 404
    assert_recipient_headers(response)


def test_expired_share_answers_410_and_counts_nothing(client):
    share = ShareFactory(expires_at=timezone.now() - timedelta(hours=1), time_zone="Asia/Tokyo")
    response = client.get(share.path)
    assert response.status_code == 410
    assert_recipient_headers(response)
    page = response.content.decode()
    assert "This link has expired" in page
    until = timezone.localtime(share.expires_at, ZoneInfo("Asia/Tokyo"))
    assert f"was available until {until:%b}. {until.day}, {until.year} {until:%H:%M} JST." in page
    assert f'<a href="mailto:{share.owner.email}">{share.owner.email}</a>' in page
    assert "<?xml" not in page
    share.refresh_from_db()
    assert share.download_count == 0
    assert Click.objects.get(share=share).outcome == ClickOutcome.EXPIRED


def test_revoked_share_answers_410_saying_it_was_withdrawn_and_since_when(client):
    withdrawn = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    share = ShareFactory(revoked_at=withdrawn, time_zone="Europe/Berlin")
    response = client.get(share.path)
    assert response.status_code == 410
    page = response.content.decode()
    assert "This link was withdrawn" in page
    assert (
        'The sender withdrew <span class="file">figures.pdf</span> on Dec. 2, 2026 10:00 CET.'
        in page
    )
    assert Click.objects.get(share=share).outcome == ClickOutcome.REVOKED


def test_download_limit_gives_exactly_that_many_downloads_then_says_since_when(client):
    share = ShareFactory(max_downloads=2, time_zone="Asia/Tokyo")
    statuses = [download(client, share.path).status_code for _ in range(2)]
    assert statuses == [303, 303]
    share.refresh_from_db()
    assert share.download_count == 2
    client.cookies.clear()  # another browser: no receipt of an earlier download
    response = client.get(share.path)
    assert response.status_code == 410
    page = response.content.decode()
    assert "This link has been used up" in page
    last = timezone.localtime(share.last_download_at, ZoneInfo("Asia/Tokyo"))
    assert f"Last download: {last:%b}. {last.day}, {last.year} {last:%H:%M} JST." in page
    outcomes = list(
        Click.objects.filter(share=share).order_by("at", "pk").values_list("outcome", flat=True)
    )
    assert outcomes == ["viewed", "redirected", "viewed", "redirected", "exhausted"]


def test_head_reports_the_status_without_counting_signing_or_writing(client):
    share = ShareFactory(max_downloads=1)
    response = client.head(share.path)
    assert response.status_code == 200
    assert "Location" not in response
    assert_recipient_headers(response)
    share.refresh_from_db()
    assert share.download_count == 0
    assert not Click.objects.exists()
    expired = ShareFactory(expires_at=timezone.now() - timedelta(days=1))
    assert client.head(expired.path).status_code == 410
    revoked = ShareFactory(revoked_at=timezone.now())
    assert client.head(revoked.path).status_code == 410
    assert client.head("/s/" + "B" * 22).status_code == 404
    assert not Click.objects.exists()  # a HEAD on a refused share writes no row either


@pytest.mark.parametrize("method", ["put", "delete", "patch", "options"])
def test_other_methods_are_405_with_allow_and_still_not_cached(client, method):
    share = ShareFactory()
    response = getattr(client, method)(share.path)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, POST"
    assert_recipient_headers(response)


def test_too_many_unknown_codes_from_one_network_get_429_but_real_links_still_work(
    client, settings
):
    settings.SHARELINKS_GUESS_LIMIT = 3
    share = ShareFactory()
    for n in range(3):
        assert client.get(f"/s/{'C' * 21}{n}", REMOTE_ADDR="198.51.100.9").status_code == 404
    blocked = client.get("/s/" + "C" * 22, REMOTE_ADDR="198.51.100.10")
    assert blocked.status_code == 429
    assert blocked["Retry-After"] == "600"
    assert_recipient_headers(blocked)
    assert client.get("/s/malformed", REMOTE_ADDR="198.51.100.10").status_code == 429
    # A recipient behind the same network (or load balancer) still gets the file.
    assert download(client, share.path, REMOTE_ADDR="198.51.100.10").status_code == 303
    assert client.get("/s/" + "C" * 22, REMOTE_ADDR="192.0.2.1").status_code == 404


def test_database_failure_answers_503_with_retry_after(client, monkeypatch):
    # A real outage cannot be staged inside the test database; the service raising the
    # driver's error is what the view sees when PostgreSQL is down.
    def database_down(code, find):
        raise DatabaseError("connection refused")

    monkeypatch.setattr("sharelinks.links._found", database_down)  # every lookup by code
    response = client.get("/s/" + "D" * 22)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert_recipient_headers(response)
    assert "try again" in response.content.decode()


def test_client_network_is_truncated_for_ipv6_and_proxies(client, settings):
    share = ShareFactory()
    download(client, share.path, REMOTE_ADDR="2001:db8:abcd:12::1")
    settings.SHARELINKS_PROXY_COUNT = 1
    forwarded = "6.6.6.6, 198.51.100.200"
    download(client, share.path, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    ips = list(Click.objects.order_by("pk").values_list("client_ip", flat=True))
    assert ips == ["2001:db8:abcd::"] * 2 + ["198.51.100.0"] * 2  # the view, the download


def test_long_user_agents_are_cut_not_refused(client):
    share = ShareFactory()
    assert download(client, share.path, HTTP_USER_AGENT="x" * 5000).status_code == 303
    assert {len(agent) for agent in Click.objects.values_list("user_agent", flat=True)} == {256}


def test_a_deleted_object_gets_the_no_longer_available_page_not_s3_xml(client, s3_client):
    share = ShareFactory()
    s3_client.delete_object(Bucket=share.bucket, Key=share.key)
    response = client.get(share.path)
    assert response.status_code == 410
    assert_recipient_headers(response)
    assert "This file is no longer available" in response.content.decode()
    assert "<Error>" not in response.content.decode()
    share.refresh_from_db()
    assert share.missing_since is not None
    assert share.download_count == 0
    assert Click.objects.get(share=share).outcome == ClickOutcome.MISSING
    assert Delivery.objects.get(share=share).kind == DeliveryKind.MISSING


def test_a_file_put_back_works_again_at_the_next_click(client, put_object):
    share = ShareFactory(missing_since=timezone.now(), body=False)
    assert client.get(share.path).status_code == 410
    put_object(share.key, b"restored")
    assert download(client, share.path).status_code == 303
    share.refresh_from_db()
    assert share.missing_since is None


def test_a_found_object_is_remembered_so_most_clicks_make_no_s3_request(
    client, s3_client, settings
):
    settings.SHARELINKS_VERIFY_OBJECT_CACHE = 300
    share = ShareFactory()
    assert download(client, share.path).status_code == 303
    s3_client.delete_object(Bucket=share.bucket, Key=share.key)
    # Within the cache time the click does not ask S3 again (S3 itself answers the GET).
    assert download(client, share.path).status_code == 303
    with time_machine.travel(timezone.now() + timedelta(seconds=301)):
        assert client.get(share.path).status_code == 410


def test_the_object_check_can_be_turned_off(client, s3_client, settings):
    settings.SHARELINKS_VERIFY_OBJECT_ON_CLICK = False
    share = ShareFactory()
    s3_client.delete_object(Bucket=share.bucket, Key=share.key)
    assert download(client, share.path).status_code == 303


def test_head_and_get_agree_for_a_deleted_but_not_yet_flagged_object(client, s3_client):
    share = ShareFactory()
    s3_client.delete_object(Bucket=share.bucket, Key=share.key)
    assert client.head(share.path).status_code == 410
    assert client.get(share.path).status_code == 410


@pytest.mark.parametrize(
    ("proxy_count", "attacker", "recipient"),
    [
        (0, "198.51.100.7", "203.0.113.5"),  # behind a balancer, all share its address
        (1, "198.51.100.7:4444", "203.0.113.5:5555"),  # proxies that append the port
    ],
)
def test_a_scanner_elsewhere_cannot_lock_a_recipient_out_of_a_real_link(
    client, settings, proxy_count, attacker, recipient
):
    settings.SHARELINKS_PROXY_COUNT = proxy_count
    settings.SHARELINKS_GUESS_LIMIT = 5
    share = ShareFactory()
    for _ in range(6):
        client.get("/s/" + "G" * 22, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=attacker)
    response = download(client, share.path, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=recipient)
    assert response.status_code == 303


@pytest.mark.django_db(transaction=True)  # on_commit callbacks must really run
def test_a_click_never_fails_after_counting_even_if_the_owner_email_cannot_be_built(
    client, settings
):
    settings.SHARELINKS_BASE_URL = ""  # only a warning (sharelinks.W001); mail needs it
    share = ShareFactory()  # the owner hears of the first download; tasks run eagerly
    client.raise_request_exception = False
    assert download(client, share.path).status_code == 303
    share.refresh_from_db()
    assert share.download_count == 1


def test_a_recent_check_by_any_process_spares_the_click_its_head(client, s3_client, settings):
    # What the broken-share check (another process, another host) found is on the share's
    # row: a click trusts it for VERIFY_OBJECT_CACHE seconds, whatever this process cached.
    from django.core.cache import cache

    from sharelinks import maintenance

    share = ShareFactory()
    assert maintenance.objects_check(sleep=lambda seconds: None).checked == 1
    s3_client.delete_object(Bucket=share.bucket, Key=share.key)
    cache.clear()
    assert download(client, share.path).status_code == 303  # no HEAD: S3 answers the GET
    trusted = timedelta(seconds=settings.SHARELINKS_VERIFY_OBJECT_CACHE)
    with time_machine.travel(timezone.now() + trusted + timedelta(seconds=1)):
        client.cookies.clear()
        assert client.get(share.path).status_code == 410


@pytest.mark.parametrize(
    "refused",
    [
        {"expires_at": datetime(2026, 1, 1, tzinfo=UTC)},
        {"revoked_at": datetime(2026, 1, 1, tzinfo=UTC)},
        {"max_downloads": 1, "download_count": 1},
    ],
    ids=["expired", "withdrawn", "used-up"],
)
def test_head_on_a_refused_share_answers_410_and_writes_no_click(client, refused):
    share = ShareFactory(**refused)
    response = client.head(share.path)
    assert response.status_code == 410
    assert "Location" not in response
    assert_recipient_headers(response)
    assert not Click.objects.exists()
    share.refresh_from_db()
    assert share.download_count == refused.get("download_count", 0)


def test_the_redirect_serves_the_file_under_its_own_type(client):
    share = ShareFactory(content_type="text/csv", filename="figures.csv")
    url = verify_presigned_url(download(client, share.path)["Location"], **KEYS)
    assert url.content_type == "text/csv"


def test_head_when_s3_cannot_be_reached_answers_503_like_a_get_would(client, monkeypatch):
    def unavailable(**kwargs):
        raise aws.StorageUnavailable("connection refused")

    monkeypatch.setattr(aws, "object_head", unavailable)
    response = client.head(ShareFactory().path)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "Location" not in response
    assert not Click.objects.exists()


def test_a_head_that_s3_refuses_leaves_the_decision_to_the_download(client, monkeypatch):
    # A 403 on HEAD says nothing about the object (no s3:ListBucket): redirect, flag nothing.
    def refused(*, bucket, key):
        raise aws.StorageError(f"s3://{bucket}/{key}: access denied")

    monkeypatch.setattr(aws, "object_head", refused)
    share = ShareFactory()
    assert download(client, share.path).status_code == 303
    share.refresh_from_db()
    assert (share.download_count, share.missing_since) == (1, None)


def test_a_found_object_is_trusted_for_verify_object_cache_seconds(client, s3_client, settings):
    settings.SHARELINKS_VERIFY_OBJECT_CACHE = 10
    share = ShareFactory()
    assert download(client, share.path).status_code == 303
    s3_client.delete_object(Bucket=share.bucket, Key=share.key)
    with time_machine.travel(timezone.now() + timedelta(seconds=9)):
        assert download(client, share.path).status_code == 303
    with time_machine.travel(timezone.now() + timedelta(seconds=11)):
        assert client.get(share.path).status_code == 410


def test_a_share_withdrawn_while_its_click_was_signing_answers_withdrawn(client, monkeypatch):
    # Staff withdraw the share between this click's lookup and its counting UPDATE.
    real_download_url = signing.download_url

    def withdrawn_meanwhile(**kwargs):
        url = real_download_url(**kwargs)
        Share.objects.update(revoked_at=timezone.now())
        return url

    monkeypatch.setattr(signing, "download_url", withdrawn_meanwhile)
    # A password keeps the click on the two-step path (lookup, then count) on every
    # database; PostgreSQL's one-statement path has no moment between the two.
    share = ShareFactory()
    share.set_password("open sesame")
    share.save()
    response = download(
        client, share.path, password="open sesame", REMOTE_ADDR="203.0.113.77",
        HTTP_USER_AGENT="Mail/1.0",
    )  # fmt: skip
    assert response.status_code == 410
    assert "This link was withdrawn" in response.content.decode()
    share.refresh_from_db()
    assert share.download_count == 0
    row = Click.objects.get(outcome=ClickOutcome.REVOKED)
    assert (row.share, row.client_ip, row.user_agent) == (share, "203.0.113.0", "Mail/1.0")
