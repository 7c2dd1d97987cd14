"""Staff sign-in: wrong passwords throttle a username per network, in the database; nobody
elsewhere can lock staff out, a refused try costs no hash and looks like a wrong password."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from sharelinks.models import ThrottleCounter
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "correct horse battery staple"
HOME, AWAY, ELSEWHERE = "198.51.100.7", "203.0.113.9", "192.0.2.44"
WRONG = "Please enter the correct username and password for a staff account."


class CountingHasher(MD5PasswordHasher):
    """MD5, counting every hash it computes (checks and dummy checks alike)."""

    algorithm = "counting_md5"
    computed = 0

    def encode(self, password, salt):
        CountingHasher.computed += 1
        return super().encode(password, salt)


@pytest.fixture
def hashes(settings):
    settings.PASSWORD_HASHERS = ["tests.test_auth.CountingHasher"]
    CountingHasher.computed = 0
    return CountingHasher


@pytest.fixture
def limits(settings):
    settings.SHARELINKS_LOGIN_FAILURE_LIMIT = 3
    settings.SHARELINKS_LOGIN_FAILURES_PER_USERNAME = 6
    settings.SHARELINKS_LOGIN_FAILURE_WINDOW = 900
    settings.SHARELINKS_LOGIN_SLOWDOWN = 30
    return settings


def sign_in(client, password: str, username: str = "maria", network: str = HOME):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=network)


def fail(client, times: int, username: str = "maria", network: str = HOME) -> None:
    for _ in range(times):
        assert sign_in(client, "guess", username, network).status_code == 200


def test_the_right_password_signs_in(client):
    UserFactory(username="maria")
    assert sign_in(client, PASSWORD).status_code == 302


def test_wrong_passwords_from_one_network_refuse_it_until_the_window_passes(client, limits):
    UserFactory(username="maria")
    fail(client, 3)
    refused = sign_in(client, PASSWORD)
    assert refused.status_code == 200  # the page a wrong password gets, word for word
    assert WRONG in refused.content.decode()
    with time_machine.travel(timezone.now() + timedelta(seconds=901)):
        assert sign_in(client, PASSWORD).status_code == 302


def test_a_stranger_cannot_lock_staff_out_from_another_network(client, limits):
    UserFactory(username="maria")
    fail(client, 3, network=AWAY)
    assert sign_in(client, PASSWORD, network=AWAY).status_code == 200
    assert sign_in(client, PASSWORD, network=HOME).status_code == 302


def test_guessing_from_many_networks_is_slowed_never_locked(client, limits):
    UserFactory(username="maria")
    for network in ("203.0.113.1", "203.0.114.1", "203.0.115.1"):
        fail(client, 2, network=network)  # six in all: every network that failed is slowed
    start = timezone.now()
    with time_machine.travel(start + timedelta(seconds=10)):
        assert sign_in(client, PASSWORD, network="203.0.113.1").status_code == 200
        assert sign_in(client, PASSWORD, network=HOME).status_code == 302  # never failed
    client.logout()
    with time_machine.travel(start + timedelta(seconds=31)):
        assert sign_in(client, PASSWORD, network="203.0.113.1").status_code == 302


def test_a_refused_try_computes_no_hash_and_an_unknown_name_costs_a_full_one(
    client, limits, hashes
):
    UserFactory(username="maria")
    hashes.computed = 0
    sign_in(client, "guess")
    assert hashes.computed == 1  # a wrong password: one check
    sign_in(client, "guess", username="nobody")
    assert hashes.computed == 2  # an unknown username: a dummy check of the same cost
    fail(client, 2)
    hashes.computed = 0
    assert WRONG in sign_in(client, PASSWORD).content.decode()
    assert hashes.computed == 0


def test_unknown_usernames_are_throttled_alike(client, limits):
    fail(client, 3, username="nobody")
    assert ThrottleCounter.objects.filter(failures=3).count() == 2  # this network, and all


def test_the_throttle_survives_a_cache_flush_and_needs_no_cache(client, limits, settings):
    UserFactory(username="maria")
    fail(client, 3)
    cache.clear()
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    assert sign_in(client, PASSWORD).status_code == 200
    assert sign_in(client, PASSWORD, network=AWAY).status_code == 302


def test_signing_in_clears_this_networks_count(client, limits):
    UserFactory(username="maria")
    fail(client, 2)
    assert sign_in(client, PASSWORD).status_code == 302
    client.logout()
    fail(client, 2)
    assert sign_in(client, PASSWORD).status_code == 302


def test_the_count_is_per_username_whatever_its_case(client, limits):
    UserFactory(username="maria")
    UserFactory(username="omar")
    fail(client, 2, username="MARIA")
    fail(client, 1, username="maria")
    assert sign_in(client, PASSWORD, username="maria").status_code == 200
    assert sign_in(client, PASSWORD, username="omar").status_code == 302


def test_no_typed_username_is_kept(client, limits):
    fail(client, 1, username="my-password-typed-in-the-wrong-box")
    keys = " ".join(ThrottleCounter.objects.values_list("key", flat=True))
    assert "password" not in keys


def test_the_unlock_command_lifts_the_lock_from_every_network(client, limits, capsys):
    UserFactory(username="maria")
    fail(client, 3, network=HOME)
    fail(client, 3, network=AWAY)
    call_command("sharelinks_unlock", "Maria")
    assert "Maria: sign-in lock lifted (3 counters cleared)" in capsys.readouterr().out
    assert sign_in(client, PASSWORD, network=HOME).status_code == 302
    call_command("sharelinks_unlock", "maria")
    assert "no failed sign-ins on record" in capsys.readouterr().out


def test_an_admin_sees_the_lock_on_the_users_page_and_lifts_it(client, admin_client, limits):
    maria = UserFactory(username="maria")
    page = f"/admin/auth/user/{maria.pk}/change/"
    assert "No failed sign-ins of late." in admin_client.get(page).content.decode()
    fail(client, 3, network=ELSEWHERE)

    html = admin_client.get(page).content.decode()
    assert "3 failed sign-ins from all networks in the window." in html
    assert "Refused from 1 network until " in html
    unlock = f"/admin/auth/user/{maria.pk}/unlock/"
    assert f'href="{unlock}"' in html
    assert "Lifting the lock forgets these failures" in admin_client.get(unlock).content.decode()
    response = admin_client.post(unlock, follow=True)
    assert "lifted: maria may sign in again from every network (2 counters cleared)." in (
        response.content.decode()
    )
    assert sign_in(client, PASSWORD, network=ELSEWHERE).status_code == 302


def test_staff_without_the_user_permission_cannot_lift_a_lock(client, limits):
    maria = UserFactory(username="maria")
    fail(client, 3, network=ELSEWHERE)
    client.force_login(UserFactory(username="omar"))
    client.post(f"/admin/auth/user/{maria.pk}/unlock/")
    assert ThrottleCounter.objects.count() == 2
