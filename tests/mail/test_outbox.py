"""The email outbox: one row per email, sent once, retried on passing SMTP errors."""

import contextlib
import logging
import smtplib
from datetime import timedelta

import pytest
import time_machine
from celery.exceptions import SoftTimeLimitExceeded
from django.core import mail
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.mail.backends.locmem import EmailBackend
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from project.celery import app as celery_app
from sharelinks import tasks
from sharelinks.mail import outbox, retry, sending
from sharelinks.models import Delivery, DeliveryKind, DeliveryStatus, NotifyDownloads, Share
from tests.brokers import UNREACHABLE, broker, silent_server
from tests.factories import ShareFactory, UserFactory
from tests.recipient import download

pytestmark = pytest.mark.django_db


class FlakyBackend(EmailBackend):
    """locmem, but raises the errors queued in `failures` first, one per send (None: that
    send goes through)."""

    failures: list[Exception | None] = []

    def send_messages(self, messages):
        if FlakyBackend.failures and (failure := FlakyBackend.failures.pop(0)) is not None:
            raise failure
        return super().send_messages(messages)


@pytest.fixture
def flaky(settings):
    settings.EMAIL_BACKEND = "tests.mail.test_outbox.FlakyBackend"
    FlakyBackend.failures = []
    return FlakyBackend.failures


class WorkerKilled(BaseException):
    """The worker process dies here (OOM killer, SIGKILL, node lost)."""


class SoftLimitBackend(EmailBackend):
    """An SMTP conversation that runs into CELERY_TASK_SOFT_TIME_LIMIT."""

    def send_messages(self, messages):
        raise SoftTimeLimitExceeded()


def link_row() -> Delivery:
    return Delivery.objects.create(
        share=ShareFactory(), kind=DeliveryKind.LINK, recipient="ann@example.org"
    )


@pytest.fixture
def killed_after_smtp_accepted(monkeypatch):
    """The mail server has the message; the worker dies before the row says "sent"."""

    def mark_sent(ids, **claim):
        raise WorkerKilled()

    monkeypatch.setattr(outbox, "_mark_sent", mark_sent)
    return monkeypatch


def lease_lapses():
    """The claim's lease runs out: move the row's times back by the lease and a minute."""
    past = outbox.CLAIM_LEASE + timedelta(minutes=1)
    Delivery.objects.update(claimed_at=F("claimed_at") - past, due_at=F("due_at") - past)


def send_link(share, recipients="ann@example.org", **kwargs):
    return sending.share_send_link(share=share, recipients=recipients, sender=share.owner, **kwargs)


def test_sending_a_link_writes_one_row_per_recipient_and_mails_on_commit(
    django_capture_on_commit_callbacks,
):
    share = ShareFactory(owner__email="ada@corp.example")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        rows = send_link(share, "ann@example.org, Bob@Example.ORG\nann@example.org")
    assert [row.recipient for row in rows] == ["ann@example.org", "Bob@example.org"]
    assert mail.outbox == []  # nothing leaves before the transaction commits
    for callback in callbacks:
        callback()
    assert sorted(m.to[0] for m in mail.outbox) == ["Bob@example.org", "ann@example.org"]
    assert set(Delivery.objects.values_list("status", "attempts")) == {(DeliveryStatus.SENT, 1)}
    assert all(m.reply_to == ["ada@corp.example"] for m in mail.outbox)


def test_a_bad_address_is_a_validation_error_and_queues_nothing():
    share = ShareFactory()
    with pytest.raises(ValidationError) as caught:
        send_link(share, "ann@example.org, not-an-address; bob@")
    assert caught.value.code == "invalid_recipient"
    assert "not-an-address, bob@" in caught.value.messages[0]
    assert not Delivery.objects.exists()


def test_a_revoked_share_cannot_be_sent():
    share = ShareFactory(revoked_at=timezone.now())
    with pytest.raises(ValidationError, match="revoked"):
        send_link(share)


def test_running_the_send_twice_sends_once(django_capture_on_commit_callbacks):
    share = ShareFactory()
    with django_capture_on_commit_callbacks(execute=False):
        (row,) = send_link(share)
    assert outbox.delivery_send(delivery_id=row.pk) is None
    assert outbox.delivery_send(delivery_id=row.pk) is None
    assert len(mail.outbox) == 1


def test_a_passing_smtp_error_leaves_the_row_pending_with_a_backoff(
    flaky, django_capture_on_commit_callbacks
):
    flaky.append(smtplib.SMTPServerDisconnected("Connection unexpectedly closed"))
    share = ShareFactory()
    with django_capture_on_commit_callbacks(execute=False):
        (row,) = send_link(share)
    retry_in = outbox.delivery_send(delivery_id=row.pk)
    row.refresh_from_db()
    assert 15 <= retry_in <= 30
    assert (row.status, row.attempts) == (DeliveryStatus.PENDING, 1)
    assert "SMTPServerDisconnected" in row.last_error
    assert row.due_at > timezone.now()
    assert outbox.delivery_send(delivery_id=row.pk) is None
    row.refresh_from_db()
    assert (row.status, row.attempts, len(mail.outbox)) == (DeliveryStatus.SENT, 2, 1)


def test_a_batch_is_claimed_read_and_marked_sent_in_four_statements_whatever_its_size():
    # ...and one more mark for each MARK_EVERY (20) sent: a process killed mid-batch
    # repeats at most that many emails.
    statements = []
    for size in (1, 6, 45):
        rows = [link_row() for _ in range(size)]
        with CaptureQueriesContext(connection) as queries:
            sent = outbox.deliveries_send(delivery_ids=[row.pk for row in rows])
        statements.append(len(queries))
        assert sent == {row.pk: None for row in rows}
        assert set(Delivery.objects.filter(pk__in=sent).values_list("status", flat=True)) == {
            DeliveryStatus.SENT
        }
    assert statements == [4, 4, 6]
    assert len(mail.outbox) == 52


def test_a_message_of_a_batch_the_mail_server_drops_is_retried_alone(flaky):
    first, dropped, last = (link_row() for _ in range(3))
    flaky.extend([None, smtplib.SMTPServerDisconnected("Connection unexpectedly closed")])
    retry_in = outbox.deliveries_send(delivery_ids=[first.pk, dropped.pk, last.pk])

    assert (retry_in[first.pk], retry_in[last.pk]) == (None, None)
    assert 15 <= retry_in[dropped.pk] <= 30
    statuses = dict(Delivery.objects.values_list("pk", "status"))
    assert statuses == {
        first.pk: DeliveryStatus.SENT,
        dropped.pk: DeliveryStatus.PENDING,
        last.pk: DeliveryStatus.SENT,
    }
    assert len(mail.outbox) == 2
    # Its retry (the sweeper's, or a task's) sends it; the two sent are not sent again.
    assert outbox.deliveries_send(delivery_ids=[first.pk, dropped.pk, last.pk]) == {
        dropped.pk: None
    }
    assert len(mail.outbox) == 3


def test_a_permanent_refusal_fails_at_once(flaky, django_capture_on_commit_callbacks):
    flaky.append(smtplib.SMTPRecipientsRefused({"ann@example.org": (550, b"no such user")}))
    with django_capture_on_commit_callbacks(execute=False):
        (row,) = send_link(ShareFactory())
    assert outbox.delivery_send(delivery_id=row.pk) is None
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, 1)


def test_attempts_run_out(flaky, settings, django_capture_on_commit_callbacks):
    settings.SHARELINKS_EMAIL_MAX_ATTEMPTS = 2
    flaky.extend([TimeoutError("timed out")] * 2)
    with django_capture_on_commit_callbacks(execute=False):
        (row,) = send_link(ShareFactory())
    assert outbox.delivery_send(delivery_id=row.pk) is not None
    assert outbox.delivery_send(delivery_id=row.pk) is None
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, 2)
    assert "timed out" in row.last_error


def test_a_lapsed_claim_is_taken_over_but_a_live_one_is_not():
    row = Delivery.objects.create(
        share=ShareFactory(), kind=DeliveryKind.LINK, recipient="ann@example.org"
    )
    Delivery.objects.filter(pk=row.pk).update(
        status=DeliveryStatus.SENDING, claimed_at=timezone.now()
    )
    outbox.delivery_send(delivery_id=row.pk)
    assert mail.outbox == []
    Delivery.objects.filter(pk=row.pk).update(claimed_at=timezone.now() - timedelta(hours=1))
    outbox.delivery_send(delivery_id=row.pk)
    assert len(mail.outbox) == 1


def test_a_pending_row_has_no_claim_stamp_and_every_other_has_one():
    # The outbox finds claimable rows by their missing stamp; the database holds the two
    # together, so a row can be neither unclaimable while pending nor claimed again once
    # sent.
    row = link_row()
    for status, stamp in (
        (DeliveryStatus.PENDING, timezone.now()),
        (DeliveryStatus.SENDING, None),
        (DeliveryStatus.SENT, None),
        (DeliveryStatus.FAILED, None),
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            Delivery.objects.filter(pk=row.pk).update(status=status, claimed_at=stamp)
    assert outbox.delivery_send(delivery_id=row.pk) is None
    row.refresh_from_db()
    assert (row.status, row.claimed_at is not None, len(mail.outbox)) == (
        DeliveryStatus.SENT,
        True,
        1,
    )


def test_a_send_that_outlived_its_lease_still_says_sent_where_the_sweeper_gave_up(
    monkeypatch, settings
):
    # A worker stalls after the mail server took the message, past the lease, and the
    # sweeper fails the row (no attempts left, outcome unknown); when the worker wakes its
    # mark still holds the row's stamp, and the row says what happened: sent.
    settings.SHARELINKS_EMAIL_MAX_ATTEMPTS = 1
    row = link_row()
    mark_sent = outbox._mark_sent

    def stalled(ids, *, claimed_at):
        with time_machine.travel(timezone.now() + outbox.CLAIM_LEASE + timedelta(minutes=1)):
            outbox.deliveries_sweep()
        assert Delivery.objects.get(pk=row.pk).status == DeliveryStatus.FAILED
        mark_sent(ids, claimed_at=claimed_at)

    monkeypatch.setattr(outbox, "_mark_sent", stalled)
    outbox.delivery_send(delivery_id=row.pk)
    row.refresh_from_db()
    assert (row.status, row.last_error, len(mail.outbox)) == (DeliveryStatus.SENT, "", 1)


def test_an_email_whose_share_is_deleted_while_it_is_claimed_is_dropped_quietly(monkeypatch):
    # Staff delete the share between the claim and the read of what the email tells of:
    # its rows went with it, so there is nothing to send and nothing to fail.
    row, kept = link_row(), link_row()
    told_of = outbox._told_of

    def share_deleted_meanwhile(units):
        Share.objects.filter(pk=row.share_id).delete()
        return told_of(units)

    monkeypatch.setattr(outbox, "_told_of", share_deleted_meanwhile)
    assert outbox.deliveries_send(delivery_ids=[row.pk, kept.pk]) == {row.pk: None, kept.pk: None}
    assert [message.to for message in mail.outbox] == [["ann@example.org"]]
    assert list(Delivery.objects.values_list("pk", "status")) == [(kept.pk, DeliveryStatus.SENT)]


def test_a_sent_email_is_never_claimed_again_however_old_its_claim():
    # Only a claim still "sending" lapses: a row sent a day ago is done, whoever asks.
    row = link_row()
    assert outbox.delivery_send(delivery_id=row.pk) is None
    lease_lapses()
    Delivery.objects.update(claimed_at=F("claimed_at") - timedelta(days=1))
    assert outbox.delivery_send(delivery_id=row.pk) is None
    outbox.deliveries_sweep(older_than=timedelta(0))
    row.refresh_from_db()
    assert (row.status, row.attempts, len(mail.outbox)) == (DeliveryStatus.SENT, 1, 1)
    assert row.sent_at is not None


def test_marking_a_batch_sent_touches_only_the_rows_that_were_sent(flaky):
    # Rows of one claim share its stamp; the one the mail server refused for good stays
    # failed when the others are marked sent.
    refused, accepted = link_row(), link_row()
    flaky.append(smtplib.SMTPRecipientsRefused({"ann@example.org": (550, b"no such user")}))
    assert outbox.deliveries_send(delivery_ids=[refused.pk, accepted.pk]) == {
        refused.pk: None,
        accepted.pk: None,
    }
    statuses = dict(Delivery.objects.values_list("pk", "status"))
    assert statuses == {refused.pk: DeliveryStatus.FAILED, accepted.pk: DeliveryStatus.SENT}
    assert Delivery.objects.get(pk=refused.pk).sent_at is None


def test_a_stalled_send_leaves_alone_a_row_another_worker_took_over(monkeypatch, flaky):
    # Worker A stalls after the mail server took the message; its lease lapses and worker
    # B claims the row (a new stamp) and meets a passing error, which puts the row back
    # for a retry. A's late mark no longer holds the row's stamp, so the retry stands.
    row = link_row()
    mark_sent = outbox._mark_sent
    later = timezone.now() + outbox.CLAIM_LEASE + timedelta(minutes=1)

    def stalled(ids, *, claimed_at):
        if ids:
            monkeypatch.setattr(outbox, "_mark_sent", mark_sent)  # B marks as usual
            flaky.append(smtplib.SMTPServerDisconnected("Connection unexpectedly closed"))
            with time_machine.travel(later):
                assert outbox.delivery_send(delivery_id=row.pk) is not None  # B: retry later
        mark_sent(ids, claimed_at=claimed_at)

    monkeypatch.setattr(outbox, "_mark_sent", stalled)
    outbox.delivery_send(delivery_id=row.pk)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.claimed_at) == (DeliveryStatus.PENDING, 2, None)
    assert "SMTPServerDisconnected" in row.last_error


def test_an_email_that_cannot_be_built_fails_for_good_says_why_and_raises(settings, caplog):
    # A misconfiguration is no passing error: retrying cannot help. Each row says why, the
    # log names them, and the error reaches the caller (the task's failure) once done.
    first, second = link_row(), link_row()
    settings.SHARELINKS_BASE_URL = ""  # no link can be written into the email
    with (
        caplog.at_level(logging.ERROR, logger="sharelinks.mail.outbox"),
        pytest.raises(ImproperlyConfigured),
    ):
        outbox.deliveries_send(delivery_ids=[first.pk, second.pk])
    for row in (first, second):
        row.refresh_from_db()
        assert row.status == DeliveryStatus.FAILED
        assert row.last_error.startswith("ImproperlyConfigured: ")
    logged = [r.getMessage() for r in caplog.records if r.name == "sharelinks.mail.outbox"]
    assert logged == [
        f"emails [{row.pk}] failed for good: {row.last_error}" for row in (first, second)
    ]
    assert mail.outbox == []


def test_sending_again_is_a_new_email_with_its_own_message_id_and_the_first_is_kept(
    django_capture_on_commit_callbacks,
):
    share = ShareFactory()
    with django_capture_on_commit_callbacks(execute=True):
        (first,) = send_link(share, message="first")
    with django_capture_on_commit_callbacks(execute=True):
        (second,) = send_link(share, message="second")
    assert second.pk != first.pk
    first.refresh_from_db()
    assert (first.status, first.message) == (DeliveryStatus.SENT, "first")
    assert Delivery.objects.get(pk=second.pk).status == DeliveryStatus.SENT
    ids = [message.message()["Message-ID"] for message in mail.outbox]
    assert len(ids) == 2
    assert ids[0] != ids[1]


def test_an_address_in_another_case_is_on_its_way_too(django_capture_on_commit_callbacks):
    share = ShareFactory()
    with django_capture_on_commit_callbacks(execute=False):
        send_link(share, "ann@example.org")
        assert send_link(share, "ANN@example.org") == []
    assert Delivery.objects.count() == 1


def test_broker_down_leaves_the_row_pending_and_the_sweeper_sends_it():
    share = ShareFactory()
    warned = []
    with broker(UNREACHABLE):
        (row,) = send_link(share)  # not in a transaction: publishes at once
        published = outbox.deliveries_publish([row.pk], on_unqueued=lambda: warned.append(1))
    assert (published, warned, mail.outbox) == (False, [1], [])
    assert Delivery.objects.get().status == DeliveryStatus.PENDING
    assert outbox.deliveries_sweep() == 0  # not yet overdue: the normal path gets its chance
    assert outbox.deliveries_sweep(older_than=timedelta(0)) == 1
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("mode", "clicks", "emails"),
    [(NotifyDownloads.FIRST, 3, 1), (NotifyDownloads.EVERY, 3, 3), (NotifyDownloads.NEVER, 3, 0)],
)
def test_the_owner_hears_about_downloads_as_the_share_says(
    client, django_capture_on_commit_callbacks, mode, clicks, emails
):
    share = ShareFactory(notify_downloads=mode, owner__email="ada@corp.example")
    for _ in range(clicks):
        with django_capture_on_commit_callbacks(execute=True):
            assert download(client, share.path).status_code == 303
    assert len(mail.outbox) == emails
    assert all(m.to == ["ada@corp.example"] for m in mail.outbox)


def test_two_racing_first_clicks_queue_one_email():
    share = ShareFactory()
    click = share.clicks.create(outcome="redirected")
    assert outbox.download_notify(share=share, click=click, first=True) is not None
    assert outbox.download_notify(share=share, click=click, first=True) is None
    assert Delivery.objects.count() == 1


def test_an_owner_without_email_gets_no_notification():
    share = ShareFactory(owner=UserFactory(email=""))
    click = share.clicks.create(outcome="redirected")
    assert outbox.download_notify(share=share, click=click, first=True) is None


def test_backoff_doubles_with_jitter_up_to_the_maximum(settings):
    settings.SHARELINKS_EMAIL_RETRY_DELAY, settings.SHARELINKS_EMAIL_RETRY_MAX = 30, 100
    assert all(15 <= retry.delay_for(1) <= 30 for _ in range(50))
    assert all(30 <= retry.delay_for(2) <= 60 for _ in range(50))
    assert all(50 <= retry.delay_for(9) <= 100 for _ in range(50))
    assert len({retry.delay_for(3) for _ in range(20)}) > 1


def test_after_a_failed_publish_the_process_leaves_new_rows_to_the_sweeper(monkeypatch):
    from sharelinks import tasks

    row = Delivery.objects.create(
        share=ShareFactory(), kind=DeliveryKind.LINK, recipient="ann@example.org"
    )
    with broker(UNREACHABLE):
        assert outbox.deliveries_publish([row.pk]) is False
        attempts = []
        monkeypatch.setattr(tasks.delivery_send, "apply_async", lambda *a, **k: attempts.append(a))
        assert outbox.deliveries_publish([row.pk]) is False
        assert attempts == []  # no connection attempt while the backoff lasts


def test_a_worker_killed_after_smtp_accepted_repeats_the_email_with_the_same_message_id(
    killed_after_smtp_accepted,
):
    row = link_row()
    with pytest.raises(WorkerKilled):
        outbox.delivery_send(delivery_id=row.pk)
    killed_after_smtp_accepted.undo()
    lease_lapses()
    outbox.deliveries_sweep()
    first, repeat = (message.message()["Message-ID"] for message in mail.outbox)
    assert first == repeat
    assert Delivery.objects.get().status == DeliveryStatus.SENT


def test_a_row_whose_worker_keeps_dying_fails_after_max_attempts(
    killed_after_smtp_accepted, settings
):
    settings.SHARELINKS_EMAIL_MAX_ATTEMPTS = 3
    row = link_row()
    for _sweep in range(6):
        with contextlib.suppress(WorkerKilled):
            outbox.deliveries_sweep(older_than=timedelta(0))
        lease_lapses()
    outbox.deliveries_sweep(older_than=timedelta(0))
    row.refresh_from_db()
    assert (row.status, row.attempts, len(mail.outbox)) == (DeliveryStatus.FAILED, 3, 3)
    assert row.last_error == "outcome unknown: the worker stopped while sending"


def test_the_sweeper_publishes_an_overdue_row_once_per_sweep_interval(monkeypatch):
    row = link_row()
    Delivery.objects.filter(pk=row.pk).update(due_at=timezone.now() - timedelta(minutes=5))
    published = []
    with broker(UNREACHABLE):
        monkeypatch.setattr(
            tasks.delivery_send, "apply_async", lambda args, **kw: published.append(args[0])
        )
        for _minute in range(5):  # beat runs the sweeper every minute
            outbox.deliveries_sweep()
        assert published == [row.pk]
        Delivery.objects.update(due_at=F("due_at") - timedelta(seconds=121))
        outbox.deliveries_sweep()  # SHARELINKS_OUTBOX_SWEEP_AFTER later, still pending
    assert published == [row.pk, row.pk]


def test_a_soft_time_limit_during_smtp_is_retried_not_failed_for_good(settings):
    settings.EMAIL_BACKEND = "tests.mail.test_outbox.SoftLimitBackend"
    row = link_row()
    assert outbox.delivery_send(delivery_id=row.pk) is not None
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.PENDING, 1)
    assert "SoftTimeLimitExceeded" in row.last_error


def test_sending_to_a_recipient_whose_email_is_on_its_way_queues_nothing_new(
    django_capture_on_commit_callbacks,
):
    share = ShareFactory()
    with django_capture_on_commit_callbacks(execute=False):
        send_link(share, "ann@example.org")
        queued = send_link(share, "ann@example.org, bob@example.org")
    assert [row.recipient for row in queued] == ["bob@example.org"]


@pytest.mark.django_db(transaction=True)
def test_without_a_broker_an_email_error_never_turns_a_counted_click_into_a_500(client, settings):
    settings.SHARELINKS_BASE_URL = ""  # the email cannot be built: ImproperlyConfigured
    share = ShareFactory(notify_downloads=NotifyDownloads.EVERY, owner__email="o@corp.example")
    client.raise_request_exception = False
    assert download(client, share.path).status_code == 303
    assert Share.objects.get(pk=share.pk).download_count == 1
    assert Delivery.objects.get().status == DeliveryStatus.FAILED


@pytest.mark.django_db(transaction=True)
def test_without_a_broker_a_hung_mail_server_delays_a_click_but_never_fails_it(client, settings):
    """The documented cost of eager mode (and sharelinks.W004): the click waits up to
    EMAIL_TIMEOUT (a socket timeout, not measured here), then redirects; the email waits."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_TIMEOUT = 1
    share = ShareFactory(notify_downloads=NotifyDownloads.EVERY, owner__email="o@corp.example")
    with silent_server() as port:
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        response = download(client, share.path)
    assert response.status_code == 303
    assert Delivery.objects.get().status == DeliveryStatus.PENDING


def test_without_a_broker_an_email_is_sent_in_process_without_touching_kombu(
    caplog, django_capture_on_commit_callbacks
):
    share = ShareFactory()
    celery_app._after_fork()  # no connection pool left over from an earlier test
    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        send_link(share, "ann@example.org")
        send_link(share, "bob@example.org")
    assert len(mail.outbox) == 2
    assert [
        record.getMessage() for record in caplog.records if record.name.startswith("kombu")
    ] == []
