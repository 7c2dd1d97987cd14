"""After adding a share, staff land on its link: copy button, QR code, and the email form."""

import re

import pytest
import segno

from sharelinks.models import Share
from tests.admin.test_shares import ADD, CHANGELIST, expiry_fields, in_days, staff_member
from tests.conftest import BASE_URL
from tests.factories import ShareFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(staff_member("alice"))
    return client


def test_saving_a_new_share_leads_to_its_link_not_the_list(staff_client, put_object):
    put_object("reports/q3.pdf", b"q3")
    response = staff_client.post(ADD, {"key": "reports/q3.pdf", **expiry_fields(in_days(3))})

    share = Share.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{CHANGELIST}{share.pk}/send/"


def test_save_and_continue_still_leads_to_the_change_page(staff_client, put_object):
    put_object("reports/q3.pdf", b"q3")
    data = {"key": "reports/q3.pdf", "_continue": "1", **expiry_fields(in_days(3))}
    response = staff_client.post(ADD, data)
    assert response["Location"] == f"{CHANGELIST}{Share.objects.get().pk}/change/"


def test_the_link_page_shows_the_link_a_copy_button_a_qr_code_and_the_email_form(staff_client):
    share = ShareFactory(owner=staff_member("alice"), filename="q3.pdf")
    link = f"{BASE_URL}/s/{share.code}"

    html = staff_client.get(f"{CHANGELIST}{share.pk}/send/").content.decode()

    assert "<title>Link to q3.pdf | sharelinks</title>" in html
    assert f'data-copy="{link}"' in html
    assert 'name="recipients"' in html
    assert f'href="{CHANGELIST}"' in html  # "Done": back to the list, not history.back()
    assert "sharelink-status-active" in html
    svg = re.search(r'<svg viewBox="[^"]+" class="sharelink-qr">.*?</svg>', html, re.S).group()
    assert "<title>QR code of the short link</title>" in svg
    # The code is the one segno makes of the link itself: a phone scanning it opens the link.
    drawn = re.search(r'class="qrline"[^>]* d="([^"]+)"', svg).group(1)
    expected = segno.make(link, error="m", micro=False).svg_inline(scale=1, border=4)
    assert f' d="{drawn}"' in expected
    assert "<script" not in svg
    assert "href" not in svg
