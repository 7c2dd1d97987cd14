"""The emails as people read them: who sent what, until when, and only the short link."""

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from sharelinks import people
from sharelinks.mail import messages as emails
from sharelinks.models import Click, ClickOutcome, Delivery, DeliveryKind
from tests.conftest import BASE_URL
from tests.factories import ShareFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def share():
    owner = UserFactory(first_name="Ada", last_name="Lovelace", email="ada@corp.example")
    return ShareFactory(owner=owner, filename="Q3 figures.pdf", max_downloads=3)


def render(share, kind, **fields):
    delivery = Delivery.objects.create(
        share=share, kind=kind, recipient="ann@example.org", **fields
    )
    message = emails.message_for(delivery)
    return message, message.body, message.alternatives[0][0]


def test_the_link_email_names_sender_file_size_expiry_message_and_the_short_link(share):
    sender = UserFactory(first_name="Grace", last_name="Hopper")
    message, text, html = render(
        share, DeliveryKind.LINK, sender=sender, message="See page 4.\n<b>Thanks</b>"
    )
    link = f"{BASE_URL}/s/{share.code}"
    assert message.subject == "Grace Hopper shared a file with you: Q3 figures.pdf"
    assert message.reply_to == ["ada@corp.example"]
    assert message.to == ["ann@example.org"]
    assert message.from_email == "Grace Hopper via sharelinks <noreply@localhost>"
    for part in (text, html):
        assert link in part
        assert "Grace Hopper" in part
        assert "Q3 figures.pdf" in part
        assert "27\xa0bytes" in part
        assert f"{timezone.localtime(share.expires_at):%Y}" in part
        assert "X-Amz" not in part
        assert "amazonaws" not in part
    assert "<b>Thanks</b>" in text
    assert "&lt;b&gt;Thanks&lt;/b&gt;" in html  # the message is escaped in HTML
    assert "<img" not in html
    assert "<link" not in html  # inline CSS only, nothing fetched from elsewhere
    assert message.alternatives[0][1] == "text/html"


@pytest.mark.parametrize(
    ("kind", "subject", "says"),
    [
        (DeliveryKind.FIRST_DOWNLOAD, "Q3 figures.pdf was downloaded", "Downloads so far"),
        (DeliveryKind.DOWNLOAD, "Q3 figures.pdf was downloaded", "from the network 203.0.113.0"),
        (DeliveryKind.EXPIRY_REMINDER, "Your link to Q3 figures.pdf expires soon", "extend"),
        (DeliveryKind.MISSING, "The file behind your link to Q3 figures.pdf is missing", "s3://"),
    ],
)
def test_owner_emails(share, kind, subject, says):
    click = Click.objects.create(
        share=share, outcome=ClickOutcome.REDIRECTED, client_ip="203.0.113.0", user_agent="Mail"
    )
    message, text, html = render(share, kind, click=click)
    assert message.subject == subject
    assert says in text
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    assert "X-Amz" not in text + html


def test_a_file_name_cannot_inject_headers(share):
    share.filename = "a.pdf\r\nBcc: everyone@example.org"
    share.save()
    message, _, _ = render(share, DeliveryKind.FIRST_DOWNLOAD)
    assert "\n" not in message.subject
    assert "Bcc" not in str(message.message()["Bcc"] or "")


def test_every_try_of_a_delivery_carries_the_same_message_id_at_the_sites_domain(share, settings):
    settings.DEFAULT_FROM_EMAIL = "Files <files@corp.example>"
    delivery = Delivery.objects.create(
        share=share, kind=DeliveryKind.LINK, recipient="ann@example.org"
    )
    other = Delivery.objects.create(
        share=share, kind=DeliveryKind.LINK, recipient="bob@example.org"
    )
    first, retry = (emails.message_for(delivery).message()["Message-ID"] for _ in range(2))
    assert first == retry
    assert first.startswith(f"<sharelinks.delivery.{delivery.pk}.")
    assert first.endswith("@corp.example>")
    assert emails.message_for(other).message()["Message-ID"] != first


def test_the_to_header_keeps_the_name_staff_pasted_and_cannot_be_turned_into_a_header(share):
    message, _, _ = render(
        share, DeliveryKind.LINK, recipient_name="Keller, Maria\r\nBcc: all@example.org"
    )
    to = message.message()["To"]
    assert to == '"Keller, Maria Bcc: all@example.org" <ann@example.org>'
    assert message.message()["Bcc"] is None


@pytest.mark.parametrize(
    ("user", "named"),
    [
        ({"first_name": "Grace", "last_name": "Hopper"}, "Grace Hopper"),
        ({"first_name": "", "last_name": "", "email": "it@corp.example"}, "it@corp.example"),
        ({"first_name": "", "last_name": "", "email": ""}, "sharelinks"),
    ],
)
def test_a_sender_is_never_named_by_login(share, user, named):
    sender = UserFactory(username="admin", **user)
    message, text, _html = render(share, DeliveryKind.LINK, sender=sender)
    assert message.subject == f"{named} shared a file with you: Q3 figures.pdf"
    assert f"{named} shared a file with you." in text
    assert "admin" not in message.subject + text


@pytest.mark.parametrize(
    ("language", "sentence", "html"),
    [
        (
            "en",
            "Sato Ken downloaded <Q3> figures.pdf on Dec. 2, 2026 18:00 JST"
            " from the network 203.0.113.0.",
            'Sato Ken downloaded <strong style="word-break:break-word;">&lt;Q3&gt; figures.pdf'
            "</strong> on Dec. 2, 2026 18:00 JST from the network 203.0.113.0.",
        ),
        (
            "ja",
            "Sato Ken さんが 2026年12月2日 18:00 JST にネットワーク 203.0.113.0 から"
            " <Q3> figures.pdf をダウンロードしました。",
            "Sato Ken さんが 2026年12月2日 18:00 JST にネットワーク 203.0.113.0 から"
            ' <strong style="word-break:break-word;">&lt;Q3&gt; figures.pdf</strong>'
            " をダウンロードしました。",
        ),
    ],
)
def test_the_download_email_says_who_when_and_from_where_in_one_sentence_of_its_language(
    settings, language, sentence, html
):
    # Owners read the site's language; Japanese orders the time and network before the
    # verb, so the sentence is translated whole, never joined from pieces.
    settings.LANGUAGE_CODE = language
    share = ShareFactory(filename="<Q3> figures.pdf", time_zone="Asia/Tokyo")
    person, _ = people.person_add(share=share, address="sato@example.jp", name="Sato Ken")
    at = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    click = Click.objects.create(
        share=share, recipient=person, at=at, outcome=ClickOutcome.REDIRECTED,
        client_ip="203.0.113.0",
    )  # fmt: skip
    _, text, body = render(share, DeliveryKind.FIRST_DOWNLOAD, click=click, person=person)
    assert text.startswith(sentence + "\n")
    assert html in body
