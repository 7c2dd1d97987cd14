"""`manage.py migrate` runs without the statement timeout every other connection has."""

import pytest
from django.core.management import call_command
from django.db import connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def statement_timeout() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        return cursor.fetchone()[0]


@pytest.fixture
def fresh_connection():
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass (DATABASE_URL=$TEST_DATABASE_URL)")
    connection.close()  # the test database was made by migrate, on this connection
    yield
    connection.close()


def test_connections_start_with_the_statement_timeout(fresh_connection):
    assert statement_timeout() == "15s"


def test_migrate_lifts_it_for_its_own_session(fresh_connection):
    call_command("migrate", verbosity=0)
    assert statement_timeout() == "0"
