"""`field__any=values` finds and changes exactly the rows `field__in=values` does; on
PostgreSQL the values travel as one array parameter, however many there are.

The outbox claims, reads and marks a batch of up to a thousand emails by id this way
(sharelinks.lookups says why). Runs on SQLite and, in the PostgreSQL pass, on PostgreSQL.
"""

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from sharelinks.models import Share
from tests.factories import ShareFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shares():
    return [ShareFactory(download_count=n) for n in range(5)]


def _found(**lookup) -> list[int]:
    return sorted(Share.objects.filter(**lookup).values_list("pk", flat=True))


@pytest.mark.parametrize(
    "pick",
    [
        lambda ids: [ids[0], ids[3]],
        lambda ids: [ids[1], ids[1], ids[4]],  # repeated
        lambda ids: [ids[2], None],  # NULL equals nothing
        lambda ids: [max(ids) + 1000],  # no such row
        lambda ids: [],
        lambda ids: [None],
    ],
)
def test_any_finds_and_updates_the_rows_in_does(shares, pick):
    values = pick([share.pk for share in shares])

    assert _found(pk__any=values) == _found(pk__in=values)
    updated = Share.objects.filter(pk__any=values).update(note="picked")
    assert updated == len(_found(pk__in=values))
    assert _found(note="picked") == _found(pk__in=values)


def test_any_takes_values_a_field_prepares_and_an_expression_among_them(shares):
    # Strings for an integer column are prepared as `in` prepares them; an expression
    # among the values is compiled as `in` compiles it.
    assert _found(download_count__any=["1", "3"]) == _found(download_count__in=[1, 3])
    same = Share.objects.filter(pk=shares[2].pk)
    assert list(same.filter(download_count__any=[F("download_count")])) == [shares[2]]


def test_on_postgresql_the_ids_go_as_one_parameter(shares):
    ids = [share.pk for share in shares] + list(range(10_000, 10_600))

    with CaptureQueriesContext(connection) as queries:
        found = _found(pk__any=ids)

    assert found == sorted(share.pk for share in shares)
    sql = queries.captured_queries[-1]["sql"]
    if connection.vendor == "postgresql":
        assert "= ANY(" in sql
        assert " IN (" not in sql
    else:  # elsewhere, the `in` lookup as it is
        assert " IN (" in sql
