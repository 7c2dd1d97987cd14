"""The click's statements run prepared, by libpq's calls where they commit by themselves.

What a statement answers must not depend on the way it was sent: the same values, of the
same types, as through psycopg's cursor. And the server may forget a prepared statement at
any time (psycopg sends DEALLOCATE ALL after a ROLLBACK, a pooler drops it): the next click
must still count.
"""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection, transaction

from sharelinks.models import Click
from sharelinks.prepared import _numbered, statement_run
from tests.factories import ShareFactory
from tests.recipient import page_token


def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass (DATABASE_URL=$TEST_DATABASE_URL)")


def test_named_and_positional_parameters_become_numbered_ones():
    assert _numbered("SELECT %(a)s, %(b)s, %(a)s") == (b"SELECT $1, $2, $1", ("a", "b"))
    assert _numbered("SELECT %s, %s") == (b"SELECT $1, $2", 2)
    assert _numbered("SELECT '100%%', %s") == (b"SELECT '100%', $1", 1)
    assert _numbered("SELECT 1") == (b"SELECT 1", 0)


@pytest.mark.parametrize("sql", ["SELECT '100%' || %s", "SELECT %(a)s, %s"])
def test_a_statement_it_cannot_number_is_refused_naming_it(sql):
    with pytest.raises(ValueError, match="SELECT"):
        _numbered(sql)


VALUES = """SELECT %(at)s::timestamptz, %(doc)s::jsonb, %(flag)s, %(none)s::int, %(text)s,
    %(amount)s::numeric, %(number)s, '100%%'"""
PARAMS = {
    "at": datetime(2026, 12, 2, 9, 30, 15, 123456, tzinfo=UTC),
    "doc": json.dumps({"203.0.113.0": "2026-12-02T09:30:15+00:00"}),
    "flag": True,
    "none": None,
    "text": "報告書 ' ; DROP TABLE x; --",
    "amount": Decimal("12.50"),
    "number": 2**40,
}


@pytest.mark.django_db(transaction=True)
def test_a_statement_answers_the_same_typed_values_either_way():
    postgres_only()
    assert connection.get_autocommit()  # no transaction: sent by libpq's calls
    direct = statement_run(VALUES, PARAMS)
    with transaction.atomic():  # inside one: through psycopg's cursor
        through_cursor = statement_run(VALUES, PARAMS)
    assert direct == through_cursor
    row = direct[0]
    assert row[0] == PARAMS["at"]
    assert row[0].tzinfo is through_cursor[0][0].tzinfo is UTC  # Django's zone, either way
    assert row[1] == PARAMS["doc"]  # Django's backend reads JSON as text, and parses it itself
    assert row[2:] == (True, None, PARAMS["text"], Decimal("12.50"), 2**40, "100%")
    assert statement_run("SELECT %s + %s", [2, 3]) == [(5,)]
    assert statement_run("SELECT 1 WHERE false", []) == []


@pytest.mark.django_db(transaction=True)
def test_a_shares_times_read_by_a_statement_are_those_the_orm_reads():
    postgres_only()
    share = ShareFactory()
    sql = "SELECT created_at, expires_at, last_download_at FROM sharelinks_share WHERE id = %s"
    (row,) = statement_run(sql, [share.pk])
    columns = ("created_at", "expires_at", "last_download_at")
    orm = type(share).objects.values_list(*columns).get(pk=share.pk)
    assert row == orm
    assert [value and value.tzinfo for value in row] == [value and value.tzinfo for value in orm]


@pytest.mark.django_db(transaction=True)
def test_a_statement_that_fails_raises_djangos_error_and_the_next_one_runs():
    postgres_only()
    from django.db import DataError

    with pytest.raises(DataError):
        statement_run("SELECT %(n)s::int / 0", {"n": 1})
    assert statement_run("SELECT %(n)s::int", {"n": 1}) == [(1,)]


@pytest.mark.django_db(transaction=True)
def test_a_download_counts_after_the_server_forgot_its_prepared_statement(client):
    postgres_only()
    share = ShareFactory(notify_downloads="never")
    token = page_token(client.get(share.path))
    assert client.post(share.path, {"token": token}).status_code == 303
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'sharelinks_%%'"
        )
        assert cursor.fetchone()[0] >= 1
        cursor.execute("DEALLOCATE ALL")  # what psycopg sends after a ROLLBACK
    client.cookies.clear()  # another browser: no receipt, so the click counts again
    assert client.post(share.path, {"token": token}).status_code == 303
    share.refresh_from_db()
    assert share.download_count == 2
    assert Click.objects.filter(share=share, outcome="redirected").count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_statement_forgotten_alone_is_prepared_again_under_a_name_of_its_own():
    # A pooler may drop one prepared statement and keep the others: the one prepared again
    # must not take the name of one the server still holds.
    postgres_only()
    first, second = "SELECT %s::int + 1001", "SELECT %s::int + 1002"
    assert statement_run(first, [1]) == [(1002,)]
    assert statement_run(second, [1]) == [(1003,)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM pg_prepared_statements WHERE statement = %s",
            ["SELECT $1::int + 1001"],
        )
        (name,) = cursor.fetchone()
        cursor.execute(f'DEALLOCATE "{name}"')
    assert statement_run(first, [2]) == [(1003,)]
    assert statement_run(second, [2]) == [(1004,)]
