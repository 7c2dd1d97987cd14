"""Personal links: each person their own code, count and state; withdrawing one person
leaves the others working; limits per person and per share add up exactly; a link used
from unusually many places shows itself."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
from django.core import mail
from django.db import connection
from django.utils import timezone

from sharelinks import people
from sharelinks.codes import PERSONAL_CODE_LENGTH, code_is_personal
from sharelinks.models import ClickOutcome, Delivery, DeliveryKind, Recipient, RecipientState
from tests.factories import ShareFactory, UserFactory
from tests.recipient import download, download_over_http, page_token

pytestmark = pytest.mark.django_db(transaction=True)  # on_commit: the owner's emails


def two_people(**terms):
    share = ShareFactory(
        owner=UserFactory(username="tanaka", first_name="Hanako", last_name="Tanaka"),
        general_link=False,
        **terms,
    )
    sato, _ = people.person_add(share=share, address="sato@example.jp", name="Sato Ken")
    ito, _ = people.person_add(share=share, address="Ito@Example.jp", name="Ito Yui")
    return share, sato, ito


def test_each_person_has_a_code_of_their_own_found_by_its_length():
    share, sato, ito = two_people()
    assert len(sato.code) == PERSONAL_CODE_LENGTH
    assert code_is_personal(sato.code)
    assert not code_is_personal(share.code)
    assert sato.code != ito.code


def test_an_address_is_one_person_whatever_its_case():
    share, _, ito = two_people()
    again, created = people.person_add(share=share, address="ito@example.JP")
    assert (again.pk, created) == (ito.pk, False)


def test_the_page_greets_the_person_by_name_and_never_shows_their_address(client):
    _, sato, _ = two_people()
    page = client.get(sato.path).content.decode()
    assert "<p>Hello Sato Ken,</p>" in page
    assert "sato@example.jp" not in page


def test_counts_add_up_and_the_owner_is_told_who_downloaded(client, settings):
    settings.SHARELINKS_BASE_URL = "https://files.example.com"
    share, sato, ito = two_people()
    share.general_link = True
    share.save()
    assert download(client, sato.path).status_code == 303
    assert download(client, sato.path).status_code == 303
    assert download(client, share.path).status_code == 303
    share.refresh_from_db()
    sato.refresh_from_db()
    ito.refresh_from_db()
    assert (share.download_count, sato.download_count, ito.download_count) == (3, 2, 0)
    assert sato.first_download_at is not None
    assert list(sato.networks) == ["127.0.0.0"]
    # "First download": once per person (a database constraint); the general link's came
    # after the share's first, so it tells nothing new.
    assert [message.subject for message in mail.outbox] == ["Sato Ken downloaded figures.pdf"]
    assert "Sato Ken downloaded figures.pdf" in mail.outbox[0].body


def test_the_general_link_is_off_for_a_share_sent_to_people(client):
    share, sato, _ = two_people()
    response = client.get(share.path)
    assert response.status_code == 410
    assert "This link is not in use" in response.content.decode()
    assert download(client, sato.path).status_code == 303


def test_withdrawing_one_person_leaves_the_others_working(client):
    _, sato, ito = two_people()
    people.person_withdraw(person=sato)
    response = client.get(sato.path)
    assert response.status_code == 410
    page = response.content.decode()
    assert "Your access to this file was withdrawn" in page
    assert "If you still need it, ask Hanako Tanaka for a new link." in page
    assert download(client, ito.path).status_code == 303
    people.person_reinstate(person=sato)
    assert download(client, sato.path).status_code == 303


def test_a_new_link_replaces_the_old_which_says_so_and_the_count_carries_over(client):
    share, sato, _ = two_people()
    download(client, sato.path)
    new = people.person_replace(person=sato)
    old = client.get(sato.path)
    assert old.status_code == 410
    assert "This link was replaced" in old.content.decode()
    assert new.download_count == 1
    assert download(client, new.path).status_code == 303
    new.refresh_from_db()
    share.refresh_from_db()
    assert new.download_count == 2
    assert share.download_count == sum(share.recipients.values_list("download_count", flat=True))


def test_downloads_per_recipient_and_the_share_wide_limit_both_hold(client):
    share, sato, ito = two_people(downloads_per_recipient=1, max_downloads=2)
    assert download(client, sato.path).status_code == 303
    client.cookies.clear()  # Sato on another device: no receipt to resume with
    used = client.get(sato.path)
    assert used.status_code == 410
    assert "You have used up your downloads" in used.content.decode()
    assert download(client, ito.path).status_code == 303
    third, _ = people.person_add(share=share, address="kato@example.jp")
    assert client.get(third.path).status_code == 410  # the share's own limit: used up
    share.refresh_from_db()
    assert share.download_count == 2


def test_a_receipt_of_one_persons_link_never_works_on_anothers(client):
    share, sato, ito = two_people(max_downloads=1)
    response = download(client, sato.path)
    receipt = response.cookies["sharelinks_receipt"]
    assert receipt["path"] == sato.path
    token = page_token(client.get(share.path.replace(share.code, sato.code)))
    # Sato's token and receipt presented on Ito's link: nothing is resumed or counted.
    client.cookies["sharelinks_receipt"] = receipt.value
    stale = client.post(ito.path, {"token": token})
    assert stale.status_code == 410  # the share is used up, and the receipt is not Ito's
    ito.refresh_from_db()
    assert ito.download_count == 0


def test_parallel_clicks_across_two_people_and_the_general_link_add_up(live_server):
    """30 presses at once on a 10-download share (2 per person): the counts stay exact."""
    share, sato, ito = two_people(max_downloads=10, downloads_per_recipient=4)
    share.general_link = True
    share.save()
    urls = [live_server.url + link for link in (sato.path, ito.path, share.path)] * 10
    start = threading.Barrier(len(urls))

    def press(url):
        with requests.Session() as browser:
            token = page_token(browser.get(url, timeout=60))
            start.wait()
            return browser.post(url, {"token": token}, allow_redirects=False, timeout=60)

    with ThreadPoolExecutor(max_workers=len(urls)) as pool:
        statuses = [response.status_code for response in pool.map(press, urls)]
    share.refresh_from_db()
    counts = dict(share.recipients.values_list("address", "download_count"))
    general = share.clicks.filter(recipient=None, outcome=ClickOutcome.REDIRECTED).count()
    assert statuses.count(303) == share.download_count == 10
    assert share.download_count == counts["sato@example.jp"] + counts["Ito@Example.jp"] + general
    assert counts["sato@example.jp"] <= 4
    assert counts["Ito@Example.jp"] <= 4
    assert share.clicks.filter(outcome=ClickOutcome.REDIRECTED).count() == 10
    assert connection.vendor in ("sqlite", "postgresql")


def test_a_link_used_from_many_networks_tells_the_owner_once(client, settings):
    settings.SHARELINKS_FORWARD_NETWORKS = 3
    settings.SHARELINKS_BASE_URL = "https://files.example.com"
    share, sato, _ = two_people()
    share.notify_downloads = "never"
    share.save()
    for n in range(5):
        download(client, sato.path, REMOTE_ADDR=f"198.51.{n}.7")
    told = Delivery.objects.filter(kind=DeliveryKind.FORWARDED)
    assert told.count() == 1
    assert [m.subject for m in mail.outbox] == [
        "Sato Ken's link to figures.pdf may have been forwarded"
    ]
    sato.refresh_from_db()
    assert sato.forwarded_at is not None
    assert sato.state == RecipientState.ACTIVE  # suspension is a setting, off by default


def test_automatic_suspension_when_turned_on(client, settings):
    settings.SHARELINKS_FORWARD_NETWORKS = 2
    settings.SHARELINKS_FORWARD_SUSPEND = True
    _, sato, _ = two_people()
    download(client, sato.path, REMOTE_ADDR="198.51.100.7")
    download(client, sato.path, REMOTE_ADDR="203.0.113.9")
    paused = client.get(sato.path)
    assert paused.status_code == 410
    assert "Your link is paused" in paused.content.decode()
    sato.refresh_from_db()
    people.person_reinstate(person=sato)
    sato.refresh_from_db()
    assert (sato.state, sato.networks, sato.forwarded_at) == (RecipientState.ACTIVE, {}, None)


def test_scanners_and_resumptions_do_not_count_as_networks(client, settings):
    settings.SHARELINKS_FORWARD_NETWORKS = 2
    _, sato, _ = two_people()
    download(client, sato.path, REMOTE_ADDR="198.51.100.7")
    download(client, sato.path, same_browser=True, REMOTE_ADDR="203.0.113.9")  # a resumption
    sato.refresh_from_db()
    assert list(sato.networks) == ["198.51.100.0"]
    assert sato.forwarded_at is None


def test_erasing_a_person_keeps_the_counts(client):
    _, sato, _ = two_people()
    download(client, sato.path)
    people.person_erase(person=sato)
    sato.refresh_from_db()
    assert (sato.name, sato.address, sato.networks) == ("", f"erased-{sato.pk}@invalid", {})
    assert sato.download_count == 1


def test_erasing_everyone_on_a_share_and_the_links_they_had_before():
    share, sato, ito = two_people()
    old_code = sato.code
    sato = people.person_replace(person=sato)
    people.person_erase(person=sato)
    people.person_erase(person=ito)  # two erased people on one share never collide
    rows = Recipient.objects.filter(share=share)
    assert rows.count() == 3
    assert not rows.exclude(name="").exists()
    assert all(row.address.endswith("@invalid") for row in rows)
    assert rows.get(code=old_code).address == f"erased-{rows.get(code=old_code).pk}@invalid"
    assert people.people_summary(share) == {"people": 0, "downloaded": 0}


def test_withdrawn_people_get_no_link_until_reinstated():
    _, sato, _ = two_people()
    people.person_withdraw(person=sato)
    with pytest.raises(Exception, match="reinstate them first"):
        people.person_sendable(sato)


def test_a_personal_link_works_over_real_http(live_server):
    _, sato, _ = two_people()
    response = download_over_http(live_server.url + sato.path)
    assert response.status_code == 200
    assert Recipient.objects.get(pk=sato.pk).download_count == 1
    assert timezone.now() - Recipient.objects.get(pk=sato.pk).last_download_at < timedelta(1)


def test_the_owner_reads_the_persons_own_count_beside_the_shares(client, settings):
    settings.SHARELINKS_BASE_URL = "https://files.example.com"
    share, sato, _ = two_people()
    share.general_link = True
    share.save()
    assert download(client, share.path).status_code == 303  # someone, through the general link
    assert download(client, sato.path).status_code == 303
    first, sato_first = mail.outbox
    assert "Downloads so far: 1." in first.body
    assert "Downloads so far: 1 by Sato Ken, 2 in all." in sato_first.body
    html = sato_first.alternatives[0][0]
    assert "Downloads so far: 1 by Sato Ken, 2 in all." in html
