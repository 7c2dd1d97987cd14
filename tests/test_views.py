"""The click view, GET /s/<code>: what a recipient's browser gets for every outcome."""

from datetime import timedelta
from urllib.parse import unquote

import pytest
import requests
import time_machine
from django.db import DatabaseError
from django.utils import timezone

from sharelinks.models import Click, ClickOutcome, Delivery, DeliveryKind
from tests.factories import ShareFactory
from tests.presign import verify_presigned_url

pytestmark = pytest.mark.django_db

KEYS = {"access_key": "AKIDLOCALTESTING", "secret_key": "local-testing-secret"}
NO_STORE = "no-store, private"


def assert_recipient_headers(response):
    assert response["Cache-Control"] == NO_STORE
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Content-Security-Policy"].startswith("default-src 'none';")


def test_active_share_redirects_to_a_fresh_short_lived_signed_url(client):
    share = ShareFactory()
    response = client.get(share.path, REMOTE_ADDR="203.0.113.77", HTTP_USER_AGENT="Mail/1.0")
    assert response.status_code == 302
    assert_recipient_headers(response)
    url = verify_presigned_url(response["Location"], **KEYS)
    assert url.expires_in == 60
    assert url.bucket_and_key == f"/{share.bucket}/{share.key}"
    assert url.disposition == "attachment; filename=\"figures.pdf\"; filename*=UTF-8''figures.pdf"
    share.refresh_from_db()
    assert share.download_count == 1
    click = Click.objects.get(share=share)
    assert (click.outcome, click.client_ip, click.user_agent) == (
        ClickOutcome.REDIRECTED,
        "203.0.113.0",
        "Mail/1.0",
    )


def test_each_click_gets_its_own_signature(client, settings):
    settings.SHARELINKS_URL_TTL = 5
    share = ShareFactory()
    first = client.get(share.path)["Location"]
    assert verify_presigned_url(first, **KEYS).expires_in == 5
    with time_machine.travel(timezone.now() + timedelta(seconds=2)):
        second = client.get(share.path)["Location"]
    assert first != second
    assert (
        verify_presigned_url(second, **KEYS).signed_at
        > verify_presigned_url(first, **KEYS).signed_at
    )


def test_the_redirect_downloads_the_bytes_under_a_japanese_name(client):
    share = ShareFactory(filename="見積書 2026.pdf", body=b"estimate bytes")
    location = client.get(share.path)["Location"]
    disposition = verify_presigned_url(location, **KEYS).disposition
    assert disposition == (
        "attachment; filename=\"___ 2026.pdf\"; filename*=UTF-8''"
        "%E8%A6%8B%E7%A9%8D%E6%9B%B8%202026.pdf"
    )
    download = requests.get(location, timeout=10)
    assert download.status_code == 200
    assert download.content == b"estimate bytes"
    echoed = download.headers["Content-Disposition"]
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
    share = ShareFactory(expires_at=timezone.now() - timedelta(hours=1))
    response = client.get(share.path)
    assert response.status_code == 410
    assert_recipient_headers(response)
    page = response.content.decode()
    assert "This link has expired" in page
    assert share.owner.email in page
    assert "<?xml" not in page
    share.refresh_from_db()
    assert share.download_count == 0
    assert Click.objects.get(share=share).outcome == ClickOutcome.EXPIRED


def test_revoked_share_answers_410_saying_it_was_withdrawn(client):
    share = ShareFactory(revoked_at=timezone.now() - timedelta(minutes=5))
    response = client.get(share.path)
    assert response.status_code == 410
    assert "This link was withdrawn" in response.content.decode()
    assert Click.objects.get(share=share).outcome == ClickOutcome.REVOKED


def test_download_limit_gives_exactly_that_many_redirects(client):
    share = ShareFactory(max_downloads=2)
    statuses = [client.get(share.path).status_code for _ in range(3)]
    assert statuses == [302, 302, 410]
    share.refresh_from_db()
    assert share.download_count == 2
    response = client.get(share.path)
    assert "This link has been used up" in response.content.decode()
    outcomes = list(
        Click.objects.filter(share=share).order_by("at", "pk").values_list("outcome", flat=True)
    )
    assert outcomes == ["redirected", "redirected", "exhausted", "exhausted"]


def test_head_reports_the_status_without_counting_or_signing(client):
    share = ShareFactory(max_downloads=1)
    response = client.head(share.path)
    assert response.status_code == 302
    assert "Location" not in response
    assert_recipient_headers(response)
    share.refresh_from_db()
    assert share.download_count == 0
    assert not Click.objects.exists()
    expired = ShareFactory(expires_at=timezone.now() - timedelta(days=1))
    assert client.head(expired.path).status_code == 410
    assert client.head("/s/" + "B" * 22).status_code == 404


def test_other_methods_are_405_and_still_not_cached(client):
    share = ShareFactory()
    response = client.post(share.path)
    assert response.status_code == 405
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
    assert client.get(share.path, REMOTE_ADDR="198.51.100.10").status_code == 302
    assert client.get("/s/" + "C" * 22, REMOTE_ADDR="192.0.2.1").status_code == 404


def test_database_failure_answers_503_with_retry_after(client, monkeypatch):
    # A real outage cannot be staged inside the test database; the service raising the
    # driver's error is what the view sees when PostgreSQL is down.
    def database_down(**kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr("sharelinks.views.click_resolve", database_down)
    response = client.get("/s/" + "D" * 22)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert_recipient_headers(response)
    assert "try again" in response.content.decode()


def test_client_network_is_truncated_for_ipv6_and_proxies(client, settings):
    share = ShareFactory()
    client.get(share.path, REMOTE_ADDR="2001:db8:abcd:12::1")
    settings.SHARELINKS_PROXY_COUNT = 1
    client.get(share.path, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.200")
    ips = list(Click.objects.order_by("pk").values_list("client_ip", flat=True))
    assert ips == ["2001:db8:abcd::", "198.51.100.0"]


def test_long_user_agents_are_cut_not_refused(client):
    share = ShareFactory()
    assert client.get(share.path, HTTP_USER_AGENT="x" * 5000).status_code == 302
    assert len(Click.objects.get().user_agent) == 256


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
    assert client.get(share.path).status_code == 302
    share.refresh_from_db()
    assert share.missing_since is None


def test_a_found_object_is_remembered_so_most_clicks_make_no_s3_request(
    client, s3_client, settings
):
    settings.SHARELINKS_VERIFY_OBJECT_CACHE = 300
    share = ShareFactory()
    assert client.get(share.path).status_code == 302
    s3_client.delete_object(Bucket=share.bucket, Key=share.key)
    # Within the cache time the click does not ask S3 again (S3 itself answers the GET).
    assert client.get(share.path).status_code == 302
    with time_machine.travel(timezone.now() + timedelta(seconds=301)):
        assert client.get(share.path).status_code == 410


def test_the_object_check_can_be_turned_off(client, s3_client, settings):
    settings.SHARELINKS_VERIFY_OBJECT_ON_CLICK = False
    share = ShareFactory()
    s3_client.delete_object(Bucket=share.bucket, Key=share.key)
    assert client.get(share.path).status_code == 302


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
    response = client.get(share.path, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=recipient)
    assert response.status_code == 302


@pytest.mark.django_db(transaction=True)  # on_commit callbacks must really run
def test_a_click_never_fails_after_counting_even_if_the_owner_email_cannot_be_built(
    client, settings
):
    settings.SHARELINKS_BASE_URL = ""  # only a warning (sharelinks.W001); mail needs it
    share = ShareFactory()  # the owner hears of the first download; tasks run eagerly
    client.raise_request_exception = False
    assert client.get(share.path).status_code == 302
    share.refresh_from_db()
    assert share.download_count == 1
