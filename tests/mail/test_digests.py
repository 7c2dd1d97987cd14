"""Downloads that come close together reach their owner as one email, not a flood.

The mail thread (and, with a broker, the worker's fan-out) sends the emails handed over
together as one batch; the download emails of that batch to one address become one
digest. What the owner reads is asserted on the messages Django's mail outbox collects;
the rows are the real ones the click path writes.
"""

import re
import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sharelinks.mail import messages, outbox
from sharelinks.models import Click, ClickOutcome, Delivery, DeliveryKind, DeliveryStatus
from tests.browser import DESKTOP, PHONE, chromium, screenshot
from tests.conftest import BASE_URL
from tests.factories import ShareFactory, UserFactory

pytestmark = pytest.mark.django_db


class DroppingBackend(EmailBackend):
    """locmem, but the mail server drops the connection on the next send (once)."""

    drop_next = False

    def send_messages(self, email_messages):
        if DroppingBackend.drop_next:
            DroppingBackend.drop_next = False
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(email_messages)


@pytest.fixture
def owner():
    return UserFactory(first_name="Ada", last_name="Lovelace", email="ada@corp.example")


def downloaded(share, kind=DeliveryKind.DOWNLOAD, recipient=None, agent="Firefox/128.0"):
    """A counted download's click and its owner email row, as the click path writes them."""
    click = Click.objects.create(
        share=share, outcome=ClickOutcome.REDIRECTED, client_ip="203.0.113.0", user_agent=agent
    )
    return Delivery.objects.create(
        share=share, kind=kind, click=click, recipient=recipient or share.owner.email
    )


def sent(rows):
    return outbox.deliveries_send(delivery_ids=[row.pk for row in rows])


def statuses(rows):
    return [Delivery.objects.get(pk=row.pk).status for row in rows]


def test_downloads_sent_together_reach_the_owner_as_one_email_telling_of_each(owner):
    shares = [ShareFactory(owner=owner, filename=f"report {n}.pdf") for n in range(3)]
    rows = [downloaded(share, DeliveryKind.FIRST_DOWNLOAD) for share in shares]

    assert sent(rows) == {row.pk: None for row in rows}

    (message,) = mail.outbox
    assert message.subject == "3 downloads of your files"
    assert message.to == ["ada@corp.example"]
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    html = message.alternatives[0][0]
    for part in (message.body, html):
        assert "These 3 downloads came close together, so they are in one email." in part
        for share in shares:
            assert share.filename in part
            assert f"{BASE_URL}/admin/sharelinks/share/{share.pk}/change/" in part
        assert part.count("203.0.113.0") == 3
        assert "more download" not in part
    assert statuses(rows) == [DeliveryStatus.SENT] * 3


def test_a_download_alone_is_its_own_email_as_ever(owner):
    row = downloaded(ShareFactory(owner=owner, filename="alone.pdf"))
    sent([row])
    (message,) = mail.outbox
    assert message.subject == "alone.pdf was downloaded"
    assert "came close together" not in message.body


def test_a_burst_tells_of_the_first_ten_in_full_and_counts_the_rest(owner):
    share = ShareFactory(owner=owner, filename="popular.pdf")
    rows = [downloaded(share, agent=f"Agent/{n}") for n in range(13)]
    sent(rows)
    (message,) = mail.outbox
    assert message.subject == "13 downloads of your files"
    for part in (message.body, message.alternatives[0][0]):
        assert [f"Agent/{n}" in part for n in range(13)] == [True] * 10 + [False] * 3
        assert "3 more downloads are in the click logs of their shares." in part
    assert statuses(rows) == [DeliveryStatus.SENT] * 13


def test_only_download_emails_to_one_address_are_put_together(owner):
    other = UserFactory(email="grace@corp.example")
    mine = [downloaded(ShareFactory(owner=owner)) for _ in range(2)]
    # The same address in another case is the same mailbox.
    mine.append(downloaded(ShareFactory(owner=owner), recipient="ADA@corp.example"))
    theirs = downloaded(ShareFactory(owner=other))
    link = Delivery.objects.create(
        share=mine[0].share, kind=DeliveryKind.LINK, recipient="ada@corp.example"
    )
    sent([mine[0], theirs, link, mine[1], mine[2]])

    by_subject = {message.subject: message.to for message in mail.outbox}
    assert by_subject == {
        "3 downloads of your files": ["ada@corp.example"],
        "figures.pdf was downloaded": ["grace@corp.example"],
        "Ada Lovelace shared a file with you: figures.pdf": ["ada@corp.example"],
    }


def test_a_digest_the_mail_server_drops_puts_each_of_its_rows_back_with_a_backoff(owner, settings):
    settings.EMAIL_BACKEND = "tests.mail.test_digests.DroppingBackend"
    rows = [downloaded(ShareFactory(owner=owner)) for _ in range(2)]
    DroppingBackend.drop_next = True

    retry_in = sent(rows)

    assert all(15 <= retry_in[row.pk] <= 30 for row in rows)
    assert statuses(rows) == [DeliveryStatus.PENDING] * 2
    assert "SMTPServerDisconnected" in Delivery.objects.get(pk=rows[0].pk).last_error
    assert mail.outbox == []
    # The retry sends them, again as one email, with the same Message-ID as the first try.
    assert sent(rows) == {row.pk: None for row in rows}
    (message,) = mail.outbox
    first = Delivery.objects.get(pk=rows[0].pk)
    created = int(first.created_at.timestamp())
    assert message.extra_headers["Message-ID"] == (
        f"<sharelinks.digest.{rows[0].pk}-{rows[1].pk}.{created}@localhost>"
    )


def test_the_digest_reads_in_the_sites_language(owner, settings):
    settings.LANGUAGE_CODE = "ja"
    rows = [downloaded(ShareFactory(owner=owner, filename="資料.pdf")) for _ in range(2)]
    sent(rows)
    (message,) = mail.outbox
    assert message.subject == "ファイルが 2 回ダウンロードされました"
    assert "短い間に 2 回のダウンロードがあったため、1 通のメールにまとめました。" in message.body
    assert message.body.count("資料.pdf") == 2


def test_a_burst_of_any_size_costs_the_same_queries_and_reads_ten_rows_in_full(owner):
    # A digest tells of DIGEST_SHOWN downloads and counts the rest, so sending one reads
    # those rows in full and the others only for their kind and address: a burst of
    # hundreds costs the mail thread about what ten cost.
    share = ShareFactory(owner=owner)
    queries = {}
    for size in (messages.DIGEST_SHOWN + 2, messages.DIGEST_SHOWN + 60):
        rows = [downloaded(share) for _ in range(size)]
        mail.outbox = []
        with CaptureQueriesContext(connection) as captured:
            sent(rows)
        (message,) = mail.outbox
        assert message.body.count("Browser:") == messages.DIGEST_SHOWN
        assert f"{size - messages.DIGEST_SHOWN} more downloads" in message.body
        assert statuses(rows) == [DeliveryStatus.SENT] * size
        # The one query that reads rows in full (with their share, owner, click, person).
        (full,) = [q["sql"] for q in captured.captured_queries if '"sharelinks_click"' in q["sql"]]
        assert len(re.search(r"\bIN \(([^)]*)\)", full)[1].split(",")) == messages.DIGEST_SHOWN
        queries[size] = len(captured.captured_queries)
        Delivery.objects.filter(pk__in=[row.pk for row in rows]).delete()
    assert len(set(queries.values())) == 1, queries


@pytest.mark.browser
@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_digest_reads_well_in_a_mail_client_on_a_desk_and_on_a_phone(owner, settings, language):
    # The HTML part as a mail client shows it (Chromium, no remote content): every line is
    # there, long browser strings wrap instead of widening the page, and nothing overflows.
    settings.LANGUAGE_CODE = language
    shares = [ShareFactory(owner=owner, filename=f"四半期報告 {n}.pdf") for n in range(12)]
    agent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 " * 2
    sent([downloaded(share, agent=agent) for share in shares])
    (message,) = mail.outbox
    with chromium() as browser:
        for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            page = browser.new_page(viewport=viewport)
            page.set_content(message.alternatives[0][0])
            screenshot(page, f"owner-digest-{language}-{name}")
            text = page.inner_text("body")
            assert text.count("四半期報告") == messages.DIGEST_SHOWN
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
            page.close()
    summary = {"en": "2 more downloads are in", "ja": "ほかに 2 回のダウンロード"}[language]
    assert summary in message.alternatives[0][0]
