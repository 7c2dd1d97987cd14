"""Personal links in a real browser: a share sent to two people, one downloads, staff
withdraw the other, and the owner's email and the share's page name the right person.

What the test client cannot show: the person's Download button really delivers the file
through Chromium, the per-person buttons inside the share's change form post to their own
view, and Enter in "add a person" adds the person instead of saving the share.
"""

import pytest
from django.core import mail as outbox
from django.test import Client

from sharelinks import mail
from sharelinks.models import Recipient, RecipientState, Share
from tests.admin.test_shares import staff_member
from tests.browser import DESKTOP, PHONE, SCREENSHOTS, chromium, screenshot
from tests.factories import CONTENT, ShareFactory
from tests.recipient import download
from tests.test_browser_admin import signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sent_to_two(owner) -> tuple[Share, Recipient, Recipient]:
    share = ShareFactory(owner=owner, filename="quote-2026-12.pdf", general_link=False)
    mail.share_send_link(
        share=share, recipients="Sato Ken <sato@example.jp>, Ito Yui <ito@example.jp>"
    )
    return (share, Recipient.objects.get(name="Sato Ken"), Recipient.objects.get(name="Ito Yui"))


def press_download(browser, url: str) -> bytes:
    """A person's own browser: open their link, press Download, return the file's bytes."""
    context = browser.new_context(viewport=DESKTOP, locale="en-US", accept_downloads=True)
    page = context.new_page()
    page.goto(url)
    with page.expect_download() as fetched:
        page.get_by_role("button", name="Download").click()
    with open(fetched.value.path(), "rb") as saved:
        body = saved.read()
    context.close()
    return body


def people_row(page, name: str):
    return page.locator("#recipients-group tbody tr", has_text=name)


def test_one_person_downloads_the_other_is_withdrawn_and_the_owner_sees_who(live_server):
    alice = staff_member("alice")
    share, sato, ito = sent_to_two(alice)
    origin = live_server.url
    with chromium() as browser:
        assert press_download(browser, origin + sato.path) == CONTENT

        staff = signed_in_page(browser, origin, viewport=DESKTOP, language="en")
        staff.goto(f"{origin}/admin/sharelinks/share/{share.pk}/change/")
        people_row(staff, "Ito Yui").get_by_role("button", name="Withdraw").click()
        assert "Ito Yui's link no longer works." in staff.locator(".messagelist").inner_text()

        context = browser.new_context(viewport=DESKTOP, locale="en-US")
        withdrawn = context.new_page()
        response = withdrawn.goto(origin + ito.path)
        assert response.status == 410
        text = withdrawn.locator("main").inner_text()
        assert "Your access to this file was withdrawn" in text
        assert f"ask {alice.get_full_name()} for a new link" in text
        assert "Download" not in text
        context.close()

        assert press_download(browser, origin + sato.path) == CONTENT  # still works

        staff.reload()
        sato_row, ito_row = people_row(staff, "Sato Ken"), people_row(staff, "Ito Yui")
        assert sato_row.locator("td.field-state").inner_text() == "Active"
        assert sato_row.locator("td.field-download_count").inner_text() == "2"
        assert ito_row.locator("td.field-state").inner_text() == "Withdrawn"
        assert ito_row.locator("td.field-download_count").inner_text() == "0"
        activity = staff.locator(".field-activity")
        assert "1 of 2 have downloaded." in activity.inner_text()
        assert activity.get_by_role("button", name="Remind those who have not").is_visible()
        assert "<button" not in activity.inner_text()  # markup, not text
        screenshot(staff, "people-journey-share-page-desktop-en")
        staff.context.close()

    downloaded = [message for message in outbox.outbox if message.to == [alice.email]]
    assert [message.subject for message in downloaded] == ["Sato Ken downloaded quote-2026-12.pdf"]
    assert "Ito Yui" not in downloaded[0].body
    ito.refresh_from_db()
    assert ito.state == RecipientState.WITHDRAWN


def test_enter_in_add_a_person_adds_them_and_saves_nothing_else(live_server):
    alice = staff_member("alice")
    share = ShareFactory(owner=alice, filename="quote.pdf", general_link=False)
    origin = live_server.url
    with chromium() as browser:
        staff = signed_in_page(browser, origin, viewport=DESKTOP, language="en")
        staff.goto(f"{origin}/admin/sharelinks/share/{share.pk}/change/")
        staff.fill("#id_note", "changed but not saved")
        staff.fill("#id_person_address", "Sato Ken <sato@example.jp>")
        staff.press("#id_person_address", "Enter")
        staff.wait_for_load_state()
        assert "Sato Ken was added with their own link; no email was sent." in (
            staff.locator(".messagelist").inner_text()
        )
        assert people_row(staff, "Sato Ken").locator("td.field-state").inner_text() == "Active"
        staff.context.close()
    share.refresh_from_db()
    assert share.note != "changed but not saved"
    assert outbox.outbox == []


def sent_to_three_after_two_downloads(owner) -> Share:
    share = ShareFactory(owner=owner, filename="見積書 2026年12月.pdf", general_link=False,
                         time_zone="Asia/Tokyo")  # fmt: skip
    mail.share_send_link(
        share=share,
        recipients="Sato Ken <sato@example.jp>, Ito Yui <ito@example.jp>, "
        "Suzuki Hana <suzuki@example.jp>",
    )
    for name in ("Sato Ken", "Ito Yui"):
        assert download(Client(), Recipient.objects.get(name=name).path).status_code == 303
    return share


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_share_page_of_three_people_after_two_downloads(live_server, language):
    """The picture for the issue's closing note: who downloaded, by name, at both widths;
    and the owner's email that named the first of them."""
    alice = staff_member("alice")
    share = sent_to_three_after_two_downloads(alice)
    summary = {"en": "2 of 3 have downloaded.", "ja": "3 人中 2 人がダウンロードしました。"}
    with chromium() as browser:
        for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            staff = signed_in_page(browser, live_server.url, viewport=viewport, language=language)
            staff.goto(f"{live_server.url}/admin/sharelinks/share/{share.pk}/change/")
            assert summary[language] in staff.locator(".field-activity").inner_text()
            for name in ("Sato Ken", "Ito Yui", "Suzuki Hana"):
                assert people_row(staff, name).count() == 1
            assert staff.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
            screenshot(staff, f"people-share-page-{width}-{language}")
            # The part the note is about, close up: the summary and the people.
            staff.locator(".field-activity").screenshot(
                path=SCREENSHOTS / f"people-summary-{width}-{language}.png"
            )
            staff.locator("#recipients-group").screenshot(
                path=SCREENSHOTS / f"people-list-{width}-{language}.png"
            )
            staff.context.close()
    emails = [message for message in outbox.outbox if message.to == [alice.email]]
    assert [message.subject for message in emails] == [
        "Sato Ken downloaded 見積書 2026年12月.pdf",
        "Ito Yui downloaded 見積書 2026年12月.pdf",
    ]
    if language == "en":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        first = emails[0]
        (SCREENSHOTS / "owner-email-person.txt").write_text(
            f"To: {', '.join(first.to)}\nSubject: {first.subject}\n\n{first.body}", encoding="utf-8"
        )


def test_enter_in_a_share_field_saves_the_share_and_reminds_nobody(live_server):
    alice = staff_member("alice")
    share, _, _ = sent_to_two(alice)
    sent = len(outbox.outbox)
    with chromium() as browser:
        staff = signed_in_page(browser, live_server.url, viewport=DESKTOP, language="en")
        staff.goto(f"{live_server.url}/admin/sharelinks/share/{share.pk}/change/")
        staff.fill("#id_filename", "quote-final.pdf")
        staff.press("#id_filename", "Enter")
        staff.wait_for_url(f"{live_server.url}/admin/sharelinks/share/")
        staff.context.close()
    share.refresh_from_db()
    assert share.filename == "quote-final.pdf"
    assert len(outbox.outbox) == sent  # no reminder went out
