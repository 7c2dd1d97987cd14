"""A click's email leaves from the web process's mail thread, after the recipient's answer.

Real parts: the app's own click path, the test database (committed rows: the thread has a
connection of its own), a real SMTP server (tests/smtpsink.py) and the fault proxy that
holds a connection without a word (tests/faults.py) in front of it.
"""

import queue
import sys
import threading
import time

import pytest
from django.core import mail as django_mail

from sharelinks import mail
from sharelinks.mail import handoff
from sharelinks.models import Delivery, DeliveryKind, DeliveryStatus, NotifyDownloads, Share
from tests.factories import ShareFactory
from tests.faults import FaultProxy
from tests.recipient import download
from tests.smtpsink import SmtpSink

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def mail_thread(settings):
    """The mail thread as production runs it (tests otherwise publish inside the request);
    ended after the test, with its database connection."""
    settings.SHARELINKS_MAIL_AFTER_ANSWER = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    yield
    handoff.drain()


@pytest.fixture
def smtp():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


def owner_notified_share():
    return ShareFactory(notify_downloads=NotifyDownloads.FIRST, owner__email="o@corp.example")


def test_the_recipient_has_the_file_while_the_mail_server_has_not_answered(
    client, settings, mail_thread
):
    # The mail server accepts and says nothing: the download is answered all the same, and
    # the email is the thread's business, still on its way when the recipient has the file.
    settings.EMAIL_TIMEOUT = 2
    share = owner_notified_share()
    with FaultProxy(mode="hold") as held:
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", held.port
        response = download(client, share.path)
        assert response.status_code == 303
        assert Share.objects.get(pk=share.pk).download_count == 1
        row = Delivery.objects.get()
        # Not yet tried, or being tried: sent inside the request, it would have failed.
        assert row.status in (DeliveryStatus.PENDING, DeliveryStatus.SENDING)
        assert row.last_error == ""
        handoff.drain(timeout=30)  # the thread gives up on the silent server by itself
    row.refresh_from_db()
    assert row.status == DeliveryStatus.PENDING  # left for the sweeper, with the reason
    assert "timed out" in row.last_error


def test_the_owner_hears_of_a_download_from_the_mail_thread(client, settings, smtp, mail_thread):
    settings.EMAIL_HOST, settings.EMAIL_PORT = smtp.host, smtp.port
    share = owner_notified_share()
    assert download(client, share.path).status_code == 303
    handoff.drain(timeout=30)
    (message,) = smtp.handler.wait_for(1)
    assert message["To"] == "o@corp.example"
    assert share.filename in message["Subject"]
    row = Delivery.objects.get()
    assert (row.status, row.attempts) == (DeliveryStatus.SENT, 1)


def test_downloads_handed_over_together_reach_their_owner_once_as_one_email(
    client, settings, smtp, mail_thread, monkeypatch
):
    # Three first downloads within the thread's gathering time: one digest to the owner's
    # address over SMTP, and every row sent once. A test client's downloads come one after
    # another, slower than a burst on a busy server: the batch waits for them as it would
    # for a burst's.
    monkeypatch.setattr(handoff, "GATHER_QUIET", 2.0)
    settings.EMAIL_HOST, settings.EMAIL_PORT = smtp.host, smtp.port
    shares = [owner_notified_share() for _ in range(3)]
    for share in shares:
        assert download(client, share.path).status_code == 303
    handoff.drain(timeout=30)
    (message,) = smtp.handler.wait_for(1)
    assert message["To"] == "o@corp.example"
    assert message["Subject"] == "3 downloads of your files"
    rows = Delivery.objects.values_list("share", "status", "attempts")
    assert sorted(rows) == [(share.pk, DeliveryStatus.SENT, 1) for share in shares]


def test_a_process_with_the_mail_thread_hands_the_interpreter_over_often(
    client, settings, smtp, mail_thread
):
    # The thread builds emails holding the interpreter lock: the request waiting for it
    # gets it within SWITCH_INTERVAL, not Python's default 5 ms.
    settings.EMAIL_HOST, settings.EMAIL_PORT = smtp.host, smtp.port
    before = sys.getswitchinterval()
    try:
        assert download(client, owner_notified_share().path).status_code == 303
        handoff.drain(timeout=30)
        assert sys.getswitchinterval() <= handoff.SWITCH_INTERVAL
    finally:
        sys.setswitchinterval(before)


def test_an_email_that_cannot_be_built_keeps_none_of_its_batch_back(settings):
    # Without a broker the thread sends a batch in this process: one row that fails for
    # good (a kind no template exists for) is marked failed, and the others go out (the
    # two download emails to one address as one digest).
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    share = owner_notified_share()
    rows = [
        Delivery.objects.create(share=share, kind=kind, recipient="o@corp.example")
        for kind in (DeliveryKind.DOWNLOAD, "bogus", DeliveryKind.DOWNLOAD)
    ]
    assert mail.deliveries_publish([row.pk for row in rows], batched=True) is False
    statuses = [Delivery.objects.get(pk=row.pk).status for row in rows]
    assert statuses == [DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.SENT]
    assert [message.subject for message in django_mail.outbox] == ["2 downloads of your files"]


def gathered_in_thread(waiting: queue.Queue) -> list:
    """handoff._gathered run as the mail thread runs it; fails the test (instead of hanging
    it) if the batch has not closed within a minute."""
    batches: list = []
    taker = threading.Thread(target=lambda: batches.append(handoff._gathered(waiting)))
    taker.start()
    taker.join(60)
    assert not taker.is_alive(), "the batch never closed"
    return batches[0]


def test_a_download_alone_goes_out_without_waiting_for_more(monkeypatch):
    # No id follows the first: the batch closes after one quiet slice, not after
    # GATHER_MAX (an hour here, so that only the quiet rule can close it).
    monkeypatch.setattr(handoff, "GATHER_MAX", 3600)
    waiting = queue.Queue()
    waiting.put(7)
    assert gathered_in_thread(waiting) == [7]


def test_a_steady_stream_of_downloads_is_sent_in_batches_that_close_in_time(monkeypatch):
    # Ids keep coming, more often than the quiet slice: the batch still closes after
    # GATHER_MAX, with many ids, and later ids wait for the next batch. (MAX_BATCH is set
    # out of reach, so that only GATHER_MAX can close it.)
    monkeypatch.setattr(handoff, "GATHER_MAX", 0.5)
    monkeypatch.setattr(handoff, "MAX_BATCH", 1_000_000)
    waiting, stop = queue.Queue(), threading.Event()

    def clicks():
        pk = 0
        while not stop.is_set():
            pk += 1
            waiting.put(pk)
            time.sleep(handoff.GATHER_QUIET / 5)

    feeder = threading.Thread(target=clicks)
    feeder.start()
    try:
        first = gathered_in_thread(waiting)
        second = gathered_in_thread(waiting)
    finally:
        stop.set()
        feeder.join()
    assert len(first) > 1
    assert first == list(range(1, len(first) + 1))  # in the order handed over
    assert second[0] == len(first) + 1  # nothing lost between batches


def test_a_batch_holds_at_most_max_batch_ids_and_ends_at_the_sentinel(monkeypatch):
    monkeypatch.setattr(handoff, "GATHER_MAX", 3600)
    waiting = queue.Queue()
    for pk in range(handoff.MAX_BATCH + 5):
        waiting.put(pk)
    waiting.put(handoff._STOP)
    assert gathered_in_thread(waiting) == list(range(handoff.MAX_BATCH))
    assert gathered_in_thread(waiting) == [*range(handoff.MAX_BATCH, handoff.MAX_BATCH + 5), None]
