"""The people on a share's page: adding a person by hand gives them a link of their own and
emails nothing; only the share's owner and superusers may."""

import re

import pytest
from django.core import mail
from django.test import Client

from sharelinks import people
from sharelinks.models import Delivery, Recipient, RecipientState
from tests.admin.test_shares import (
    CHANGELIST,
    change_url,
    expiry_fields,
    messages_of,
    staff_member,
)
from tests.factories import ShareFactory, UserFactory

pytestmark = pytest.mark.django_db


def add_url(share) -> str:
    return f"{CHANGELIST}{share.pk}/people/add/"


@pytest.fixture
def alice(client):
    user = staff_member("alice")
    client.force_login(user)
    return user


@pytest.fixture
def share(alice):
    return ShareFactory(owner=alice, filename="quote.pdf", general_link=False)


def add(client, share, address: str, name: str = ""):
    return client.post(
        add_url(share), {"person_name": name, "person_address": address}, follow=True
    )


def test_the_change_page_offers_to_add_a_person_without_emailing(client, share):
    html = client.get(change_url(share)).content.decode()
    assert "Add a person without emailing" in html
    assert f'formaction="{add_url(share)}"' in html
    assert 'name="person_address"' in html


def test_a_share_whose_general_link_is_off_offers_no_copy_of_it(client, share):
    html = client.get(change_url(share)).content.decode()
    assert "Off: each person downloads through their own link." in html
    assert f'data-copy="https://files.example.com/s/{share.code}"' not in html


def test_a_person_added_by_hand_gets_a_link_and_no_email(client, share):
    response = add(client, share, "Sato Ken <Sato@Example.JP>")

    person = Recipient.objects.get()
    assert (person.name, person.address, person.state) == ("Sato Ken", "Sato@example.jp", "active")
    assert response.redirect_chain == [(change_url(share), 302)]
    assert messages_of(response) == ["Sato Ken was added with their own link; no email was sent."]
    assert Delivery.objects.count() == 0
    assert mail.outbox == []
    # The share page lists them with their own link to copy.
    assert f"/s/{person.code}" in response.content.decode()


def test_the_name_field_wins_over_a_name_pasted_with_the_address(client, share):
    add(client, share, "Ken <sato@example.jp>", name="Sato Ken")
    assert Recipient.objects.get().name == "Sato Ken"


@pytest.mark.parametrize(
    ("address", "error"),
    [
        ("sato@", "Not a valid email address: sato@"),
        ("", "Type the address of the person to add."),
        ("a@example.jp, b@example.jp", "Add one person at a time."),
    ],
)
def test_a_bad_address_is_named_and_nobody_is_added(client, share, address, error):
    response = add(client, share, address)
    assert messages_of(response) == [error]
    assert not Recipient.objects.exists()


def test_an_address_already_on_the_share_is_refused_whatever_its_case(client, share):
    people.person_add(share=share, address="sato@example.jp", name="Sato Ken")
    response = add(client, share, "SATO@example.jp")
    assert messages_of(response) == ["Sato Ken is already on this share."]
    assert Recipient.objects.count() == 1


def test_a_withdrawn_person_must_be_reinstated_first(client, share):
    sato, _ = people.person_add(share=share, address="sato@example.jp", name="Sato Ken")
    people.person_withdraw(person=sato)
    response = add(client, share, "sato@example.jp")
    assert messages_of(response) == ["Sato Ken's access is withdrawn: reinstate them first."]
    sato.refresh_from_db()
    assert sato.state == RecipientState.WITHDRAWN
    assert Recipient.objects.count() == 1


def test_only_the_owner_or_a_superuser_may_add(client, alice):
    bobs = ShareFactory(owner=staff_member("bob"))
    response = add(client, bobs, "sato@example.jp")
    assert response.redirect_chain[0][0] == "/admin/"
    assert not Recipient.objects.exists()

    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    add(client, bobs, "sato@example.jp")
    assert Recipient.objects.get().share == bobs


def test_adding_needs_a_post_with_the_form_token(alice, share):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert strict.get(add_url(share)).status_code == 405
    assert strict.post(add_url(share), {"person_address": "sato@example.jp"}).status_code == 403
    assert not Recipient.objects.exists()


def change_form(share, **fields) -> dict:
    """The change page's form as a browser posts it (an unticked box is left out)."""
    return {
        "filename": share.filename,
        **expiry_fields(share.expires_at),
        "max_downloads": "",
        "note": "",
        "notify_downloads": share.notify_downloads,
        "clicks-TOTAL_FORMS": "0",
        "clicks-INITIAL_FORMS": "0",
        **fields,
    }


def test_staff_turn_the_general_link_on_and_off_again_without_touching_personal_links(
    client, share
):
    person = add(client, share, "sato@example.jp") and Recipient.objects.get()
    recipient = Client()
    assert recipient.get(share.path).status_code == 410  # sent to people: off

    assert client.post(change_url(share), change_form(share, general_link="on")).status_code == 302
    share.refresh_from_db()
    assert share.general_link
    assert recipient.get(share.path).status_code == 200
    assert recipient.get(person.path).status_code == 200
    html = client.get(change_url(share)).content.decode()
    assert re.search(r'<input type="checkbox" name="general_link"[^>]* checked>', html)

    # It leaked: off again, and the person's own link still works.
    assert client.post(change_url(share), change_form(share)).status_code == 302
    share.refresh_from_db()
    assert not share.general_link
    page = recipient.get(share.path)
    assert page.status_code == 410
    assert "This link is not in use" in page.content.decode()
    assert recipient.get(person.path).status_code == 200
