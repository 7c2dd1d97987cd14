"""Share passwords: asked for on the landing page, throttled per share and network together.

A network past its limit gets 429 with Retry-After before any hash is computed; many
networks guessing slow each other down but never lock the real recipient out; the counts
live in the database, so a cache flush does not reopen the guessing.
"""

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from sharelinks import passwords
from sharelinks.models import Share
from tests.factories import ShareFactory
from tests.recipient import download, page_token

pytestmark = pytest.mark.django_db

RIGHT = "blue-harbour-42"


@pytest.fixture
def locked_share():
    share = ShareFactory()
    passwords.share_password_set(share=share, password=RIGHT)
    return share


@pytest.fixture
def hashes(monkeypatch):
    """How many times a password hash was computed (wrapping the real check, not faking it)."""
    calls = []
    real = Share.check_password

    def counting(self, raw):
        calls.append(raw)
        return real(self, raw)

    monkeypatch.setattr(Share, "check_password", counting)
    return calls


def attempt(client, share, password, network="198.51.100.7"):
    client.cookies.clear()
    return download(client, share.path, password=password, REMOTE_ADDR=network)


def test_the_page_asks_for_the_password_and_only_the_right_one_downloads(client, locked_share):
    page = client.get(locked_share.path).content.decode()
    assert '<label for="password">Password</label>' in page
    assert 'type="password" id="password" name="password" required' in page
    wrong = attempt(client, locked_share, "guess")
    assert wrong.status_code == 403
    assert "That password is not right." in wrong.content.decode()
    assert 'aria-invalid="true"' in wrong.content.decode()
    assert attempt(client, locked_share, RIGHT).status_code == 303
    locked_share.refresh_from_db()
    assert locked_share.download_count == 1
    assert RIGHT not in locked_share.password  # a hash, never the text


def test_the_password_is_never_taken_from_the_query_string(client, locked_share):
    token = page_token(client.get(locked_share.path))
    response = client.post(f"{locked_share.path}?password={RIGHT}", {"token": token})
    assert response.status_code == 403
    assert client.get(f"{locked_share.path}?password={RIGHT}").status_code == 200
    locked_share.refresh_from_db()
    assert locked_share.download_count == 0


def test_a_direct_link_with_a_password_still_asks_for_it(client, locked_share):
    Share.objects.filter(pk=locked_share.pk).update(direct_download=True)
    response = client.get(locked_share.path)
    assert response.status_code == 200
    assert "Location" not in response


def test_one_network_is_stopped_after_its_limit_without_a_hash_being_computed(
    client, locked_share, settings, hashes
):
    settings.SHARELINKS_PASSWORD_FAILURES_PER_NETWORK = 3
    settings.SHARELINKS_PASSWORD_FAILURE_WINDOW = 900
    statuses = [attempt(client, locked_share, f"guess{n}").status_code for n in range(3)]
    assert statuses == [403, 403, 403]
    blocked = attempt(client, locked_share, RIGHT)  # even the right one, from this network
    assert blocked.status_code == 429
    assert 890 <= int(blocked["Retry-After"]) <= 900
    assert "Too many wrong passwords were tried for this file from your network" in (
        blocked.content.decode()
    )
    assert len(hashes) == 3  # the throttled attempt computed none
    # Another network is not affected: the real recipient elsewhere gets the file.
    assert attempt(client, locked_share, RIGHT, network="203.0.113.9").status_code == 303
    # The window passes.
    with time_machine.travel(timezone.now() + timedelta(seconds=901)):
        assert attempt(client, locked_share, RIGHT).status_code == 303


def test_many_networks_slow_each_other_but_never_lock_the_recipient_out(
    client, locked_share, settings
):
    settings.SHARELINKS_PASSWORD_FAILURES_PER_NETWORK = 5
    settings.SHARELINKS_PASSWORD_FAILURES_PER_SHARE = 4
    settings.SHARELINKS_PASSWORD_SLOWDOWN = 30
    for n in range(4):
        assert attempt(client, locked_share, "guess", network=f"198.51.{n}.1").status_code == 403
    # The share is under attack: a network that just failed must wait before its next try...
    again = attempt(client, locked_share, "guess", network="198.51.0.1")
    assert again.status_code == 429
    assert 1 <= int(again["Retry-After"]) <= 30
    # ...but a network that has not failed is never slowed: the recipient gets in.
    assert attempt(client, locked_share, RIGHT, network="203.0.113.50").status_code == 303


def test_the_throttle_survives_a_cache_flush(client, locked_share, settings):
    settings.SHARELINKS_PASSWORD_FAILURES_PER_NETWORK = 2
    for _ in range(2):
        attempt(client, locked_share, "guess")
    cache.clear()
    assert attempt(client, locked_share, RIGHT).status_code == 429


def test_a_receipt_of_a_counted_download_needs_no_password_again(client, locked_share):
    response = download(client, locked_share.path, password=RIGHT)
    assert response.status_code == 303
    page = client.get(locked_share.path).content.decode()
    assert 'name="password"' not in page
    assert download(client, locked_share.path, same_browser=True).status_code == 303
    locked_share.refresh_from_db()
    assert locked_share.download_count == 1


def test_staff_replace_and_remove_the_password(locked_share):
    passwords.share_password_set(share=locked_share, password="new-one")
    locked_share.refresh_from_db()
    assert locked_share.check_password("new-one")
    assert not locked_share.check_password(RIGHT)
    passwords.share_password_set(share=locked_share, password="")
    locked_share.refresh_from_db()
    assert not locked_share.has_password
