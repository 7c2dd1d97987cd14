"""Staff upload a multi-part file in a real browser: straight to S3, with progress, Cancel, a
warning before leaving, resume after a reload, and form errors before the first byte.

Chromium's own network throttling slows the upload enough to see it move; parts are 5 MiB
(S3's smallest), so a 24 MiB file goes in five.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest

from sharelinks.models import Share
from tests.admin.test_shares import staff_member
from tests.browser import DESKTOP, PHONE, chromium, screenshot
from tests.conftest import TEST_BUCKET

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MIB = 1024 * 1024
SIZE = 24 * MIB
ADD = "/admin/sharelinks/share/add/"
CHANGELIST = "/admin/sharelinks/share/"
LINK_PAGE = re.compile(r".*/admin/sharelinks/share/\d+/send/$")
PART_SIGNING = re.compile(r"/upload/s3/multipart/[^/?]+/\d+\?")

# Report every value the progress bar and the status line take, as they change.
WATCH = """() => {
  const bar = document.querySelector('.sharelinks-upload-progress progress');
  const status = document.querySelector('.sharelinks-upload-status');
  new MutationObserver(() => window.reportProgress('values', bar.value))
    .observe(bar, {attributes: true, attributeFilter: ['value']});
  new MutationObserver(() => window.reportProgress('texts', status.textContent))
    .observe(status, {childList: true, characterData: true, subtree: true});
}"""


def watch(page) -> dict:
    """What the page's progress showed, kept here: the page itself is left once saved."""
    seen = {"values": [], "texts": []}
    if not getattr(page, "_watched", False):
        page.expose_function("reportProgress", lambda kind, value: seen[kind].append(value))
        page._watched = seen
    else:
        seen = page._watched
        seen["values"].clear()
        seen["texts"].clear()
    page.evaluate(WATCH)
    return seen


@pytest.fixture
def big_file(tmp_path, settings):
    settings.SHARELINKS_UPLOAD_PART_SIZE = 5
    path = tmp_path / "Site survey 2026.mov"
    block = bytes(range(256)) * 4096
    path.write_bytes(b"".join(block[: MIB - n] + block[:n] for n in range(SIZE // MIB)))
    return path


def log_in(context, origin: str):
    page = context.new_page()
    page.goto(f"{origin}/admin/login/")
    page.fill("#id_username", "erin")
    page.fill("#id_password", "correct horse battery staple")
    page.click("input[type=submit]")
    page.wait_for_url(f"{origin}/admin/")
    return page


def throttle(context, page, megabytes_per_second: float) -> None:
    """Slow this page's uploads (Chromium's DevTools throttling) so the bar can be watched."""
    session = context.new_cdp_session(page)
    session.send("Network.enable")
    session.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 5,
            "downloadThroughput": -1,
            "uploadThroughput": megabytes_per_second * 1e6,
        },
    )


def signed_parts(page) -> list[str]:
    """The part-signing requests the page makes from now on."""
    seen = []
    page.on(
        "request", lambda request: PART_SIGNING.search(request.url) and seen.append(request.url)
    )
    return seen


def pending_uploads(s3_client) -> list[str]:
    found = s3_client.list_multipart_uploads(Bucket=TEST_BUCKET, Prefix="shares/")
    return [item["Key"] for item in found.get("Uploads", []) if item["Key"].endswith(".mov")]


@pytest.mark.parametrize(("viewport", "name"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_a_multi_part_file_goes_to_s3_with_a_moving_progress_bar(
    live_server, big_file, s3_client, viewport, name
):
    staff_member("erin")
    with chromium() as browser:
        context = browser.new_context(viewport=viewport, is_mobile=name == "phone")
        page = log_in(context, live_server.url)
        page.goto(live_server.url + ADD)
        screenshot(page, f"upload-{name}-add-form")
        page.set_input_files("#id_upload", str(big_file))
        page.fill("#id_note", "survey footage")
        seen = watch(page)
        parts = signed_parts(page)
        throttle(context, page, 12)
        page.click("input[name=_save]")

        page.wait_for_function("document.querySelector('progress').value >= 40")
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        screenshot(page, f"upload-{name}-progress")
        page.wait_for_url(LINK_PAGE, timeout=60_000)  # after Save: the new share's link page
        screenshot(page, f"upload-{name}-saved")
        context.close()

    share = Share.objects.get()
    assert (share.filename, share.size, share.note) == (big_file.name, SIZE, "survey footage")
    assert len(parts) == 5  # each part signed just before it was sent
    moving = sorted({value for value in seen["values"] if 0 < value < 100})
    assert len(moving) >= 5, seen["values"]
    assert any(re.search(r"\d+% · .* MB/s · .* left", text) for text in seen["texts"]), seen
    assert seen["texts"][-1] == "Uploaded. Saving the share…"
    stored = s3_client.head_object(Bucket=TEST_BUCKET, Key=share.key)
    assert stored["ContentLength"] == SIZE


@pytest.mark.parametrize(("viewport", "name"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_a_past_expiry_is_shown_before_any_byte_with_the_file_still_chosen(
    live_server, big_file, s3_client, viewport, name
):
    staff_member("erin")
    before = pending_uploads(s3_client)
    with chromium() as browser:
        context = browser.new_context(viewport=viewport, is_mobile=name == "phone")
        page = log_in(context, live_server.url)
        page.goto(live_server.url + ADD)
        page.set_input_files("#id_upload", str(big_file))
        page.fill("#id_expires_at_0", "2020-01-01")
        starts = []
        page.on("request", lambda r: "/s3/multipart" in r.url and starts.append(r.url))
        page.click("input[name=_save]")

        page.wait_for_selector(".errornote")
        row = page.locator(".form-row.field-expires_at")
        assert "The expiry must be in the future." in row.locator(".errorlist").inner_text()
        assert page.locator(".errornote").inner_text() == "Please correct the error below."
        assert page.eval_on_selector("#id_upload", "input => input.files[0].name") == big_file.name
        assert starts == []
        assert page.url == live_server.url + ADD  # no navigation: nothing was lost
        screenshot(page, f"upload-{name}-expiry-error")

        page.fill("#id_expires_at_0", "2099-01-01")  # beyond the maximum lifetime
        page.click("input[name=_save]")
        page.wait_for_function("document.querySelector('.errorlist') !== null")
        assert "A share may live at most" in row.locator(".errorlist").inner_text()
        page.fill("#id_expires_at_0", f"{datetime.now(UTC) + timedelta(days=3):%Y-%m-%d}")
        page.click("input[name=_save]")
        page.wait_for_url(LINK_PAGE, timeout=60_000)  # after Save: the new share's link page
        context.close()

    assert pending_uploads(s3_client) == before
    assert Share.objects.get().size == SIZE


def test_cancel_aborts_the_upload_on_s3(live_server, big_file, s3_client):
    staff_member("erin")
    with chromium() as browser:
        context = browser.new_context(viewport=DESKTOP)
        page = log_in(context, live_server.url)
        page.goto(live_server.url + ADD)
        page.set_input_files("#id_upload", str(big_file))
        throttle(context, page, 4)
        page.click("input[name=_save]")
        page.wait_for_function("document.querySelector('progress').value >= 25")
        page.click(".sharelinks-upload-cancel")
        page.wait_for_function(
            "document.querySelector('.sharelinks-upload-status').textContent.includes('cancelled')"
        )
        screenshot(page, "upload-desktop-cancelled")
        page.wait_for_timeout(500)  # the abort is on its way
        context.close()
    assert pending_uploads(s3_client) == []
    assert not Share.objects.exists()


def test_leaving_mid_upload_warns_and_choosing_the_file_again_resumes(
    live_server, big_file, s3_client
):
    staff_member("erin")
    with chromium() as browser:
        context = browser.new_context(viewport=DESKTOP)
        page = log_in(context, live_server.url)
        page.goto(live_server.url + ADD)
        page.set_input_files("#id_upload", str(big_file))
        first_parts = signed_parts(page)
        throttle(context, page, 6)
        page.click("input[name=_save]")
        page.wait_for_function("document.querySelector('progress').value >= 45")

        dialogs = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.accept()))
        page.reload()
        assert dialogs == ["beforeunload"]
        assert len(pending_uploads(s3_client)) == 1  # parts kept for the resume

        page.set_input_files("#id_upload", str(big_file))
        seen = watch(page)
        resumed_parts = signed_parts(page)
        page.click("input[name=_save]")
        page.wait_for_url(LINK_PAGE, timeout=60_000)  # after Save: the new share's link page
        context.close()

    assert any(text.startswith("Resuming: ") for text in seen["texts"]), seen["texts"]
    assert len(first_parts) >= 2
    assert len(resumed_parts) < 5  # only what S3 did not have yet
    assert len(set(first_parts[:2]) & set(resumed_parts)) == 0
    assert Share.objects.get().size == SIZE
    assert pending_uploads(s3_client) == []


def test_without_javascript_the_file_goes_to_s3_through_a_form_of_its_own(
    live_server, tmp_path, s3_client
):
    staff_member("erin")
    document = tmp_path / "Minutes 12 March.txt"
    document.write_bytes(b"minutes of the meeting\n" * 1000)
    with chromium() as browser:
        context = browser.new_context(viewport=PHONE, java_script_enabled=False, is_mobile=True)
        page = log_in(context, live_server.url)
        page.goto(live_server.url + ADD)
        assert not page.locator("#id_upload").is_visible()  # the chooser needs the script
        page.click("text=upload the file on its own page")
        screenshot(page, "upload-phone-nojs-page")
        page.set_input_files("input[name=file]", str(document))
        page.click("input[type=submit]")  # to S3, which sends the browser back
        page.wait_for_url(re.compile(re.escape(live_server.url + ADD) + r"\?upload="))
        assert "Uploaded and attached: Minutes 12 March.txt" in page.inner_text(".field-upload")
        screenshot(page, "upload-phone-nojs-attached")
        page.click("input[name=_save]")
        page.wait_for_url(LINK_PAGE)
        context.close()
    share = Share.objects.get()
    assert (share.filename, share.size) == (document.name, 23_000)


def test_a_part_that_keeps_failing_is_sent_again_and_the_upload_goes_on(
    live_server, big_file, s3_client
):
    """The uploader tries a failed part three more times at once; when those fail too, the
    page waits and resumes the upload from S3's list of parts."""
    staff_member("erin")
    attempts = []

    def flaky(route):
        attempts.append(route.request.method)
        if len(attempts) <= 4:
            route.fulfill(status=500, body="<Error><Code>InternalError</Code></Error>")
        else:
            route.continue_()

    with chromium() as browser:
        context = browser.new_context(viewport=DESKTOP)
        page = log_in(context, live_server.url)
        page.goto(live_server.url + ADD)
        page.route(re.compile(r"[?&]partNumber=2&"), flaky)
        page.set_input_files("#id_upload", str(big_file))
        seen = watch(page)
        page.click("input[name=_save]")
        page.wait_for_url(LINK_PAGE, timeout=60_000)  # after Save: the new share's link page
        context.close()

    assert attempts == ["PUT"] * 5
    assert "The connection failed; trying again in 2 s…" in seen["texts"]
    assert Share.objects.get().size == SIZE
