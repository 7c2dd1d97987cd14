"""The landing page: what a person sees on GET, and why a scanner spends nothing.

Mail scanners (Safe Links, Mimecast, Proofpoint) and link previewers fetch every link with
GET or HEAD before the person does; only the page's Download button, a POST carrying the
token the page signed for this link, counts a download.
"""

import re
from datetime import datetime, timedelta

import pytest
import requests
import time_machine
from django.core import mail
from django.utils import timezone
from django.utils.http import http_date

from sharelinks.models import Click, ClickOutcome, NotifyDownloads
from sharelinks.tokens import RECEIPT_COOKIE
from tests.factories import ShareFactory, UserFactory
from tests.recipient import download, page_token

pytestmark = pytest.mark.django_db(transaction=True)  # on_commit: the owner's email is sent

SAFE_LINKS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36 Edg/120.0 BingPreview/1.0b"
)
PERSON = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Version/17.0 Mobile Safari"


def landing_csp(storage_origin: str) -> str:
    return (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
        f"form-action 'self' {storage_origin}; frame-ancestors 'none'"
    )


def outcomes(share) -> list[str]:
    return list(share.clicks.order_by("at", "pk").values_list("outcome", flat=True))


def test_an_owner_without_a_full_name_is_named_by_email_address_never_by_login(client):
    owner = UserFactory(username="admin", first_name="", last_name="", email="it@corp.example")
    page = client.get(ShareFactory(owner=owner).path, HTTP_USER_AGENT=PERSON).content.decode()
    assert "<h1>it@corp.example shared a file with you</h1>" in page
    assert '<dd><a href="mailto:it@corp.example">it@corp.example</a></dd>' in page
    assert "admin" not in page.replace("/admin/", "")


def test_the_page_says_what_from_whom_until_when_and_how_many_are_left(client, s3_server):
    owner = UserFactory(username="tanaka", first_name="Hanako", last_name="Tanaka")
    share = ShareFactory(
        owner=owner, max_downloads=3, message="The Q3 figures, as promised.\nBest, Hanako",
        time_zone="Asia/Tokyo",
    )  # fmt: skip
    response = client.get(share.path, HTTP_USER_AGENT=PERSON)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Hanako Tanaka shared a file with you</h1>" in page
    assert '<p class="file">figures.pdf</p>' in page
    assert "<dd>27\xa0bytes · application/pdf</dd>" in page
    assert '(<a href="mailto:tanaka@example.com">tanaka@example.com</a>)' in page
    assert '<p class="message">The Q3 figures, as promised.\nBest, Hanako</p>' in page
    assert "<dt>Downloads left</dt><dd>3</dd>" in page
    assert re.search(r"<dt>Available until</dt><dd>\w+\.? \d+, 2026 \d\d:\d\d JST</dd>", page)
    assert '<button type="submit">Download</button>' in page
    assert response["Content-Security-Policy"] == landing_csp(s3_server)
    assert "Location" not in response
    share.refresh_from_db()
    assert share.download_count == 0
    assert outcomes(share) == [ClickOutcome.VIEWED]


def test_a_scanner_spends_nothing_and_the_person_then_gets_the_file(client):
    """The journey the issue starts from: a one-download share, a scanner's GET and HEAD,
    then the recipient's click, a resumed download, and another browser."""
    share = ShareFactory(max_downloads=1, notify_downloads=NotifyDownloads.FIRST)
    assert client.get(share.path, HTTP_USER_AGENT=SAFE_LINKS).status_code == 200
    assert client.head(share.path, HTTP_USER_AGENT=SAFE_LINKS).status_code == 200
    assert client.post(share.path, HTTP_USER_AGENT=SAFE_LINKS).status_code == 200  # no token
    share.refresh_from_db()
    assert share.download_count == 0
    assert mail.outbox == []

    response = download(client, share.path, HTTP_USER_AGENT=PERSON)
    assert response.status_code == 303
    assert requests.get(response["Location"], timeout=10).content == b"%PDF-1.4 quarterly figures\n"
    receipt = response.cookies[RECEIPT_COOKIE]
    assert (receipt["path"], receipt["httponly"], receipt["samesite"]) == (share.path, True, "Lax")

    # The download broke off: the same browser clicks the link again.
    again = download(client, share.path, same_browser=True, HTTP_USER_AGENT=PERSON)
    assert again.status_code == 303
    assert requests.get(again["Location"], timeout=10).status_code == 200
    # Another browser (a forwarded link): used up.
    client.cookies.clear()
    assert client.get(share.path, HTTP_USER_AGENT=PERSON).status_code == 410

    share.refresh_from_db()
    assert share.download_count == 1
    assert [m.subject for m in mail.outbox] == ["figures.pdf was downloaded"]
    rows = list(share.clicks.order_by("at", "pk").values_list("outcome", "scanner"))
    assert rows == [
        ("viewed", True),  # the scanner's GET (its HEAD and bare POST wrote nothing)
        ("viewed", False),
        ("redirected", False),
        ("viewed", False),
        ("resumed", False),
        ("exhausted", False),
    ]


def test_the_resume_receipt_lasts_the_stated_window(client, settings):
    settings.SHARELINKS_RESUME_WINDOW = 3600
    share = ShareFactory(max_downloads=1)
    # The clock stands still, so "3599 s later" is exactly that after the receipt was signed
    # (a running clock let a slow first download push it past the window).
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert download(client, share.path).status_code == 303
        clock.shift(timedelta(seconds=3599))
        assert download(client, share.path, same_browser=True).status_code == 303
        clock.shift(timedelta(seconds=2))
        assert client.get(share.path).status_code == 410


def test_the_browser_is_told_to_keep_the_receipt_for_the_window_to_the_second(client, settings):
    settings.SHARELINKS_RESUME_WINDOW = 3600
    share = ShareFactory()
    for moment in ("2026-12-01 09:00:00.999+00:00", "2026-12-01 09:00:01+00:00"):
        with time_machine.travel(moment, tick=False):
            receipt = download(client, share.path).cookies[RECEIPT_COOKIE]
        later = (datetime.fromisoformat(moment) + timedelta(seconds=3600)).replace(microsecond=0)
        assert receipt["max-age"] == 3600
        assert receipt["expires"] == http_date(later.timestamp())
        client.cookies.clear()


def test_a_receipt_for_one_link_is_worth_nothing_on_another(client):
    first, second = ShareFactory(max_downloads=1), ShareFactory(max_downloads=1)
    response = download(client, first.path)
    client.cookies[RECEIPT_COOKIE] = response.cookies[RECEIPT_COOKIE].value
    assert download(client, second.path, same_browser=True).status_code == 303
    second.refresh_from_db()
    assert second.download_count == 1  # counted: the first link's receipt did not apply


@pytest.mark.parametrize("token", ["", "download:forged:signature", "other-share"])
def test_a_post_without_this_pages_valid_token_spends_nothing(client, token):
    share = ShareFactory(max_downloads=1)
    if token == "other-share":
        token = page_token(client.get(ShareFactory().path))
    response = client.post(share.path, {"token": token})
    assert response.status_code == 200
    page = response.content.decode()
    assert "This page had been open for a long time. Press Download again." in page
    assert page_token(response)  # a fresh token to press again with
    share.refresh_from_db()
    assert share.download_count == 0
    assert ClickOutcome.REDIRECTED not in outcomes(share)


def test_a_page_left_open_past_the_token_age_shows_itself_again(client, settings):
    settings.SHARELINKS_FORM_TOKEN_AGE = 600
    share = ShareFactory()
    token = page_token(client.get(share.path))
    with time_machine.travel(timezone.now() + timedelta(seconds=590)):
        assert client.post(share.path, {"token": token}).status_code == 303
    client.cookies.clear()
    with time_machine.travel(timezone.now() + timedelta(seconds=610)):
        stale = client.post(share.path, {"token": token})
    assert stale.status_code == 200
    assert "Press Download again" in stale.content.decode()


def test_a_double_click_on_the_same_page_is_one_download_and_one_resumption(client):
    share = ShareFactory()
    token = page_token(client.get(share.path))
    assert client.post(share.path, {"token": token}).status_code == 303
    assert client.post(share.path, {"token": token}).status_code == 303
    share.refresh_from_db()
    assert share.download_count == 1


@pytest.mark.parametrize(
    ("terms", "status", "heading"),
    [
        ({"expires_at": timezone.now() - timedelta(minutes=1)}, 410, "This link has expired"),
        ({"revoked_at": timezone.now()}, 410, "This link was withdrawn"),
        ({"max_downloads": 1, "download_count": 1}, 410, "This link has been used up"),
    ],
)
def test_a_post_on_a_refused_share_gets_the_same_page_as_a_get(client, terms, status, heading):
    share = ShareFactory(**terms)
    token = page_token(client.get(ShareFactory().path))
    for response in (client.get(share.path), client.post(share.path, {"token": token})):
        assert response.status_code == status
        assert f"<h1>{heading}</h1>" in response.content.decode()
    share.refresh_from_db()
    assert share.download_count == terms.get("download_count", 0)


def test_a_post_on_an_unknown_code_is_404(client):
    assert client.post("/s/" + "Q" * 22, {"token": "x"}).status_code == 404


def test_a_direct_link_downloads_on_get_but_never_for_a_prefetch(client):
    share = ShareFactory(direct_download=True)
    for header in ({"HTTP_SEC_PURPOSE": "prefetch"}, {"HTTP_PURPOSE": "prefetch"}):
        response = client.get(share.path, **header)
        assert response.status_code == 200
        assert "Location" not in response
    response = client.get(share.path)
    assert response.status_code == 302
    share.refresh_from_db()
    assert share.download_count == 1


def test_a_prefetch_of_a_landing_page_counts_nothing(client):
    share = ShareFactory()
    assert client.get(share.path, HTTP_SEC_PURPOSE="prefetch;prerender").status_code == 200
    share.refresh_from_db()
    assert share.download_count == 0


def test_the_landing_page_loads_nothing_from_anywhere(client):
    page = client.get(ShareFactory().path).content.decode()
    assert not re.search(r"<(script|img|link|iframe|object|embed)\b", page)
    assert not re.search(r"\bsrc=|url\(|@import", page)  # nothing fetched, not even by CSS
    assert page.count("<h1>") == 1
    assert '<html lang="en">' in page


def test_share_log_tells_views_from_downloads(admin_client):
    share = ShareFactory(owner=UserFactory(username="admin-owner"))
    Click.objects.bulk_create(
        [
            Click(share=share, outcome=ClickOutcome.VIEWED, scanner=True),
            Click(share=share, outcome=ClickOutcome.VIEWED),
            Click(share=share, outcome=ClickOutcome.REDIRECTED),
            Click(share=share, outcome=ClickOutcome.RESUMED),
        ]
    )
    page = admin_client.get(f"/admin/sharelinks/share/{share.pk}/change/").content.decode()
    assert (
        "2 page views (1 by mail scanners or link previews), 1 downloads, "
        "1 resumed downloads (not counted)"
    ) in page
