"""A recipient in a real browser: the landing page, the password, the download, at phone
and desktop width, in Japanese and English.

Proves in Chromium what the test client cannot: the form posts with `Referrer-Policy:
no-referrer` (so `Origin: null`) and without cookies or JavaScript being needed, and the
page's Content-Security-Policy lets the POST's 303 lead to the storage's origin
(Chromium applies form-action to that redirect).
"""

import pytest

from sharelinks import passwords
from tests.browser import DESKTOP, PHONE, chromium, screenshot
from tests.factories import CONTENT, ShareFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def a_share(**terms):
    owner = UserFactory(
        username="tanaka", first_name="Hanako", last_name="Tanaka", email="tanaka@example.co.jp"
    )
    return ShareFactory(
        owner=owner, filename="見積書 2026年12月.pdf", max_downloads=1, time_zone="Asia/Tokyo",
        message="ご依頼の見積書をお送りします。\nよろしくお願いいたします。", **terms,
    )  # fmt: skip


def test_a_japanese_recipient_on_a_phone_types_the_password_and_downloads(live_server):
    share = a_share()
    passwords.share_password_set(share=share, password="umi-no-hi")
    url = live_server.url + share.path
    with chromium() as browser:
        context = browser.new_context(
            viewport=PHONE, locale="ja-JP", accept_downloads=True, java_script_enabled=False,
            timezone_id="Asia/Tokyo", device_scale_factor=2, is_mobile=True, has_touch=True,
        )  # fmt: skip
        page = context.new_page()
        page.goto(url)
        assert page.locator("html").get_attribute("lang") == "ja"
        assert page.locator("h1").inner_text() == "Hanako Tanaka さんからファイルが共有されました"
        assert page.get_by_label("パスワード").is_visible()
        # Nothing sticks out at 390 px: the page never scrolls sideways.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        screenshot(page, "recipient-phone-ja-password")

        page.get_by_label("パスワード").fill("wrong")
        page.get_by_role("button", name="ダウンロード").click()
        assert page.get_by_role("alert").inner_text().startswith("パスワードが違います")
        screenshot(page, "recipient-phone-ja-wrong-password")

        page.get_by_label("パスワード").fill("umi-no-hi")
        with page.expect_download() as fetched:
            page.get_by_role("button", name="ダウンロード").click()
        download = fetched.value
        assert download.suggested_filename == "見積書 2026年12月.pdf"
        with open(download.path(), "rb") as saved:
            assert saved.read() == CONTENT
        context.close()
    share.refresh_from_db()
    assert share.download_count == 1


def test_the_keyboard_alone_reaches_the_button_on_a_desktop_in_english(live_server):
    share = a_share()
    with chromium() as browser:
        context = browser.new_context(viewport=DESKTOP, locale="en-US", accept_downloads=True)
        page = context.new_page()
        page.goto(live_server.url + share.path)
        assert page.locator("h1").count() == 1
        screenshot(page, "recipient-desktop-en")
        stops = []
        while not stops or stops[-1] != "Download":  # the sender's address, then the button
            page.keyboard.press("Tab")
            stops.append(page.evaluate("document.activeElement.textContent"))
            assert len(stops) <= 3, stops
        assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
        with page.expect_download() as fetched:
            page.keyboard.press("Enter")
        assert fetched.value.suggested_filename == "見積書 2026年12月.pdf"
        # The same browser again (a download that broke off): not counted.
        page.goto(live_server.url + share.path)
        assert "does not count as another download" in page.inner_text("main")
        with page.expect_download():
            page.get_by_role("button", name="Download").click()
        context.close()
    share.refresh_from_db()
    assert share.download_count == 1


@pytest.mark.parametrize(("locale", "viewport"), [("ja-JP", PHONE), ("en-US", DESKTOP)])
def test_the_used_up_page_at_both_widths(live_server, locale, viewport):
    share = a_share(download_count=1)
    with chromium() as browser:
        page = browser.new_page(viewport=viewport, locale=locale)
        response = page.goto(live_server.url + share.path)
        assert response.status == 410
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        screenshot(page, f"recipient-used-up-{locale}-{viewport['width']}")
