"""A click whose dependencies fail or fall silent: always an answer, never a hang or a 500.

S3, PostgreSQL and the broker sit behind tests/faults.py's proxy, which accepts and then
stops answering -- the failure no library default bounds. Each test asserts what the
recipient gets (the 503 page with Retry-After, or the download) and what was counted;
none asserts how long it took (hang_guard only ends a run that would never finish).
"""

import contextlib

import pytest
from django.db import OperationalError, connection

from sharelinks.models import Click, ClickOutcome, Delivery, DeliveryStatus, NotifyDownloads, Share
from tests.brokers import broker
from tests.factories import ShareFactory
from tests.faults import FaultProxy
from tests.recipient import download, page_token

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("hang_guard")]


def assert_unavailable_page(response):
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert b"Please try again in a minute" in response.content


@pytest.fixture
def s3_proxy(settings, s3_server):
    """The app's S3 endpoint behind a FaultProxy that forwards to the emulator."""
    host, port = s3_server.removeprefix("http://").split(":")
    with FaultProxy((host, int(port))) as proxy:
        settings.AWS_S3_ENDPOINT_URL = proxy.url("http")  # the shared client is rebuilt
        yield proxy


def test_s3_falling_silent_answers_the_503_page_within_its_timeouts_uncounted(client, s3_proxy):
    # The defaults (2 s connect, 2 s read, 2 attempts): the object check gives up on its
    # own, long before the click's deadline, and the click is recorded as unavailable.
    share = ShareFactory()
    token = page_token(client.get(share.path))
    # The object was just found and that is kept on the share: make it old, so the click
    # asks S3 again.
    Share.objects.filter(pk=share.pk).update(object_checked_at=None)
    s3_proxy.hold()
    response = client.post(share.path, {"token": token})
    assert_unavailable_page(response)
    assert Share.objects.get(pk=share.pk).download_count == 0
    assert share.clicks.filter(outcome=ClickOutcome.UNAVAILABLE).count() == 1


def test_the_landing_page_with_s3_silent_is_the_503_page_too(client, s3_proxy, settings):
    settings.SHARELINKS_S3_READ_TIMEOUT = 1
    share = ShareFactory()
    s3_proxy.hold()
    assert_unavailable_page(client.get(share.path))


def test_a_silent_s3_reached_by_a_short_deadline_first_is_still_the_503_page(
    client, s3_proxy, settings, caplog
):
    # Longer S3 timeouts than the deadline: the deadline ends the wait instead, passing
    # through botocore (which would retry any Exception raised inside its request).
    settings.SHARELINKS_S3_READ_TIMEOUT = 60
    settings.SHARELINKS_CLICK_DEADLINE = 1
    share = ShareFactory()
    s3_proxy.hold()
    assert_unavailable_page(client.get(share.path))
    assert "over SHARELINKS_CLICK_DEADLINE" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_broker_that_accepts_and_holds_delays_no_download(client):
    # CELERY_BROKER_* bound the publish (one attempt, 2 s socket timeouts); the email row
    # stays pending for the sweeper and the recipient gets the file.
    share = ShareFactory(notify_downloads=NotifyDownloads.EVERY, owner__email="o@corp.example")
    with FaultProxy(mode="hold") as held, broker(held.url("redis", "/0")):
        response = download(client, share.path)
    assert response.status_code == 303
    assert Share.objects.get(pk=share.pk).download_count == 1
    assert Delivery.objects.get().status == DeliveryStatus.PENDING


@pytest.mark.django_db(transaction=True)
def test_the_deadline_never_turns_a_counted_click_into_a_503(client, settings):
    # Without a broker the owner's email is sent after the commit, inside the request: a
    # mail server that holds the connection outlasts the deadline, yet the download that
    # was counted is answered with the file, not the 503 page.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_TIMEOUT = 2
    settings.SHARELINKS_CLICK_DEADLINE = 1
    share = ShareFactory(notify_downloads=NotifyDownloads.EVERY, owner__email="o@corp.example")
    with FaultProxy(mode="hold") as smtp:
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
        response = download(client, share.path)
    assert response.status_code == 303
    assert Share.objects.get(pk=share.pk).download_count == 1


def failing_save(model, when=lambda row: True):
    """model.save raising OperationalError (a full disk, a lost connection) when `when`."""
    real_save = model.save

    def save(self, *args, **kwargs):
        if self._state.adding and when(self):
            raise OperationalError("could not extend file: No space left on device")
        return real_save(self, *args, **kwargs)

    return save


@pytest.mark.parametrize("failing", ["click row", "outbox row"])
def test_count_click_row_and_outbox_row_roll_back_together(client, monkeypatch, failing):
    if connection.vendor == "postgresql":
        pytest.skip("the counting statement writes both rows itself: the trigger test below")
    share = ShareFactory(notify_downloads=NotifyDownloads.EVERY, owner__email="o@corp.example")
    token = page_token(client.get(share.path))  # the page view's own row is not at stake
    rows_before = Click.objects.count()
    if failing == "click row":
        redirected = lambda row: row.outcome == ClickOutcome.REDIRECTED  # noqa: E731
        monkeypatch.setattr(Click, "save", failing_save(Click, redirected))
    else:
        monkeypatch.setattr(Delivery, "save", failing_save(Delivery))
    client.raise_request_exception = False
    response = client.post(share.path, {"token": token})
    assert_unavailable_page(response)
    assert Share.objects.get(pk=share.pk).download_count == 0
    assert Click.objects.count() == rows_before
    assert not Delivery.objects.exists()


TRIGGER = """
CREATE FUNCTION sharelinks_test_fail() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'injected fault' USING ERRCODE = 'disk_full'; END $$ LANGUAGE plpgsql;
CREATE TRIGGER sharelinks_test_fail BEFORE INSERT ON {table}
FOR EACH ROW WHEN ({condition}) EXECUTE FUNCTION sharelinks_test_fail();
"""


@contextlib.contextmanager
def injected_fault(model, condition: str):
    """Every INSERT into model's table where condition holds fails inside PostgreSQL, as a
    full disk would (a trigger, removed afterwards)."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(TRIGGER.format(table=table, condition=condition))
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER sharelinks_test_fail ON {table}")
            cursor.execute("DROP FUNCTION sharelinks_test_fail()")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("model", "condition"),
    [(Click, "NEW.outcome = 'redirected'"), (Delivery, "true"), (Share, "false")],
    ids=["click row", "outbox row", "nothing"],
)
def test_a_real_database_fault_inside_the_click_rolls_back_all_three(client, model, condition):
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass (DATABASE_URL=$TEST_DATABASE_URL)")
    share = ShareFactory(notify_downloads=NotifyDownloads.EVERY, owner__email="o@corp.example")
    token = page_token(client.get(share.path))
    rows_before = Click.objects.count()
    with injected_fault(model, condition):
        response = client.post(share.path, {"token": token})
    if model is Share:  # the control: no fault, everything counted
        assert response.status_code == 303
        assert Share.objects.get(pk=share.pk).download_count == 1
        return
    assert_unavailable_page(response)
    assert Share.objects.get(pk=share.pk).download_count == 0
    assert Click.objects.count() == rows_before
    assert not Delivery.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_page_view_row_that_cannot_be_written_is_the_503_page(client):
    # A page view's row is written by the lookup's own statement (sharelinks.counting):
    # its failure still answers the 503 page, never a 500 or a page without its row.
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass (DATABASE_URL=$TEST_DATABASE_URL)")
    share = ShareFactory()
    with injected_fault(Click, "NEW.outcome = 'viewed'"):
        assert_unavailable_page(client.get(share.path))
        assert client.head(share.path).status_code == 200  # HEAD writes no row
    assert client.get(share.path).status_code == 200
    assert list(share.clicks.values_list("outcome", flat=True)) == [ClickOutcome.VIEWED]


@pytest.mark.postgres
def test_postgresql_falling_silent_mid_connection_answers_the_503_page(client, pg_proxy, settings):
    # Nothing in libpq ends this wait (the server acknowledges, keepalives are answered):
    # the click's deadline does, and the connection left mid-query is dropped.
    settings.SHARELINKS_CLICK_DEADLINE = 2
    share = ShareFactory()
    token = page_token(client.get(share.path))
    pg_proxy.hold()
    assert_unavailable_page(client.post(share.path, {"token": token}))
    assert connection.connection is None  # dropped, not reused by the next request
    pg_proxy.forward()
    assert Share.objects.get(pk=share.pk).download_count == 0


@pytest.mark.postgres
def test_postgresql_accepting_but_never_answering_a_new_connection_is_the_503_page(
    client, pg_proxy, settings
):
    # The connect timeout (DATABASE_CONNECT_TIMEOUT) ends this one, within the deadline.
    settings.SHARELINKS_CLICK_DEADLINE = 30
    share = ShareFactory()
    connection.close()
    pg_proxy.hold()
    assert_unavailable_page(client.get(share.path))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_click_waiting_on_a_row_lock_is_cancelled_by_the_statement_timeout(client):
    # A staff transaction holding the share's row: the click's UPDATE waits until the
    # server's statement_timeout (here 1 s) cancels it, and the recipient gets the page.
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass (DATABASE_URL=$TEST_DATABASE_URL)")
    share = ShareFactory()
    token = page_token(client.get(share.path))
    with held("SELECT 1 FROM sharelinks_share WHERE id = %s FOR UPDATE", [share.pk]):
        response = client.post(share.path, {"token": token})
    assert_unavailable_page(response)
    assert Share.objects.get(pk=share.pk).download_count == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_only_a_download_that_emails_the_owner_waits_for_a_locked_outbox(client):
    # A migration altering the email table holds it exclusively (docs/deployment.md).
    # A download whose owner hears nothing never touches that table and goes through; a
    # first download, whose email row is written with its count, waits, and the statement
    # timeout gives its recipient the page, uncounted.
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass (DATABASE_URL=$TEST_DATABASE_URL)")
    again = ShareFactory(notify_downloads=NotifyDownloads.FIRST, download_count=1)
    first = ShareFactory(notify_downloads=NotifyDownloads.FIRST)
    tokens = {share: page_token(client.get(share.path)) for share in (again, first)}
    with held(f"LOCK TABLE {Delivery._meta.db_table} IN ACCESS EXCLUSIVE MODE", []):
        repeat = client.post(again.path, {"token": tokens[again]})
        waited = client.post(first.path, {"token": tokens[first]})
    assert repeat.status_code == 303
    assert_unavailable_page(waited)
    counts = dict(Share.objects.values_list("pk", "download_count"))
    assert (counts[again.pk], counts[first.pk]) == (2, 0)
    assert not Delivery.objects.exists()


@contextlib.contextmanager
def held(statement: str, params: list):
    """Another connection runs `statement` (a lock it holds) in an open transaction while the
    app's connections have a 1-second statement_timeout."""
    import psycopg

    options = connection.settings_dict["OPTIONS"]
    saved = options["options"]
    dsn = connection.get_connection_params()
    with psycopg.connect(**{**dsn, "autocommit": False}) as holder:
        holder.execute(statement, params)
        connection.close()
        options["options"] = "-c statement_timeout=1000"
        try:
            yield
        finally:
            options["options"] = saved
            connection.close()
            holder.rollback()
