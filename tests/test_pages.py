"""The recipient's pages in their language (English, Japanese) and times in their terms.

Every page follows Accept-Language, or the page's own switch (?lang=ja); the emails to
recipients use the language staff chose for the share; every time is shown in the zone
of the staff member who made the share, with the zone named.
"""

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

import polib
import pytest
from django.core import mail
from django.utils import timezone, translation

from sharelinks import mail as outbox
from sharelinks.models import DeliveryStatus
from sharelinks.templatetags.sharelinks_times import moment_text
from tests.factories import ShareFactory, UserFactory

pytestmark = pytest.mark.django_db

JA = {"HTTP_ACCEPT_LANGUAGE": "ja,en-US;q=0.7,en;q=0.3"}
CATALOG = Path(__file__).resolve().parent.parent / "sharelinks/locale/ja/LC_MESSAGES/django.po"
# What may stay in Latin letters on a Japanese page: the test data's own names, addresses,
# file types and zone names, and the other language's name in the switch.
LATIN_ALLOWED = re.compile(
    r"figures\.pdf|application/pdf|\bbytes\b|JST|UTC|CET|sharelinks|English|[\w.+-]+@[\w.-]+"
    r"|Hanako|Tanaka|Ada|Staff\d+|staff\d+|\d+"
)


def visible_text(response) -> str:
    html = response.content.decode()
    html = re.sub(r"<(style|script)\b.*?</\1>", " ", html, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", html))


def english_left(response) -> list[str]:
    """Runs of Latin words on a page that should be all Japanese: untranslated strings."""
    text = LATIN_ALLOWED.sub(" ", visible_text(response))
    return re.findall(r"[A-Za-z]{2,}(?:[ ,.'\u2019:-]+[A-Za-z]{2,})*", text)


def pages_of_every_kind(client, headers):
    """Each recipient page once: landing, password prompt, 404, 410 x4, 429 x2, 503."""
    owner = UserFactory(username="tanaka", first_name="Hanako", last_name="Tanaka")
    now = timezone.now()
    locked = ShareFactory(owner=owner, max_downloads=2)
    locked.set_password("pw")
    locked.save()
    yield "landing", client.get(ShareFactory(owner=owner, max_downloads=3).path, **headers)
    yield "password", client.get(locked.path, **headers)
    yield "not found", client.get("/s/" + "N" * 22, **headers)
    yield (
        "expired",
        client.get(ShareFactory(owner=owner, expires_at=now - timedelta(1)).path, **headers),
    )
    yield "withdrawn", client.get(ShareFactory(owner=owner, revoked_at=now).path, **headers)
    used = ShareFactory(owner=owner, max_downloads=1, download_count=1, last_download_at=now)
    yield "used up", client.get(used.path, **headers)
    yield (
        "missing",
        client.get(ShareFactory(owner=owner, missing_since=now, body=False).path, **headers),
    )
    from sharelinks import pages

    request = client.get("/s/" + "N" * 22, **headers).wsgi_request
    with translation.override(translation.get_language_from_request(request)):
        yield "too many guesses", pages.too_many(request, 600)
        yield "too many passwords", pages.too_many(request, 300, reason="password")
        yield "unavailable", pages.unavailable(request)


def test_every_recipient_page_is_in_japanese_for_a_japanese_browser(client):
    for name, response in pages_of_every_kind(client, JA):
        assert response["Content-Language"] == "ja", name
        assert '<html lang="ja">' in response.content.decode(), name
        assert english_left(response) == [], name


def test_every_recipient_page_is_in_english_otherwise(client):
    for name, response in pages_of_every_kind(client, {"HTTP_ACCEPT_LANGUAGE": "en-GB"}):
        assert response["Content-Language"] == "en", name
        assert re.search(r"<h1>[A-Z][a-z]", response.content.decode()), name


def test_the_visible_switch_changes_the_language_without_a_cookie(client):
    share = ShareFactory()
    english = client.get(share.path).content.decode()
    assert f'<a href="{share.path}?lang=ja" hreflang="ja" lang="ja">日本語</a>' in english
    japanese = client.get(f"{share.path}?lang=ja").content.decode()
    assert '<button type="submit">ダウンロード</button>' in japanese
    assert f'action="{share.path}?lang=ja"' in japanese  # the answer to the button stays ja
    assert f'<a href="{share.path}?lang=en" hreflang="en" lang="en">English</a>' in japanese
    assert not client.cookies


@pytest.mark.parametrize(
    ("zone", "language", "text"),
    [
        ("Asia/Tokyo", "ja", "2026年12月2日 18:00 JST"),
        ("Asia/Tokyo", "en", "Dec. 2, 2026 18:00 JST"),
        ("Europe/Berlin", "en", "Dec. 2, 2026 10:00 CET"),
        ("Asia/Dubai", "en", "Dec. 2, 2026 13:00 UTC+04:00"),
        ("America/St_Johns", "en", "Dec. 2, 2026 05:30 NST"),
        ("Asia/Kolkata", "ja", "2026年12月2日 14:30 IST"),
        ("UTC", "en", "Dec. 2, 2026 09:00 UTC"),
        ("Not/AZone", "en", "Dec. 2, 2026 09:00 UTC"),
    ],
)
def test_times_are_shown_in_the_shares_zone_with_the_zone_named(zone, language, text):
    moment = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    with translation.override(language):
        assert moment_text(moment, zone) == text


def test_page_and_email_name_the_same_moment_alike(
    client, settings, django_capture_on_commit_callbacks
):
    settings.SHARELINKS_BASE_URL = "https://files.example.com"
    expiry = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    share = ShareFactory(expires_at=expiry, time_zone="Asia/Tokyo", language="ja")
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        outbox.share_send_link(share=share, recipients=["sato@example.jp"])
    (email,) = mail.outbox
    assert "リンクは 2026年12月2日 18:00 JST まで有効です。" in email.body
    assert email.subject.endswith("さんからファイルが共有されました：figures.pdf")  # noqa: RUF001
    page = client.get(share.path, **JA).content.decode()
    assert "<dd>2026年12月2日 18:00 JST</dd>" in page
    assert share.deliveries.get().status == DeliveryStatus.SENT


def test_the_owners_email_uses_the_shares_zone(
    client, settings, django_capture_on_commit_callbacks
):
    settings.SHARELINKS_BASE_URL = "https://files.example.com"
    share = ShareFactory(time_zone="Europe/Berlin", expires_at=datetime(2026, 12, 2, 9, tzinfo=UTC))
    from tests.recipient import download

    with django_capture_on_commit_callbacks(execute=True):
        download(client, share.path)
    (email,) = mail.outbox
    assert "The link works until Dec. 2, 2026 10:00 CET." in email.body


def test_the_catalog_translates_every_string_and_the_compiled_file_matches():
    catalog = polib.pofile(str(CATALOG))
    untranslated = [entry.msgid for entry in catalog if not entry.translated()]
    assert untranslated == []
    assert catalog.fuzzy_entries() == []
    compiled = polib.mofile(str(CATALOG.with_suffix(".mo")))
    assert {e.msgid: (e.msgstr, e.msgstr_plural) for e in compiled} == {
        e.msgid: (e.msgstr, {int(k): v for k, v in e.msgstr_plural.items()})
        for e in catalog
        if e.msgid
    }
