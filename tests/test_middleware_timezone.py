"""Staff see times in their own zone, as their browser names it."""

from datetime import UTC, datetime

import pytest

from tests.factories import ShareFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/sharelinks/share/"


def expiry(date: str, time: str) -> str:
    """The list's expiry column: the date, then the time on a line of its own."""
    return (
        f'<span class="nowrap">{date}</span> <br class="sharelink-break">'
        f'<span class="nowrap">{time}</span>'
    )


@pytest.fixture
def admin_with_share(client):
    user = UserFactory(username="root", is_superuser=True)
    client.force_login(user)
    ShareFactory(owner=user, body=False, expires_at=datetime(2026, 12, 24, 15, 30, tzinfo=UTC))
    return client


def test_the_change_list_shows_expiry_in_the_browsers_zone(admin_with_share):
    admin_with_share.cookies["sharelinks_tz"] = "Asia%2FTokyo"  # as the page's script sets it
    page = admin_with_share.get(CHANGELIST).content.decode()
    assert expiry("Dec. 25, 2026", "12:30 a.m.") in page  # 15:30 UTC is 00:30 next day in Tokyo


def test_without_the_cookie_times_are_in_time_zone(admin_with_share):
    page = admin_with_share.get(CHANGELIST).content.decode()
    assert expiry("Dec. 24, 2026", "3:30 p.m.") in page


def test_an_unknown_zone_name_is_ignored(admin_with_share):
    admin_with_share.cookies["sharelinks_tz"] = "../../etc/passwd"
    response = admin_with_share.get(CHANGELIST)
    assert response.status_code == 200
    assert expiry("Dec. 24, 2026", "3:30 p.m.") in response.content.decode()


def test_every_admin_page_carries_the_zone_script(admin_with_share):
    page = admin_with_share.get("/admin/").content.decode()
    assert "Intl.DateTimeFormat().resolvedOptions().timeZone" in page
