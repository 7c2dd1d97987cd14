"""The staff admin: creating shares both ways, the change list, actions, owner isolation."""

import os
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from sharelinks.models import Click, ClickOutcome, Share
from tests.conftest import BASE_URL, TEST_BUCKET
from tests.factories import ShareFactory, UserFactory
from tests.uploader import upload_via_service

CHANGELIST = "/admin/sharelinks/share/"
ADD = "/admin/sharelinks/share/add/"
SHARE_PERMISSIONS = ["add_share", "change_share", "view_share", "delete_share"]
CHROMIUM = "/usr/bin/chromium"


def staff_member(username: str):
    """A staff member (not a superuser) with the share permissions the README tells to give."""
    user = UserFactory(username=username)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="sharelinks", codename__in=SHARE_PERMISSIONS
        )
    )
    return user


@pytest.fixture
def staff(db):
    return staff_member("alice")


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def change_url(share: Share) -> str:
    return f"{CHANGELIST}{share.pk}/change/"


def expiry_fields(when: datetime) -> dict:
    """The admin's split date/time inputs, in the current time zone."""
    local = timezone.localtime(when)
    return {"expires_at_0": f"{local:%Y-%m-%d}", "expires_at_1": f"{local:%H:%M:%S}"}


def in_days(days: float) -> datetime:
    return (timezone.now() + timedelta(days=days)).replace(microsecond=0)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def act(client, action: str, *shares: Share, **extra):
    data = {"action": action, "_selected_action": [share.pk for share in shares], **extra}
    return client.post(CHANGELIST, data, follow=True)


# -- creating a share ------------------------------------------------------------------


def test_an_upload_is_shared_by_its_handle_under_a_fresh_key(staff_client, staff, s3_client):
    handle = upload_via_service(staff, "Q3 report.pdf", b"%PDF-1.4 q3", "application/pdf")
    response = staff_client.post(
        ADD, {"upload": handle, "note": "for the auditors", **expiry_fields(in_days(3))}
    )

    assert response.status_code == 302
    share = Share.objects.get()
    assert share.owner == staff
    assert share.bucket == TEST_BUCKET
    assert share.key.startswith("shares/")
    assert share.key.endswith("/Q3 report.pdf")
    assert share.filename == "Q3 report.pdf"
    assert (share.size, share.content_type) == (11, "application/pdf")
    assert share.note == "for the auditors"
    stored = s3_client.get_object(Bucket=TEST_BUCKET, Key=share.key)
    assert stored["Body"].read() == b"%PDF-1.4 q3"


def test_a_file_posted_to_django_itself_is_not_taken(staff_client, s3_client):
    """The bytes go to S3 from the browser; a file in the form's own POST is ignored."""
    upload = SimpleUploadedFile("Q3 report.pdf", b"%PDF-1.4 q3", content_type="application/pdf")
    response = staff_client.post(ADD, {"upload": upload, **expiry_fields(in_days(3))})

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "Choose what to share: upload a file, or name an object already in S3."
    ]
    assert not Share.objects.exists()


def test_naming_an_existing_key_captures_its_size_and_type(staff_client, put_object):
    put_object("exports/2025/data.csv", b"a,b\n1,2\n", content_type="text/csv")
    response = staff_client.post(
        ADD, {"key": "exports/2025/data.csv", "max_downloads": "5", **expiry_fields(in_days(2))}
    )

    assert response.status_code == 302
    share = Share.objects.get()
    assert (share.bucket, share.key) == (TEST_BUCKET, "exports/2025/data.csv")
    assert (share.size, share.content_type) == (8, "text/csv")
    assert share.filename == "data.csv"
    assert share.max_downloads == 5


def test_a_missing_object_is_an_error_on_the_key_field_and_saves_nothing(staff_client):
    response = staff_client.post(ADD, {"key": "nowhere/missing.pdf", **expiry_fields(in_days(2))})

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "There is no object s3://sharelinks-test/nowhere/missing.pdf." in errors["key"]
    assert not Share.objects.exists()


def test_an_expiry_in_the_past_is_an_error_on_the_expiry_field(staff_client, put_object):
    put_object("reports/old.pdf", b"old")
    response = staff_client.post(ADD, {"key": "reports/old.pdf", **expiry_fields(in_days(-1))})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["expires_at"] == [
        "The expiry must be in the future."
    ]
    assert not Share.objects.exists()


@pytest.mark.parametrize(
    ("both", "said"),
    [
        (True, "Upload a file or name an object already in S3, not both."),
        (False, "Choose what to share: upload a file, or name an object already in S3."),
    ],
    ids=["both", "neither"],
)
def test_exactly_one_source_is_required(staff_client, staff, put_object, both, said):
    data = expiry_fields(in_days(2))
    if both:
        put_object("reports/a.pdf", b"a")
        data |= {"key": "reports/a.pdf", "upload": upload_via_service(staff, "a.pdf", b"a")}
    response = staff_client.post(ADD, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [said]
    assert not Share.objects.exists()


def test_the_recipients_help_text_shows_name_and_address_as_written(staff_client):
    html = staff_client.get(ADD).content.decode()
    assert "“Name &lt;address&gt;” as mail programs copy it is fine." in html


def test_the_add_form_offers_the_default_expiry_and_hides_the_owner_from_staff(
    staff_client, settings
):
    settings.SHARELINKS_DEFAULT_LIFETIME = timedelta(days=10)
    form = staff_client.get(ADD).context["adminform"].form

    assert "owner" not in form.fields
    assert abs(form.initial["expires_at"] - in_days(10)) < timedelta(minutes=2)


def test_a_superuser_may_create_a_share_for_another_owner(admin_client, put_object):
    bob = staff_member("bob")
    put_object("reports/b.pdf", b"b")
    response = admin_client.post(
        ADD, {"key": "reports/b.pdf", "owner": bob.pk, **expiry_fields(in_days(2))}
    )

    assert response.status_code == 302
    assert Share.objects.get().owner == bob


# -- the change list -------------------------------------------------------------------


def test_the_change_list_shows_link_status_and_downloads(staff_client, staff):
    limited = ShareFactory(owner=staff, filename="limited.pdf", max_downloads=5)
    Share.objects.filter(pk=limited.pk).update(download_count=2)
    ShareFactory(owner=staff, filename="open.pdf")
    revoked = ShareFactory(owner=staff, filename="gone.pdf", revoked_at=timezone.now())

    html = staff_client.get(CHANGELIST).content.decode()

    assert f'data-copy="{BASE_URL}/s/{limited.code}"' in html
    assert f"{BASE_URL}/s/<wbr>{limited.code}</code>" in html
    assert f'data-copy="{BASE_URL}/s/{revoked.code}"' in html
    assert "2 / 5" in html
    assert "0 / ∞" in html
    assert 'class="sharelink-status sharelink-status-active" title="Active">Active<' in html
    assert 'class="sharelink-status sharelink-status-revoked" title="Revoked">Revoked<' in html


def test_expiry_is_shown_in_the_configured_time_zone(staff_client, staff, settings):
    settings.TIME_ZONE = "Asia/Tokyo"
    ShareFactory(owner=staff, expires_at=datetime(2099, 1, 1, 15, 30, tzinfo=UTC))

    html = staff_client.get(CHANGELIST).content.decode()

    assert ">Jan. 2, 2099</span>" in html  # 15:30 UTC is 00:30 the next day in Tokyo
    assert ">12:30 a.m.</span>" in html


def test_the_status_filter_uses_the_same_rules_as_the_click_path(staff_client, staff):
    ShareFactory(owner=staff, filename="active.pdf")
    ShareFactory(owner=staff, filename="expired.pdf", expires_at=in_days(-1))
    ShareFactory(owner=staff, filename="revoked.pdf", revoked_at=timezone.now())
    used = ShareFactory(owner=staff, filename="used.pdf", max_downloads=1)
    Share.objects.filter(pk=used.pk).update(download_count=1)

    for status in ("active", "expired", "revoked", "exhausted"):
        response = staff_client.get(CHANGELIST, {"status": status})
        shown = [share.filename for share in response.context["cl"].result_list]
        assert shown == [f"{'used' if status == 'exhausted' else status}.pdf"]


def test_search_finds_shares_by_filename_note_and_code(staff_client, staff):
    contract = ShareFactory(owner=staff, filename="contract.pdf", note="for ACME legal")
    other = ShareFactory(owner=staff, filename="photo.jpg")

    def found(query: str) -> list[Share]:
        return list(staff_client.get(CHANGELIST, {"q": query}).context["cl"].result_list)

    assert found("contract") == [contract]
    assert found("acme") == [contract]
    assert found(other.code) == [other]


def test_superusers_filter_by_owner(admin_client):
    alice, bob = staff_member("alice"), staff_member("bob")
    ShareFactory(owner=alice, filename="alice.pdf")
    ShareFactory(owner=bob, filename="bob.pdf")

    response = admin_client.get(CHANGELIST, {"owner__id__exact": bob.pk})

    assert [share.filename for share in response.context["cl"].result_list] == ["bob.pdf"]


# -- actions ---------------------------------------------------------------------------


def test_revoke_withdraws_the_share_and_says_so(staff_client, staff):
    share = ShareFactory(owner=staff)
    response = act(staff_client, "revoke_shares", share)

    share.refresh_from_db()
    assert share.revoked_at is not None
    assert "1 share revoked." in messages_of(response)


def test_reinstate_undoes_a_revocation(staff_client, staff):
    share = ShareFactory(owner=staff, revoked_at=timezone.now())
    response = act(staff_client, "reinstate_shares", share)

    share.refresh_from_db()
    assert share.revoked_at is None
    assert messages_of(response) == ["1 share reinstated: its link works again."]


def test_reinstating_an_expired_share_says_its_link_still_needs_extending(staff_client, staff):
    share = ShareFactory(
        owner=staff, filename="old.pdf", revoked_at=timezone.now(), expires_at=in_days(-1)
    )
    response = act(staff_client, "reinstate_shares", share)

    share.refresh_from_db()
    assert share.revoked_at is None
    assert messages_of(response) == [
        "No longer revoked, but old.pdf has expired: extend it to make its link work again."
    ]


def test_reinstating_a_used_up_share_says_its_limit_needs_raising(staff_client, staff):
    share = ShareFactory(
        owner=staff, filename="used.pdf", revoked_at=timezone.now(), max_downloads=1
    )
    Share.objects.filter(pk=share.pk).update(download_count=1)
    response = act(staff_client, "reinstate_shares", share)

    assert messages_of(response) == [
        "No longer revoked, but used.pdf has reached its download limit: raise the limit on its "
        "page to make its link work again."
    ]


def test_reinstating_a_share_that_was_not_revoked_says_so(staff_client, staff):
    share = ShareFactory(owner=staff, filename="fine.pdf")
    response = act(staff_client, "reinstate_shares", share)
    assert messages_of(response) == ["Not revoked, so nothing to reinstate: fine.pdf."]


def test_extend_asks_for_the_new_expiry_then_moves_it_and_keeps_the_link(staff_client, staff):
    shares = [ShareFactory(owner=staff), ShareFactory(owner=staff)]
    codes = [share.code for share in shares]

    page = act(staff_client, "extend_shares", *shares)
    assert page.templates[0].name == "admin/sharelinks/share/extend.html"
    assert 'name="expires_at_0"' in page.content.decode()

    until = in_days(30)
    response = act(staff_client, "extend_shares", *shares, apply="1", **expiry_fields(until))

    for share, code in zip(shares, codes, strict=True):
        share.refresh_from_db()
        assert (share.expires_at, share.code) == (until, code)
    (said,) = messages_of(response)
    assert said.startswith("2 shares extended: they now expire ")
    assert ".." not in said


def test_extend_proposes_no_earlier_expiry_than_a_share_already_has(staff_client, staff, settings):
    settings.SHARELINKS_DEFAULT_LIFETIME = timedelta(days=7)
    share = ShareFactory(owner=staff, expires_at=in_days(60))

    form = act(staff_client, "extend_shares", share).context["form"]

    assert form.initial["expires_at"] >= share.expires_at.replace(second=0)
    assert form.initial["expires_at"] - share.expires_at < timedelta(minutes=1)


def test_extend_proposes_the_default_for_a_share_that_ends_sooner(staff_client, staff, settings):
    settings.SHARELINKS_DEFAULT_LIFETIME = timedelta(days=7)
    share = ShareFactory(owner=staff, expires_at=in_days(1))

    form = act(staff_client, "extend_shares", share).context["form"]

    assert abs(form.initial["expires_at"] - in_days(7)) < timedelta(minutes=2)


def test_extend_never_shortens_a_share(staff_client, staff):
    """A share running until late January was once "extended" to early December."""
    share = ShareFactory(owner=staff, filename="annual.pdf", expires_at=in_days(60))
    before = share.expires_at

    response = act(staff_client, "extend_shares", share, apply="1", **expiry_fields(in_days(7)))

    share.refresh_from_db()
    assert share.expires_at == before
    (said,) = messages_of(response)
    assert said.startswith("Not extended: annual.pdf already runs until ")
    assert "extending never makes a share end sooner" in said


def test_extend_to_a_past_date_is_an_error_and_changes_nothing(staff_client, staff):
    share = ShareFactory(owner=staff)
    before = share.expires_at

    response = act(staff_client, "extend_shares", share, apply="1", **expiry_fields(in_days(-2)))

    share.refresh_from_db()
    assert share.expires_at == before
    assert messages_of(response) == ["The expiry must be in the future."]
    assert response.redirect_chain[-1][0] == CHANGELIST


def test_extend_with_an_unreadable_date_shows_the_form_again(staff_client, staff):
    share = ShareFactory(owner=staff)
    before = share.expires_at

    response = act(
        staff_client, "extend_shares", share, apply="1", expires_at_0="soon", expires_at_1="x"
    )

    share.refresh_from_db()
    assert share.expires_at == before
    assert response.context["form"].errors["expires_at"]


# -- the change page -------------------------------------------------------------------


def test_the_change_page_shows_the_link_and_the_click_log_newest_first(staff_client, staff):
    share = ShareFactory(owner=staff)
    now = timezone.now()
    Click.objects.create(
        share=share, at=now - timedelta(hours=2), outcome=ClickOutcome.REDIRECTED,
        client_ip="198.51.100.0", user_agent="OldBrowser/1.0",
    )  # fmt: skip
    Click.objects.create(
        share=share, at=now, outcome=ClickOutcome.EXPIRED,
        client_ip="203.0.113.0", user_agent="NewBrowser/2.0",
    )  # fmt: skip

    html = staff_client.get(change_url(share)).content.decode()

    assert f'data-copy="{BASE_URL}/s/{share.code}"' in html
    assert "Click log" in html
    assert html.index("NewBrowser/2.0") < html.index("OldBrowser/1.0")
    assert "Refused: expired" in html
    assert "203.0.113.0" in html
    assert 'name="clicks-MAX_NUM_FORMS" value="0"' in html  # nothing can be added
    assert 'name="clicks-0-outcome"' not in html  # nor edited
    assert "clicks-0-DELETE" not in html  # nor deleted


def test_fields_that_must_never_change_are_read_only(staff_client, staff):
    share = ShareFactory(owner=staff, filename="a.pdf")
    original = (share.code, share.bucket, share.key, share.download_count, share.created_at)
    data = {
        "filename": "renamed.pdf",
        "note": "",
        "max_downloads": "",
        **expiry_fields(share.expires_at),
        "code": "x" * 22,
        "bucket": "elsewhere",
        "key": "other/key",
        "download_count": "99",
        "clicks-TOTAL_FORMS": "0",
        "clicks-INITIAL_FORMS": "0",
    }
    response = staff_client.post(change_url(share), data)

    assert response.status_code == 302
    share.refresh_from_db()
    assert share.filename == "renamed.pdf"
    assert (share.code, share.bucket, share.key, share.download_count, share.created_at) == (
        original
    )


def test_the_change_page_refuses_an_expiry_beyond_the_maximum_lifetime(
    staff_client, staff, settings
):
    settings.SHARELINKS_MAX_LIFETIME = timedelta(days=90)
    share = ShareFactory(owner=staff)
    before = share.expires_at
    data = {
        "filename": share.filename,
        "note": "",
        "max_downloads": "",
        "notify_downloads": share.notify_downloads,
        **expiry_fields(in_days(91)),
    }
    response = staff_client.post(change_url(share), data)

    assert response.status_code == 200
    (error,) = response.context["adminform"].form.errors["expires_at"]
    assert error.startswith("A share may live at most 90 days, so it must expire by ")
    share.refresh_from_db()
    assert share.expires_at == before
    data |= expiry_fields(in_days(89))
    assert staff_client.post(change_url(share), data).status_code == 302


# -- owner isolation -------------------------------------------------------------------


def test_staff_see_only_their_own_shares_and_no_owner_filter(staff_client, staff):
    ShareFactory(owner=staff, filename="mine.pdf")
    ShareFactory(owner=staff_member("bob"), filename="bobs.pdf")

    response = staff_client.get(CHANGELIST)

    assert [share.filename for share in response.context["cl"].result_list] == ["mine.pdf"]
    assert "bobs.pdf" not in response.content.decode()
    assert "owner__id__exact" not in response.content.decode()


def test_staff_cannot_open_change_or_act_on_anothers_share(staff_client):
    theirs = ShareFactory(owner=staff_member("bob"))
    expiry = theirs.expires_at

    page = staff_client.get(change_url(theirs))
    assert page.status_code == 302  # the admin's "does not exist" redirect
    assert page.url == "/admin/"
    changed = staff_client.post(change_url(theirs), {"filename": "mine.pdf"})
    assert changed.status_code == 302
    act(staff_client, "revoke_shares", theirs)
    act(staff_client, "extend_shares", theirs, apply="1", **expiry_fields(in_days(30)))

    theirs.refresh_from_db()
    assert theirs.filename == "figures.pdf"
    assert theirs.revoked_at is None
    assert theirs.expires_at == expiry


# -- a real browser --------------------------------------------------------------------


@pytest.mark.browser
def test_a_person_uploads_a_file_and_copies_its_link(transactional_db, live_server, tmp_path):
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install chromium chromium-driver")
    sync_api = pytest.importorskip("playwright.sync_api")
    staff_member("carol")
    document = tmp_path / "Board minutes.txt"
    document.write_bytes(b"minutes of the board meeting\n")

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        context = browser.new_context(
            viewport={"width": 1400, "height": 800}, timezone_id="Asia/Tokyo"
        )
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
        page = context.new_page()
        copied = _upload_and_copy(page, live_server.url, document)
        # The page was rendered in the browser's zone, not the server's UTC.
        assert page.get_attribute("body", "data-admin-utc-offset") == "32400"
        page.screenshot(path=str(tmp_path / "changelist.png"), full_page=True)
        browser.close()

    share = Share.objects.get()
    assert copied == f"{BASE_URL}/s/{share.code}"
    assert share.filename == "Board minutes.txt"
    assert (tmp_path / "changelist.png").stat().st_size > 0


def _upload_and_copy(page, origin: str, document) -> str:
    """Log in, add a share by uploading, copy its link from the change list; the clipboard."""
    page.goto(f"{origin}/admin/login/")
    page.fill("#id_username", "carol")
    page.fill("#id_password", "correct horse battery staple")
    page.click("input[type=submit]")
    page.goto(f"{origin}{ADD}")
    page.set_input_files("#id_upload", str(document))
    page.fill("#id_note", "for the board")
    page.click("input[name=_save]")
    page.wait_for_url(re.compile(r".*/send/$"))  # the new share's link page
    page.locator(".sharelink-handover .sharelink-copy").click()
    page.wait_for_function("document.querySelector('.sharelink-copy').textContent === 'Copied'")
    page.goto(f"{origin}{CHANGELIST}")
    row = page.locator("#result_list tbody tr", has_text="Board minutes.txt")
    assert "Active" in row.inner_text()
    return page.evaluate("navigator.clipboard.readText()")


def test_saving_the_change_page_never_undoes_a_click_or_revocation_made_meanwhile(
    staff_client, staff, monkeypatch
):
    share = ShareFactory(owner=staff, max_downloads=1)
    local = timezone.localtime(share.expires_at)
    from sharelinks.admin import forms as adminforms

    original = adminforms.ShareChangeForm.clean_filename

    def clean_filename_while_others_act(form):
        # After the page's share was loaded: a recipient takes the last download and
        # another staff member revokes the share.
        Share.objects.filter(pk=share.pk).update(download_count=1, revoked_at=timezone.now())
        return original(form)

    monkeypatch.setattr(
        adminforms.ShareChangeForm, "clean_filename", clean_filename_while_others_act
    )
    response = staff_client.post(
        change_url(share),
        {
            "filename": "renamed.pdf",
            "expires_at_0": f"{local:%Y-%m-%d}",
            "expires_at_1": f"{local:%H:%M:%S}",
            "max_downloads": "1",
            "note": "",
            "notify_downloads": "first",
            "clicks-TOTAL_FORMS": "0",
            "clicks-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    share.refresh_from_db()
    assert share.filename == "renamed.pdf"
    assert share.revoked_at is not None
    assert share.download_count == 1


def test_staff_cannot_add_a_share_from_a_bucket_the_operator_did_not_allow(staff_client, s3_client):
    s3_client.create_bucket(Bucket="payroll-private")
    s3_client.put_object(Bucket="payroll-private", Key="2026/salaries.csv", Body=b"secret")
    response = staff_client.post(
        ADD,
        {"bucket": "payroll-private", "key": "2026/salaries.csv", **expiry_fields(in_days(1))},
    )
    assert response.status_code == 200
    assert "SHARELINKS_SOURCE_BUCKETS" in response.content.decode()
    assert not Share.objects.exists()


def test_a_much_clicked_share_lists_its_latest_clicks_and_counts_them_all(staff_client, staff):
    share = ShareFactory(owner=staff, body=False)
    start = timezone.now() - timedelta(days=1)
    Click.objects.bulk_create(
        Click(
            share=share,
            at=start + timedelta(minutes=n),
            outcome=ClickOutcome.REDIRECTED,
            user_agent=f"agent-{n:03d}",
        )
        for n in range(150)
    )
    page = staff_client.get(change_url(share)).content.decode()
    assert "150 (the latest 100 are listed below)" in page
    assert "agent-149" in page  # the newest
    assert "agent-050" in page
    assert "agent-049" not in page  # older than the latest 100


# -- the recipient side, as staff set it up ------------------------------------------------


def test_the_admin_speaks_japanese_to_a_japanese_browser(admin_client):
    page = admin_client.get(ADD, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert '<html lang="ja"' in page
    assert "ファイルをアップロード" in page  # our own fieldset, from the catalog
    assert "保存" in page  # Django's own admin translation


def test_the_direct_download_choice_warns_about_mail_scanners(admin_client):
    page = admin_client.get(ADD).content.decode()
    assert "Mail scanners that open links may then use up its downloads." in page


def test_staff_set_replace_and_remove_a_password_on_the_change_page(admin_client):
    share = ShareFactory(owner=UserFactory(username="admin-owned"))
    change = f"{CHANGELIST}{share.pk}/change/"
    form = {
        "filename": share.filename,
        "expires_at_0": timezone.localtime(share.expires_at).strftime("%Y-%m-%d"),
        "expires_at_1": timezone.localtime(share.expires_at).strftime("%H:%M:%S"),
        "owner": share.owner.pk,
        "language": "ja",
        "notify_downloads": share.notify_downloads,
    }
    assert admin_client.post(change, {**form, "new_password": "s3cret-1"}).status_code == 302
    share.refresh_from_db()
    assert share.check_password("s3cret-1")
    assert share.language == "ja"
    page = admin_client.get(change).content.decode()
    assert "s3cret-1" not in page
    assert "Remove the password" in page
    assert admin_client.post(change, {**form, "remove_password": "on"}).status_code == 302
    share.refresh_from_db()
    assert not share.has_password
