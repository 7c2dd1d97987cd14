"""`make bench`'s floors: the least a click costs, one prepared statement and a 302. They
are yardsticks, so they must do what they say: the write counts the share and writes its
click row, the read changes nothing, and a code they do not find is a 404."""

import pytest
from django.db import connection
from django.test import override_settings

from benchmarks.urls import FLOOR_REDIRECT
from sharelinks.models import Click
from tests.factories import ShareFactory

pytestmark = pytest.mark.django_db(transaction=True)  # the statements commit by themselves


@pytest.fixture(autouse=True)
def _bench_routes():
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass (DATABASE_URL=$TEST_DATABASE_URL)")
    with override_settings(ROOT_URLCONF="benchmarks.urls"):
        yield


@pytest.mark.parametrize(
    ("kind", "count", "clicks"),
    [("read", 3, []), ("write", 4, ["redirected"])],  # the read changes nothing
)
def test_a_floor_finds_the_share_by_code_and_the_write_counts_it_with_its_click_row(
    client, kind, count, clicks
):
    share = ShareFactory(download_count=3)

    response = client.get(f"/bench/floor/{kind}/{share.code}")

    assert (response.status_code, response["Location"]) == (302, FLOOR_REDIRECT)
    share.refresh_from_db()
    assert share.download_count == count
    assert (share.last_download_at is not None) is (kind == "write")
    assert list(Click.objects.filter(share=share).values_list("outcome", flat=True)) == clicks


@pytest.mark.parametrize("kind", ["read", "write"])
def test_a_floor_answers_404_for_a_code_it_does_not_find_and_writes_nothing(client, kind):
    share = ShareFactory(general_link=False)

    assert client.get(f"/bench/floor/{kind}/{share.code}").status_code == 404
    assert client.get(f"/bench/floor/{kind}/no-such-code").status_code == 404
    share.refresh_from_db()
    assert share.download_count == 0
    assert not Click.objects.exists()
