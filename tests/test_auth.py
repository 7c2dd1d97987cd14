"""Staff sign-in: repeated wrong passwords lock the username for a while, and say nothing."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "correct horse battery staple"


def sign_in(client, password: str, username: str = "maria"):
    return client.post(LOGIN, {"username": username, "password": password})


def test_the_right_password_signs_in(client):
    UserFactory(username="maria")
    assert sign_in(client, PASSWORD).status_code == 302


def test_ten_wrong_passwords_lock_the_username_until_the_window_passes(client, settings):
    settings.SHARELINKS_LOGIN_FAILURE_LIMIT = 10
    UserFactory(username="maria")
    for _ in range(10):
        assert sign_in(client, "guess").status_code == 200
    locked = sign_in(client, PASSWORD)
    assert locked.status_code == 200  # the same page as for a wrong password
    assert "Please enter the correct username and password" in locked.content.decode()
    with time_machine.travel(timezone.now() + timedelta(seconds=901)):
        assert sign_in(client, PASSWORD).status_code == 302


def test_a_successful_sign_in_clears_the_count(client, settings):
    settings.SHARELINKS_LOGIN_FAILURE_LIMIT = 3
    UserFactory(username="maria")
    sign_in(client, "guess")
    sign_in(client, "guess")
    assert sign_in(client, PASSWORD).status_code == 302
    client.logout()
    sign_in(client, "guess")
    sign_in(client, "guess")
    assert sign_in(client, PASSWORD).status_code == 302


def test_the_lock_is_per_username_whatever_its_case(client, settings):
    settings.SHARELINKS_LOGIN_FAILURE_LIMIT = 2
    UserFactory(username="maria")
    UserFactory(username="omar")
    sign_in(client, "guess", username="MARIA")
    sign_in(client, "guess", username="maria")
    assert sign_in(client, PASSWORD, username="maria").status_code == 200
    assert sign_in(client, PASSWORD, username="omar").status_code == 302
