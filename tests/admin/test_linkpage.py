"""After adding a share, staff land on its link: copy button, QR code, and the email form."""

import re

import pytest
import segno

from sharelinks import people
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


def test_a_share_sent_to_people_shows_each_persons_link_copy_and_qr_not_the_general_link(
    staff_client,
):
    share = ShareFactory(owner=staff_member("alice"), filename="quote.pdf", general_link=False)
    sato, _ = people.person_add(share=share, address="sato@example.jp", name="Sato Ken")
    ito, _ = people.person_add(share=share, address="ito@example.jp")

    html = staff_client.get(f"{CHANGELIST}{share.pk}/send/").content.decode()

    assert f'data-copy="{BASE_URL}/s/{share.code}"' not in html  # off: nobody may use it
    assert "general link is off: each person downloads through their own link" in html
    card = r'<section class="sharelink-handover sharelink-handover-person">.*?</section>'
    cards = re.findall(card, html, re.S)
    assert len(cards) == 2
    shown = zip(cards, (sato, ito), ("Sato Ken", "ito@example.jp"), strict=True)
    for card, person, heading in shown:
        assert f'<h3 class="sharelink-person-name">{heading}</h3>' in card
        assert card.split("<svg")[0].count(person.address) == 1  # under the name or as heading
        assert f'data-copy="{BASE_URL}/s/{person.code}"' in card
        assert f"<title>QR code of {person.label}'s link</title>" in card
        drawn = re.search(r'class="qrline"[^>]* d="([^"]+)"', card).group(1)
        expected = segno.make(f"{BASE_URL}/s/{person.code}", error="m", micro=False)
        assert f' d="{drawn}"' in expected.svg_inline(scale=1, border=4)


def test_the_general_link_is_shown_beside_the_people_while_it_is_on(staff_client):
    share = ShareFactory(owner=staff_member("alice"), filename="quote.pdf", general_link=True)
    sato, _ = people.person_add(share=share, address="sato@example.jp", name="Sato Ken")

    html = staff_client.get(f"{CHANGELIST}{share.pk}/send/").content.decode()

    assert f'data-copy="{BASE_URL}/s/{share.code}"' in html
    assert f'data-copy="{BASE_URL}/s/{sato.code}"' in html
    assert "general link is off" not in html


def test_a_withdrawn_person_is_listed_without_a_link_to_hand_over(staff_client):
    share = ShareFactory(owner=staff_member("alice"), general_link=False)
    sato, _ = people.person_add(share=share, address="sato@example.jp", name="Sato Ken")
    people.person_withdraw(person=sato)

    html = staff_client.get(f"{CHANGELIST}{share.pk}/send/").content.decode()

    assert "Sato Ken" in html
    assert '<p class="sharelink-person-state">Withdrawn</p>' in html
    assert f"/s/{sato.code}" not in html
