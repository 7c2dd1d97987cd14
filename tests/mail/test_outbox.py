"""The email outbox: one row per email, sent once, retried on passing SMTP errors."""

import contextlib
import smtplib
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from celery.exceptions import SoftTimeLimitExceeded
from django.core import mail
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.mail.backends.locmem import EmailBackend
from django.db.models import F
from django.utils import timezone

from sharelinks import tasks
from sharelinks.mail import outbox, retry
from sharelinks.models import Delivery, DeliveryKind, DeliveryStatus, NotifyDownloads, Share
from tests.brokers import UNREACHABLE, broker, silent_server
from tests.factories import ShareFactory, UserFactory
from tests.recipient import download

pytestmark = pytest.mark.django_db


class FlakyBackend(EmailBackend):
    """locmem, but raises the errors queued in `failures` first, one per send."""

    failures: list[Exception] = []

    def send_messages(self, messages):
        if FlakyBackend.failures:
            raise FlakyBackend.failures.pop(0)
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
    real_mark = outbox._mark

    def mark(delivery, **fields):
        if fields.get("status") == DeliveryStatus.SENT:
            raise WorkerKilled()
        real_mark(delivery, **fields)

    monkeypatch.setattr(outbox, "_mark", mark)
    return monkeypatch


def lease_lapses():
    """The claim's lease runs out: move the row's times back by the lease and a minute."""
    past = outbox.CLAIM_LEASE + timedelta(minutes=1)
    Delivery.objects.update(claimed_at=F("claimed_at") - past, due_at=F("due_at") - past)


def send_link(share, recipients="ann@example.org", **kwargs):
    return outbox.share_send_link(share=share, recipients=recipients, sender=share.owner, **kwargs)


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


def test_sending_again_requeues_a_sent_row_and_leaves_a_pending_one(
    django_capture_on_commit_callbacks,
):
    share = ShareFactory()
    with django_capture_on_commit_callbacks(execute=True):
        send_link(share, message="first")
    with django_capture_on_commit_callbacks(execute=False):
        (row,) = send_link(share, message="second")
    assert (row.status, row.message, Delivery.objects.count()) == ("pending", "second", 1)


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


@pytest.mark.parametrize(
    ("pasted", "addresses"),
    [
        ("a@example.com b@example.org", ["a@example.com", "b@example.org"]),
        ("Bob <bob@example.net>, c@example.org", ["bob@example.net", "c@example.org"]),
        (
            '"Keller, Maria" <m@example.com>; z@example.com\nq@example.com',
            ["m@example.com", "z@example.com", "q@example.com"],
        ),
        ("Bob Smith <bob@example.net> bob@example.net", ["bob@example.net"]),
    ],
)
def test_addresses_are_taken_as_mail_programs_copy_them(pasted, addresses):
    assert outbox.recipients_clean(pasted) == addresses


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


def test_the_first_email_to_a_recipient_carries_the_senders_message_and_name(
    django_capture_on_commit_callbacks,
):
    share = ShareFactory(owner__first_name="Ada", owner__last_name="Owner")
    colleague = UserFactory(first_name="Maria", last_name="Keller")
    with django_capture_on_commit_callbacks(execute=True):
        outbox.share_send_link(
            share=share, recipients="ann@example.org", message="Q3, as promised", sender=colleague
        )
    row = Delivery.objects.get()
    assert (row.message, row.sender) == ("Q3, as promised", colleague)
    (email,) = mail.outbox
    assert email.subject == "Maria Keller shared a file with you: figures.pdf"
    assert "Message from Maria Keller:\n\nQ3, as promised" in email.body


def test_a_link_sent_without_a_message_has_none(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        outbox.share_send_link(share=ShareFactory(), recipients="ann@example.org")
    assert Delivery.objects.get().message == ""
    assert "Message from" not in mail.outbox[0].body


def test_sending_again_to_a_failed_recipient_starts_its_attempts_afresh(
    flaky, settings, django_capture_on_commit_callbacks
):
    settings.SHARELINKS_EMAIL_MAX_ATTEMPTS = 1
    flaky.append(TimeoutError("timed out"))
    share = ShareFactory()
    with django_capture_on_commit_callbacks(execute=True):
        send_link(share)
    failed = Delivery.objects.get()
    assert (failed.status, failed.attempts) == (DeliveryStatus.FAILED, 1)
    with django_capture_on_commit_callbacks(execute=False):
        (row,) = send_link(share, message="again")
    row.refresh_from_db()
    assert (row.pk, row.status, row.attempts, row.last_error) == (
        failed.pk,
        DeliveryStatus.PENDING,
        0,
        "",
    )
    assert (row.claimed_at, row.sent_at) == (None, None)
    assert outbox.delivery_send(delivery_id=row.pk) is None
    row.refresh_from_db()
    assert (row.status, row.attempts, len(mail.outbox)) == (DeliveryStatus.SENT, 1, 1)


def test_a_sent_email_records_when_it_was_sent():
    row = link_row()
    outbox.delivery_send(delivery_id=row.pk)
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SENT
    assert timezone.now() - timedelta(minutes=1) < row.sent_at <= timezone.now()
    assert row.last_error == ""


def test_a_permanent_refusal_keeps_the_servers_answer_on_the_row(flaky):
    flaky.append(smtplib.SMTPRecipientsRefused({"ann@example.org": (550, b"no such user")}))
    row = link_row()
    outbox.delivery_send(delivery_id=row.pk)
    row.refresh_from_db()
    assert row.status == DeliveryStatus.FAILED
    assert row.last_error == ("SMTPRecipientsRefused: {'ann@example.org': (550, b'no such user')}")


def test_a_retried_email_is_unclaimed_and_keeps_the_error_cut_to_2000_characters(flaky):
    flaky.append(smtplib.SMTPDataError(451, "x" * 5000))
    row = link_row()
    outbox.delivery_send(delivery_id=row.pk)
    row.refresh_from_db()
    assert (row.status, row.claimed_at) == (DeliveryStatus.PENDING, None)
    assert len(row.last_error) == 2000
    assert row.last_error.startswith("SMTPDataError: (451, 'xxx")


def test_an_email_that_cannot_be_built_fails_at_once_naming_the_error(settings):
    settings.SHARELINKS_BASE_URL = ""
    row = link_row()
    with pytest.raises(ImproperlyConfigured):
        outbox.delivery_send(delivery_id=row.pk)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, 1)
    assert row.last_error.startswith("ImproperlyConfigured: SHARELINKS_BASE_URL")


def test_finishing_a_send_marks_only_its_own_row_even_claimed_in_the_same_instant():
    with time_machine.travel(timezone.now(), tick=False):
        row, other = link_row(), link_row()
        Delivery.objects.filter(pk=other.pk).update(
            status=DeliveryStatus.SENDING, claimed_at=timezone.now(), attempts=1
        )
        outbox.delivery_send(delivery_id=row.pk)
    other.refresh_from_db()
    assert (other.status, other.sent_at) == (DeliveryStatus.SENDING, None)


def test_naming_nobody_is_refused_before_anything_is_queued():
    with pytest.raises(ValidationError) as caught:
        send_link(ShareFactory(), " ,; \n")
    assert (caught.value.code, caught.value.messages) == (
        "no_recipient",
        ["Name at least one recipient."],
    )
    assert not Delivery.objects.exists()


def test_a_bad_address_is_named_in_the_whole_message():
    with pytest.raises(ValidationError) as caught:
        outbox.recipients_clean("ann@example.org, not-an-address; bob@")
    assert caught.value.messages == ["Not a valid email address: not-an-address, bob@"]


def test_a_repeated_address_is_dropped_and_the_ones_after_it_kept():
    pasted = "ann@example.org, ann@EXAMPLE.org, bob@example.org"
    assert outbox.recipients_clean(pasted) == ["ann@example.org", "bob@example.org"]


def test_one_send_names_at_most_max_recipients(settings):
    settings.SHARELINKS_MAX_RECIPIENTS = 3
    three = [f"r{n}@example.org" for n in range(3)]
    assert outbox.recipients_clean(three) == three
    with pytest.raises(ValidationError) as caught:
        outbox.recipients_clean([*three, "r3@example.org"])
    assert (caught.value.code, caught.value.messages) == (
        "too_many_recipients",
        ["Send to at most 3 addresses at once."],
    )


def test_the_sweeper_publishes_at_most_500_rows_a_run(monkeypatch):
    share = ShareFactory()
    overdue = timezone.now() - timedelta(hours=1)
    Delivery.objects.bulk_create(
        Delivery(share=share, kind=DeliveryKind.LINK, recipient=f"r{n}@example.org", due_at=overdue)
        for n in range(501)
    )
    published = []
    monkeypatch.setattr(
        tasks.delivery_send, "apply_async", lambda args, **kw: published.append(args[0])
    )
    assert outbox.deliveries_sweep() == 500
    assert len(published) == 500
    assert outbox.deliveries_sweep() == 1  # the one left; the 500 wait their interval


def test_the_owners_download_email_says_when_from_where_and_with_what(
    client, django_capture_on_commit_callbacks
):
    share = ShareFactory(notify_downloads=NotifyDownloads.EVERY, owner__email="ada@corp.example")
    with (
        time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=UTC), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        download(client, share.path, REMOTE_ADDR="203.0.113.77", HTTP_USER_AGENT="Mail/1.0")
    (email,) = mail.outbox
    assert (
        "Someone downloaded figures.pdf on March 2, 2026 10:00 UTC from the network 203.0.113.0."
    ) in email.body
    assert "Browser: Mail/1.0" in email.body
    assert Delivery.objects.get().click == share.clicks.get(outcome="redirected")


def test_a_sent_email_is_never_sent_again_however_long_ago_it_was_claimed():
    row = link_row()
    outbox.delivery_send(delivery_id=row.pk)
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        assert outbox.delivery_send(delivery_id=row.pk) is None
        assert outbox.deliveries_sweep(older_than=timedelta(0)) == 0
    row.refresh_from_db()
    assert (row.status, row.attempts, len(mail.outbox)) == (DeliveryStatus.SENT, 1, 1)


def test_the_first_download_email_leaves_at_the_first_download(
    client, django_capture_on_commit_callbacks
):
    share = ShareFactory(notify_downloads=NotifyDownloads.FIRST)
    with django_capture_on_commit_callbacks(execute=True):
        assert download(client, share.path).status_code == 303
    assert [d.kind for d in Delivery.objects.all()] == [DeliveryKind.FIRST_DOWNLOAD]
    assert len(mail.outbox) == 1


def test_an_inactive_share_is_refused_with_its_status_named():
    with pytest.raises(ValidationError) as caught:
        send_link(ShareFactory(revoked_at=timezone.now()))
    assert (caught.value.code, caught.value.messages) == (
        "share_inactive",
        ["This share is revoked: its link would not work."],
    )


def test_an_email_sent_after_a_failed_attempt_no_longer_shows_the_error(flaky):
    flaky.append(smtplib.SMTPServerDisconnected("Connection unexpectedly closed"))
    row = link_row()
    assert outbox.delivery_send(delivery_id=row.pk) is not None
    assert outbox.delivery_send(delivery_id=row.pk) is None
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.SENT, 2, "")
