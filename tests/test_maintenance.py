"""Periodic upkeep: expiry reminders once, click retention in batches, the broken-share check."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from sharelinks import aws, maintenance, people
from sharelinks.models import Click, ClickOutcome, Delivery, DeliveryKind, Recipient, Share
from tests.factories import ShareFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def listing_refused(monkeypatch):
    """A role without s3:ListBucket: the survey cannot list, so the check HEADs each share.

    The emulator grants every request, so the refusal is made at the one seam to AWS, in
    the words the real 403 gets there.
    """

    def refuse(*, bucket, prefix=""):
        raise aws.StorageError(
            f"s3://{bucket}: listing refused (the credentials lack s3:ListBucket)"
        )
        yield  # a generator, like the real one

    monkeypatch.setattr(aws, "object_keys", refuse)


def test_the_owner_is_reminded_once_a_day_before_expiry(on_commit):
    now = timezone.now()
    soon = ShareFactory(created_at=now - timedelta(days=6), expires_at=now + timedelta(hours=20))
    ShareFactory(created_at=now - timedelta(days=1), expires_at=now + timedelta(days=5))
    ShareFactory(created_at=now - timedelta(hours=1), expires_at=now + timedelta(hours=5))
    assert on_commit(maintenance.expiry_reminders_queue) == 1
    assert on_commit(maintenance.expiry_reminders_queue) == 0
    (message,) = mail.outbox
    assert message.to == [soon.owner.email]
    assert "expires soon" in message.subject


def test_clicks_past_retention_are_deleted_in_batches(settings):
    settings.SHARELINKS_CLICK_PURGE_BATCH = 2
    share = ShareFactory()
    old = timezone.now() - timedelta(days=91)
    for _ in range(5):
        Click.objects.create(share=share, outcome=ClickOutcome.REDIRECTED, at=old)
    recent = Click.objects.create(share=share, outcome=ClickOutcome.REDIRECTED)
    assert maintenance.clicks_purge() == 5
    assert list(Click.objects.all()) == [recent]


def test_a_purge_out_of_time_stops_between_batches_and_the_next_run_goes_on(settings):
    settings.SHARELINKS_CLICK_PURGE_BATCH = 2
    share = ShareFactory()
    old = timezone.now() - timedelta(days=91)
    for _ in range(5):
        Click.objects.create(share=share, outcome=ClickOutcome.REDIRECTED, at=old)
    clock = iter(range(0, 1000, 60)).__next__  # each batch takes a minute
    assert maintenance.clicks_purge(budget=90, clock=clock) == 4
    assert maintenance.clicks_purge(budget=90, clock=clock) == 1
    assert not Click.objects.exists()


def test_a_missing_object_flags_the_share_tells_the_owner_once_and_clears_when_back(
    on_commit, s3_client
):
    share = ShareFactory()
    ShareFactory()
    s3_client.delete_object(Bucket=share.bucket, Key=share.key)
    report = on_commit(maintenance.objects_check, sleep=lambda seconds: None)
    assert (report.checked, report.missing) == (2, 1)
    share.refresh_from_db()
    assert share.missing_since is not None
    assert on_commit(maintenance.objects_check, sleep=lambda seconds: None).missing == 0
    assert [m.subject for m in mail.outbox] == [
        "The file behind your link to figures.pdf is missing"
    ]
    s3_client.put_object(Bucket=share.bucket, Key=share.key, Body=b"back")
    assert maintenance.objects_check(sleep=lambda seconds: None).restored == 1
    share.refresh_from_db()
    assert share.missing_since is None


class FakeTime:
    """A monotonic clock that moves only when slept on or told to: no test waits really."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


@pytest.mark.usefixtures("listing_refused")
def test_the_check_is_rate_limited_and_batched():
    for _ in range(4):
        ShareFactory()
    fake = FakeTime()
    report = maintenance.objects_check(limit=3, rate=2.0, sleep=fake.sleep, clock=fake.clock)
    assert report.checked == 3
    # three HEADs at 2 per second: at 0, 0.5 and 1 s from the start
    assert fake.waits == [0.0, 0.5, 0.5]


@pytest.mark.usefixtures("listing_refused")
def test_the_rate_counts_the_time_a_head_takes_and_never_waits_to_catch_up(monkeypatch):
    for _ in range(4):
        ShareFactory()
    fake = FakeTime()
    real_head = aws.object_head
    head_takes = iter([0.25, 0.75, 0.0, 0.0])

    def slow_head(**kwargs):
        fake.now += next(head_takes)
        return real_head(**kwargs)

    monkeypatch.setattr(aws, "object_head", slow_head)
    maintenance.objects_check(limit=4, rate=2.0, sleep=fake.sleep, clock=fake.clock)
    # HEADs due at 0, 0.5, 1.0 and 1.5 s. The first takes 0.25 s: wait the rest of the
    # interval. The second ends at 1.25 s: the third is late and goes at once, and the
    # fourth waits for its own slot, not for a full interval after the late one.
    assert fake.waits == [0.0, 0.25, 0.0, 0.25]


@pytest.mark.usefixtures("listing_refused")
def test_the_check_stops_when_s3_is_unreachable(monkeypatch):
    ShareFactory()

    def unreachable(**kwargs):
        raise aws.StorageUnavailable("connection refused")

    monkeypatch.setattr(aws, "object_head", unreachable)
    report = maintenance.objects_check(sleep=lambda seconds: None)
    assert (report.checked, report.missing) == (0, 0)


def refused(monkeypatch, prefix: str) -> None:
    """S3 answers 403 for the keys under prefix (no permission), and normally otherwise."""
    real_head = aws.object_head

    def head(*, bucket, key, background=False):
        if key.startswith(prefix):
            raise aws.StorageError(f"s3://{bucket}/{key}: access denied")
        return real_head(bucket=bucket, key=key, background=background)

    monkeypatch.setattr(aws, "object_head", head)


@pytest.mark.usefixtures("listing_refused")
def test_shares_whose_head_fails_go_to_the_back_of_the_line(monkeypatch):
    denied = [ShareFactory(key=f"denied/{n}.pdf") for n in range(3)]
    healthy = ShareFactory(key="ok/file.pdf")
    Share.objects.filter(pk=healthy.pk).update(object_checked_at=timezone.now() - timedelta(days=1))
    refused(monkeypatch, "denied/")
    first = maintenance.objects_check(limit=len(denied), sleep=lambda seconds: None)
    second = maintenance.objects_check(limit=len(denied), sleep=lambda seconds: None)
    assert (first.errors, second.checked) == (3, 1)
    healthy.refresh_from_db()
    assert healthy.object_checked_at > timezone.now() - timedelta(minutes=1)


@pytest.mark.usefixtures("listing_refused")
def test_the_check_stops_after_ten_storage_errors_in_a_row(monkeypatch):
    for n in range(12):
        ShareFactory(key=f"denied/{n}.pdf")
    refused(monkeypatch, "denied/")
    report = maintenance.objects_check(sleep=lambda seconds: None)
    assert (report.errors, report.checked) == (maintenance.CHECK_ERRORS_IN_A_ROW, 0)


def test_a_click_on_a_broken_share_gets_a_no_longer_available_page(client):
    share = ShareFactory(missing_since=timezone.now(), body=False)
    response = client.get(share.path)
    assert response.status_code == 410
    assert b"no longer available" in response.content
    assert client.head(share.path).status_code == 410
    assert share.clicks.get().outcome == ClickOutcome.MISSING
    share.refresh_from_db()
    assert share.download_count == 0


def test_the_maintenance_command_runs_every_job(capsys, on_commit):
    share = ShareFactory(
        created_at=timezone.now() - timedelta(days=6),
        expires_at=timezone.now() + timedelta(hours=2),
    )
    on_commit(call_command, "maintenance", "all")
    out = capsys.readouterr().out
    assert "remind-expiring: 1 reminders queued" in out
    assert "check-objects: 1 checked, 0 missing" in out
    assert Delivery.objects.get(share=share).kind == DeliveryKind.EXPIRY_REMINDER


def test_beat_schedules_are_registered_for_every_job():
    from django_celery_beat.models import PeriodicTask

    registered = set(PeriodicTask.objects.values_list("task", flat=True))
    assert {
        "sharelinks.tasks.outbox_sweep",
        "sharelinks.tasks.expiry_reminders_queue",
        "sharelinks.tasks.objects_check",
        "sharelinks.tasks.clicks_purge",
        "sharelinks.tasks.uploads_purge",
        "sharelinks.tasks.counters_purge",
    } <= registered


def test_spent_throttle_counters_are_deleted(settings):
    from sharelinks.models import ThrottleCounter

    settings.SHARELINKS_LOGIN_FAILURE_WINDOW = 900
    settings.SHARELINKS_PASSWORD_FAILURE_WINDOW = 600
    now = timezone.now()
    ThrottleCounter.objects.create(key="login:spent", window_start=now - timedelta(seconds=901))
    ThrottleCounter.objects.create(key="login:live", window_start=now - timedelta(seconds=899))
    assert maintenance.counters_purge(now=now) == 1
    assert list(ThrottleCounter.objects.values_list("key", flat=True)) == ["login:live"]


def test_registering_the_jobs_tells_a_running_beat_to_reload():
    from django_celery_beat.models import PeriodicTasks

    assert PeriodicTasks.last_change() is not None


def test_the_people_of_a_share_go_with_its_last_click_rows(settings):
    """A person's name, address and networks are kept as long as the share's click data:
    the nightly purge that deletes its last click rows erases them; the counts stay."""
    now = timezone.now()
    long_ago = now - timedelta(days=120)
    ended = ShareFactory(created_at=long_ago, expires_at=now - timedelta(days=100))
    sato, _ = people.person_add(share=ended, address="sato@example.jp", name="Sato Ken")
    Recipient.objects.filter(pk=sato.pk).update(download_count=2, networks={"192.0.2.0": "x"})
    Click.objects.create(share=ended, recipient=sato, outcome=ClickOutcome.REDIRECTED,
                         at=long_ago)  # fmt: skip
    # Still active, or ended lately, or clicked within the retention: kept.
    active = ShareFactory()
    ito, _ = people.person_add(share=active, address="ito@example.jp", name="Ito Yui")
    recent = ShareFactory(created_at=long_ago, expires_at=now - timedelta(days=10))
    ken, _ = people.person_add(share=recent, address="ken@example.jp", name="Ken")
    clicked = ShareFactory(created_at=long_ago, expires_at=now - timedelta(days=100))
    yui, _ = people.person_add(share=clicked, address="yui@example.jp", name="Yui")
    Click.objects.create(share=clicked, outcome=ClickOutcome.EXPIRED, at=now - timedelta(days=3))

    assert maintenance.clicks_purge() == 1

    sato.refresh_from_db()
    assert (sato.name, sato.address, sato.networks) == ("", f"erased-{sato.pk}@invalid", {})
    assert sato.download_count == 2
    for kept in (ito, ken, yui):
        kept.refresh_from_db()
        assert not kept.address.endswith("@invalid"), kept.name
    assert maintenance.people_forget(cutoff=now - timedelta(days=90)) == 0  # done once


def test_the_emails_to_a_forgotten_person_lose_their_address_too():
    now = timezone.now()
    share = ShareFactory(created_at=now - timedelta(days=120), expires_at=now - timedelta(days=100))
    sato, _ = people.person_add(share=share, address="sato@example.jp", name="Sato Ken")
    to_sato = Delivery.objects.create(share=share, kind=DeliveryKind.LINK, person=sato,
                                      recipient=sato.address, recipient_name=sato.name)  # fmt: skip
    to_owner = Delivery.objects.create(share=share, kind=DeliveryKind.FIRST_DOWNLOAD, person=sato,
                                       recipient="owner@example.com")  # fmt: skip

    maintenance.clicks_purge()

    to_sato.refresh_from_db()
    to_owner.refresh_from_db()
    assert (to_sato.recipient, to_sato.recipient_name) == (f"erased-email-{to_sato.pk}@invalid", "")
    assert to_owner.recipient == "owner@example.com"
