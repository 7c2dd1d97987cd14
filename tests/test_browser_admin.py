"""Staff in a real browser: the share list on a phone, extend that never shortens, and the
link page after saving, at phone and desktop width, in English and Japanese.

What the test client cannot show: that nothing scrolls sideways at 390 px, that the copy
button really puts the link on the clipboard, and that the QR code is drawn large enough
to scan. Screenshots land in var/screenshots/ for a person to look at.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from sharelinks.models import Recipient, Share
from tests.admin.test_shares import staff_member
from tests.browser import DESKTOP, PHONE, chromium, screenshot
from tests.conftest import BASE_URL
from tests.factories import ShareFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHANGELIST = "/admin/sharelinks/share/"
PASSWORD = "correct horse battery staple"
LANGUAGES = {"en": "en-US", "ja": "ja-JP"}


def signed_in_page(browser, origin: str, *, viewport: dict, language: str, **options):
    """A page of a new context, signed in as alice through the login form."""
    context = browser.new_context(
        viewport=viewport, locale=LANGUAGES[language], timezone_id="Asia/Tokyo", **options
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin)
    page = context.new_page()
    page.goto(f"{origin}/admin/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{origin}/admin/")
    return page


def inside(page, selector: str, width: int) -> bool:
    """The element is drawn, and wholly within the viewport's width."""
    box = page.locator(selector).bounding_box()
    return (
        box is not None and box["width"] > 0 and box["x"] >= 0 and box["x"] + box["width"] <= width
    )


def some_shares(owner) -> list[Share]:
    now = timezone.now()
    return [
        ShareFactory(owner=owner, filename="Quarterly report 2026 Q3 final version.pdf"),
        ShareFactory(owner=owner, filename="見積書 2026年12月.pdf", max_downloads=3),
        ShareFactory(owner=owner, filename="photo.jpg", missing_since=now),
        ShareFactory(owner=owner, filename="old.zip", expires_at=now - timedelta(days=2)),
    ]


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_share_list_on_a_phone_shows_link_copy_status_and_expiry(live_server, language):
    shares = some_shares(staff_member("alice"))
    with chromium() as browser:
        page = signed_in_page(
            browser, live_server.url, viewport=PHONE, language=language, is_mobile=True,
            has_touch=True, device_scale_factor=2,
        )  # fmt: skip
        page.goto(f"{live_server.url}{CHANGELIST}")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert page.evaluate(
            "[...document.querySelectorAll('#changelist .results')]"
            ".every(box => box.scrollWidth <= box.clientWidth)"
        )
        for share in shares:
            row = f"#result_list tbody tr:has(a:text-is('{share.filename}'))"
            for part in (
                ".sharelink-url",
                ".sharelink-copy",
                ".sharelink-status",
                "td.field-expires",
            ):
                assert inside(page, f"{row} {part}", PHONE["width"]), (share.filename, part)
        missing = page.locator("#result_list tbody tr", has_text="photo.jpg")
        assert missing.locator(".sharelink-status-missing").is_visible()
        screenshot(page, f"admin-list-phone-{language}")
        page.set_viewport_size(DESKTOP)
        page.reload()
        assert page.evaluate(
            "[...document.querySelectorAll('#changelist .results')]"
            ".every(box => box.scrollWidth <= box.clientWidth)"
        )
        screenshot(page, f"admin-list-desktop-{language}")
        page.context.close()


def test_extend_never_shortens_a_share(live_server):
    alice = staff_member("alice")
    later = (timezone.now() + timedelta(days=60)).replace(second=0, microsecond=0)
    share = ShareFactory(owner=alice, filename="annual.pdf", expires_at=later)
    with chromium() as browser:
        page = signed_in_page(browser, live_server.url, viewport=DESKTOP, language="en")
        page.goto(f"{live_server.url}{CHANGELIST}")
        page.locator("#result_list tbody tr", has_text="annual.pdf").locator(
            "input.action-select"
        ).check()
        page.select_option("select[name=action]", "extend_shares")
        page.click("button[name=index]")
        # The page proposes no date before the share's own expiry (the staff member's zone).
        proposed = page.input_value("#id_expires_at_0")
        assert proposed == f"{timezone.localtime(later, timezone.get_fixed_timezone(540)):%Y-%m-%d}"
        screenshot(page, "admin-extend-desktop-en")
        soon = timezone.localtime(
            timezone.now() + timedelta(days=7), timezone.get_fixed_timezone(540)
        )
        page.fill("#id_expires_at_0", f"{soon:%Y-%m-%d}")
        page.click("input[name=apply]")
        error = page.locator(".messagelist .error").inner_text()
        assert error.startswith("Not extended: annual.pdf already runs until")
        screenshot(page, "admin-extend-refused-desktop-en")
        page.context.close()
    share.refresh_from_db()
    assert share.expires_at == later


def share_saved(browser, live_server, viewport, language, **fields):
    """Alice (made before the browser starts), signed in, saves a new share with these
    add-form fields: the link page."""
    page = signed_in_page(browser, live_server.url, viewport=viewport, language=language)
    page.goto(f"{live_server.url}{CHANGELIST}add/")
    for field, value in fields.items():
        page.fill(f"#id_{field}", value)
    page.click("input[name=_save]")
    page.wait_for_url("**/send/")
    return page


# The link page in both languages at both widths: "en-desktop", "ja-phone", ...
EVERY_LANGUAGE_AND_WIDTH = pytest.mark.parametrize(
    ("language", "viewport"),
    [("en", DESKTOP), ("ja", PHONE), ("en", PHONE), ("ja", DESKTOP)],
    ids=["en-desktop", "ja-phone", "en-phone", "ja-desktop"],
)


@EVERY_LANGUAGE_AND_WIDTH
def test_after_saving_staff_see_the_link_copy_it_and_its_qr_code(
    live_server, put_object, language, viewport
):
    staff_member("alice")
    put_object("reports/2026/q3.pdf", b"%PDF-1.4 q3")
    name = f"{'desktop' if viewport is DESKTOP else 'phone'}-{language}"
    with chromium() as browser:
        page = share_saved(browser, live_server, viewport, language, key="reports/2026/q3.pdf")
        link = page.locator(".sharelink-handover .sharelink-copy").get_attribute("data-copy")
        assert page.locator(".sharelink-handover .sharelink-url").inner_text() == link
        qr = page.locator(".sharelink-handover svg.sharelink-qr").bounding_box()
        assert qr["width"] >= 180  # large enough for a phone to scan off the screen
        assert qr["x"] + qr["width"] <= viewport["width"]
        assert page.locator("textarea[name=recipients]").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        screenshot(page, f"admin-link-page-{name}")
        page.locator(".sharelink-handover .sharelink-copy").click()
        copied = page.evaluate("navigator.clipboard.readText()")
        page.context.close()
    assert copied == link == f"{BASE_URL}/s/{Share.objects.get().code}"


@EVERY_LANGUAGE_AND_WIDTH
def test_after_sending_to_people_staff_see_each_persons_link_copy_and_qr(
    live_server, put_object, language, viewport
):
    staff_member("alice")
    put_object("quotes/2026-12.pdf", b"%PDF-1.4 quote")
    name = f"{'desktop' if viewport is DESKTOP else 'phone'}-{language}"
    with chromium() as browser:
        page = share_saved(
            browser, live_server, viewport, language, key="quotes/2026-12.pdf",
            recipients="Sato Ken <sato@example.co.jp>, ito.yui@example.co.jp",
        )  # fmt: skip
        cards = page.locator(".sharelink-handover-person")
        assert cards.count() == 2
        assert page.locator(".sharelink-handover:not(.sharelink-handover-person)").count() == 0
        for index, (heading, address) in enumerate(
            [("Sato Ken", "sato@example.co.jp"), ("ito.yui@example.co.jp", "ito.yui@example.co.jp")]
        ):
            card = f".sharelink-handover-person >> nth={index}"
            assert page.locator(f"{card} >> h3").inner_text() == heading
            # The bare address, under the name; a person without a name is headed by it.
            assert page.locator(f"{card}").inner_text().count(address) == 1
            for part in ("h3", ".sharelink-url", ".sharelink-copy", "svg.sharelink-qr"):
                assert inside(page, f"{card} >> {part}", viewport["width"]), (index, part)
            assert page.locator(f"{card} >> svg.sharelink-qr").bounding_box()["width"] >= 160
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        screenshot(page, f"admin-link-page-people-{name}")
        second = page.locator(".sharelink-handover-person >> nth=1 >> .sharelink-copy")
        link = second.get_attribute("data-copy")
        second.click()
        copied = page.evaluate("navigator.clipboard.readText()")
        page.context.close()
    ito = Recipient.objects.get(address="ito.yui@example.co.jp")
    assert copied == link == f"{BASE_URL}/s/{ito.code}"
