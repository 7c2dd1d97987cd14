"""The share list: the columns staff read, search by a pasted link, and honest badges."""

import pytest
from django.utils import timezone

from tests.admin.test_shares import CHANGELIST, staff_member
from tests.conftest import BASE_URL
from tests.factories import ShareFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    return staff_member("alice")


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def found(client, query: str) -> list:
    return list(client.get(CHANGELIST, {"q": query}).context["cl"].result_list)


def test_the_list_shows_size_and_creation_and_staff_no_owner_column(staff_client, staff):
    ShareFactory(owner=staff, size=2_500_000, body=False)
    html = staff_client.get(CHANGELIST).content.decode()
    assert '<td class="field-size_display">2.4\xa0MB</td>' in html
    assert "column-created_on" in html
    assert "column-owner" not in html


def test_superusers_see_the_owner_column(admin_client):
    ShareFactory()
    assert "column-owner" in admin_client.get(CHANGELIST).content.decode()


@pytest.mark.parametrize(
    "pasted",
    [
        "{base}/s/{code}",
        "  {base}/s/{code}/  ",
        "{base}/s/{code}?lang=ja",
        "files.example.com/s/{code}",
        "http://intranet.local/s/{code}",
        "/s/{code}",
        "{code}",
    ],
)
def test_a_pasted_short_link_or_its_code_finds_its_share(staff_client, staff, pasted):
    wanted = ShareFactory(owner=staff, filename="contract.pdf")
    ShareFactory(owner=staff, filename="other.pdf")
    assert found(staff_client, pasted.format(base=BASE_URL, code=wanted.code)) == [wanted]


def test_a_link_to_someone_elses_share_finds_nothing_for_staff(staff_client):
    theirs = ShareFactory(owner=staff_member("bob"))
    assert found(staff_client, f"{BASE_URL}/s/{theirs.code}") == []


def test_other_text_still_searches_names_and_notes(staff_client, staff):
    contract = ShareFactory(owner=staff, filename="contract.pdf", note="for ACME legal")
    assert found(staff_client, "acme") == [contract]
    assert found(staff_client, "contract") == [contract]


def test_a_share_whose_file_is_missing_never_shows_a_green_active(staff_client, staff):
    ShareFactory(owner=staff, missing_since=timezone.now())
    html = staff_client.get(CHANGELIST).content.decode()
    assert '<span class="sharelink-status sharelink-status-missing"' in html
    assert ">File missing</span>" in html
    assert '<span class="sharelink-status sharelink-status-active"' not in html


def test_an_expired_share_with_a_missing_file_says_expired(staff_client, staff):
    ShareFactory(
        owner=staff,
        missing_since=timezone.now(),
        expires_at=timezone.now() - timezone.timedelta(days=1),
    )
    html = staff_client.get(CHANGELIST).content.decode()
    assert '<span class="sharelink-status sharelink-status-expired"' in html
