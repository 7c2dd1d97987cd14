"""Email and background work against a real broker, a real worker and a real SMTP server.

The worker is a separate `celery -A project worker` process, as in production. It shares
the test database through a file: the SQLite test database is one (see settings), and on
PostgreSQL it is the test database by name; an in-memory database would be invisible to
it. So the tests here use `transactional_db`: the rows they write are committed, as a
staff request's would be, and each test waits until the worker is done with them before
its tables are flushed. Mail goes over SMTP to an aiosmtpd server in this process, which
can answer "451 try again" on demand. Each run publishes to a queue of its own, so runs
side by side on one Redis never take each other's tasks.
"""

import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.db import connection, transaction
from django.utils import timezone

from sharelinks import mail, tasks
from sharelinks.mail import handoff, sending
from sharelinks.models import Delivery, DeliveryKind, DeliveryStatus, NotifyDownloads, Share
from tests.brokers import UNREACHABLE, broker
from tests.conftest import BASE_URL, TEST_BUCKET
from tests.factories import ShareFactory
from tests.recipient import download
from tests.smtpsink import SmtpSink

REDIS_URL = os.environ.get("TEST_REDIS_URL", "")

# One line in the report instead of one per test.
if not REDIS_URL:
    pytest.skip("TEST_REDIS_URL is not set: no real Celery worker", allow_module_level=True)

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

QUEUE = f"sharelinks-test-{uuid.uuid4().hex[:8]}"
ADD_URL = "/admin/sharelinks/share/add/"


def _database_url() -> str:
    """The test database as a URL the worker process can open."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        name = str(db["NAME"])
        if name.startswith("file:") or name == ":memory:":
            pytest.fail("the Celery worker needs a file test database, not an in-memory one")
        return f"sqlite:///{Path(name).resolve()}"
    user = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_until_sent(row: Delivery, timeout: float = 20) -> Delivery:
    """Poll the row until the worker has finished with it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row.refresh_from_db()
        if row.status in (DeliveryStatus.SENT, DeliveryStatus.FAILED):
            return row
        time.sleep(0.05)
    pytest.fail(f"email {row.pk} still {row.status} after {timeout}s")


@pytest.fixture(scope="module")
def smtp():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


class Worker:
    """A `celery worker` subprocess; its log tells when tasks have run."""

    def __init__(self, env: dict, log: Path) -> None:
        self.log = log
        command = [sys.executable, "-m", "celery", "-A", "project", "worker", "-P", "solo"]
        command += ["-n", f"{QUEUE}@%h", "-l", "INFO", "--without-gossip", "--without-mingle"]
        self._handle = log.open("w")
        self.process = subprocess.Popen(
            command, env=env, stdout=self._handle, stderr=subprocess.STDOUT
        )
        self.wait_for_log("ready.", timeout=60)

    def wait_for_log(self, text: str, count: int = 1, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.log.read_text().count(text) >= count:
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        pytest.fail(f"worker log never said {text!r} {count}x:\n{self.log.read_text()[-3000:]}")

    def wait_for_tasks(self, *task_ids: str) -> None:
        for task_id in task_ids:
            self.wait_for_log(f"[{task_id}] succeeded")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._handle.close()


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker, smtp, s3_server, tmp_path_factory):
    """One worker for the module, on the test database, the test Redis and the SMTP sink."""
    with django_db_blocker.unblock():
        database_url = _database_url()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CONN_MAX_AGE": "0",
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_TASK_DEFAULT_QUEUE": QUEUE,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": smtp.host,
        "EMAIL_PORT": str(smtp.port),
        "EMAIL_TIMEOUT": "5",
        "SHARELINKS_BASE_URL": BASE_URL,
        "SHARELINKS_EMAIL_RETRY_DELAY": "1",  # the first retry comes 0.5-1 s later
        "SHARELINKS_EMAIL_RETRY_MAX": "2",
        "SHARELINKS_OUTBOX_SWEEP_AFTER": "1",  # the least the setting allows
        "AWS_STORAGE_BUCKET_NAME": TEST_BUCKET,
        "AWS_S3_ENDPOINT_URL": s3_server,
    }
    process = Worker(env, tmp_path_factory.mktemp("worker") / "worker.log")
    yield process
    process.stop()
    _queue_forget()


def _queue_forget() -> None:
    """Remove what kombu keeps in Redis for this run's queue (its bindings, its lists) and
    the expiry times it keeps for exchanges whose bindings are gone (the worker's remote
    control, celery.pidbox, once it stopped): the test db is left as the run found it."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    try:
        keys = list(client.scan_iter(match=f"*{QUEUE}*"))
        if keys:
            client.delete(*keys)
        deadlines = "_kombu.binding_deadlines"
        for exchange in client.zrange(deadlines, 0, -1):
            if not client.exists(b"_kombu.binding." + exchange):
                client.zrem(deadlines, exchange)
    finally:
        client.close()


@pytest.fixture
def redis_broker(worker):
    with broker(REDIS_URL, queue=QUEUE) as app:
        yield app


def add_share_with_recipient(client, key: str, recipients: str):
    """What a staff member's browser posts on the add page."""
    expires = timezone.localtime(timezone.now() + timedelta(days=7))
    data = {
        "key": key,
        "expires_at_0": f"{expires:%Y-%m-%d}",
        "expires_at_1": f"{expires:%H:%M:%S}",
        "notify_downloads": NotifyDownloads.FIRST,
        "recipients": recipients,
        "message": "Here are the Q3 figures.",
    }
    return client.post(ADD_URL, data)


def test_a_share_saved_with_a_recipient_gives_exactly_one_email(
    admin_client, put_object, smtp, worker, redis_broker
):
    put_object("reports/q3.pdf", b"%PDF-1.4 q3", "application/pdf")
    response = add_share_with_recipient(admin_client, "reports/q3.pdf", "ann@example.org")
    assert response.status_code == 302, response.content.decode()[:2000]
    share = Share.objects.get(key="reports/q3.pdf")
    (message,) = smtp.handler.wait_for(1)
    delivery = wait_until_sent(Delivery.objects.get(share=share))
    assert message["To"] == "ann@example.org"
    assert message["Reply-To"] == "admin@example.com"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    link = f"{BASE_URL}/s/{share.recipients.get().code}"  # Ann's own link
    assert link in text
    assert link in html
    assert "X-Amz" not in text + html
    assert "q3.pdf" in text
    assert "Here are the Q3 figures." in text
    time.sleep(1)  # nothing else follows
    assert len(smtp.handler.messages) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 1)
    smtp.handler.messages.clear()


def test_a_duplicated_task_sends_once(smtp, worker, redis_broker):
    share = ShareFactory()
    row = Delivery.objects.create(share=share, kind=DeliveryKind.LINK, recipient="bo@example.org")
    first = tasks.delivery_send.apply_async((row.pk,))
    second = tasks.delivery_send.apply_async((row.pk,))
    worker.wait_for_tasks(first.id, second.id)
    assert len(smtp.handler.wait_for(1)) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.SENT, 1)
    smtp.handler.messages.clear()


def test_a_task_retried_after_an_smtp_error_sends_once(smtp, worker, redis_broker):
    smtp.handler.refuse, smtp.handler.refused = 1, 0
    share = ShareFactory()
    with transaction.atomic():
        (row,) = sending.share_send_link(share=share, recipients="cy@example.org")
    assert len(smtp.handler.wait_for(1)) == 1
    wait_until_sent(row)
    time.sleep(1)
    assert (smtp.handler.refused, len(smtp.handler.messages)) == (1, 1)
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.SENT, 2, "")
    assert "Retry in" in worker.log.read_text()
    smtp.handler.messages.clear()


def test_broker_down_at_save_saves_warns_and_the_sweeper_sends_later(
    admin_client, put_object, smtp, worker
):
    put_object("reports/q4.pdf", b"%PDF-1.4 q4", "application/pdf")
    with broker(UNREACHABLE, queue=QUEUE):
        response = add_share_with_recipient(admin_client, "reports/q4.pdf", "di@example.org")
    assert response.status_code == 302
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("will be sent automatically as soon as the queue is back" in m for m in shown)
    share = Share.objects.get(key="reports/q4.pdf")
    assert Delivery.objects.get(share=share).status == DeliveryStatus.PENDING
    time.sleep(0.5)
    assert smtp.handler.messages == []
    Delivery.objects.filter(share=share).update(due_at=timezone.now() - timedelta(hours=1))
    with broker(REDIS_URL, queue=QUEUE):
        sweep = tasks.outbox_sweep.apply_async()  # what beat runs every minute
    worker.wait_for_tasks(sweep.id)
    (message,) = smtp.handler.wait_for(1)
    assert message["To"] == "di@example.org"
    smtp.handler.messages.clear()


def test_a_click_with_the_broker_unreachable_still_redirects_and_the_notice_follows(
    client, smtp, worker
):
    """The click answers while the broker is down; the owner's email waits as a pending row
    and goes out once the broker is back. (What the publish attempt costs a click is
    measured by `make bench`, not asserted here.)"""
    share = ShareFactory(filename="down.pdf", notify_downloads=NotifyDownloads.EVERY)
    with broker(UNREACHABLE, queue=QUEUE):
        statuses = [download(client, share.path).status_code for _ in range(3)]
    assert statuses == [303, 303, 303]
    assert Delivery.objects.filter(share=share, status=DeliveryStatus.PENDING).count() == 3
    with broker(REDIS_URL, queue=QUEUE):
        Delivery.objects.filter(share=share).update(due_at=timezone.now() - timedelta(hours=1))
        sweep = tasks.outbox_sweep.apply_async()
    worker.wait_for_tasks(sweep.id)
    assert len(smtp.handler.wait_for(3)) == 3
    smtp.handler.messages.clear()


def test_emails_handed_over_together_go_out_as_one_task_and_each_once(
    settings, smtp, worker, redis_broker
):
    # The web process's mail thread publishes ids that arrive together as one task; the
    # worker fans it out to one send task per email.
    settings.SHARELINKS_MAIL_AFTER_ANSWER = True
    rows = [
        Delivery.objects.create(
            share=ShareFactory(), kind=DeliveryKind.FIRST_DOWNLOAD, recipient=f"o{n}@corp.example"
        )
        for n in range(3)
    ]
    mail.deliveries_hand_off([row.pk for row in rows])
    handoff.drain(timeout=30)
    messages = smtp.handler.wait_for(3)
    for row in rows:
        assert (wait_until_sent(row).status, row.attempts) == (DeliveryStatus.SENT, 1)
    assert sorted(message["To"] for message in messages) == [r.recipient for r in rows]
    worker.wait_for_log("sharelinks.tasks.delivery_send[", count=3)
    assert (
        worker.log.read_text().count("sharelinks.tasks.deliveries_fan_out[") == 2
    )  # received, succeeded
    smtp.handler.messages.clear()


def test_the_worker_sends_downloads_handed_over_together_to_one_owner_as_one_digest(
    settings, smtp, worker, redis_broker
):
    # The fan-out puts the download emails to one address into one batch task (a digest);
    # any other email keeps its own send task.
    settings.SHARELINKS_MAIL_AFTER_ANSWER = True
    logged = worker.log.read_text()
    mine = [
        Delivery.objects.create(
            share=ShareFactory(), kind=DeliveryKind.DOWNLOAD, recipient="ada@corp.example"
        )
        for _ in range(2)
    ]
    theirs = Delivery.objects.create(
        share=ShareFactory(), kind=DeliveryKind.FIRST_DOWNLOAD, recipient="bob@corp.example"
    )
    mail.deliveries_hand_off([mine[0].pk, theirs.pk, mine[1].pk])
    handoff.drain(timeout=30)
    messages = smtp.handler.wait_for(2)
    for row in (*mine, theirs):
        assert (wait_until_sent(row).status, row.attempts) == (DeliveryStatus.SENT, 1)
    assert sorted((m["To"], m["Subject"]) for m in messages) == [
        ("ada@corp.example", "2 downloads of your files"),
        ("bob@corp.example", "figures.pdf was downloaded"),
    ]
    for task in ("deliveries_send", "delivery_send"):  # one run each, logged twice:
        text = f"sharelinks.tasks.{task}["  # received, succeeded
        worker.wait_for_log(text, count=logged.count(text) + 2)
    smtp.handler.messages.clear()
