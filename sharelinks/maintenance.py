"""Periodic upkeep: expiry reminders, click-log retention (and with it the people's
records), the broken-share check, and spent throttle counters (uploads past their
retention: sharelinks.retention).

Each runs from celery beat (sharelinks.tasks) or from `manage.py maintenance` for operators
without beat; each is safe to run twice or concurrently.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from sharelinks import aws, mail, people, presence, shares, throttle
from sharelinks.conf import app_settings
from sharelinks.models import Click, Delivery, DeliveryKind, Recipient, Share
from sharelinks.retention import share_ended_sql

logger = logging.getLogger(__name__)

# This many storage errors in a row (403s, 5xx) stop a check run: S3 is refusing this
# deployment as a whole, and going on would only spend the batch on log lines.
CHECK_ERRORS_IN_A_ROW = 10


def expiry_reminders_queue(*, now: datetime | None = None) -> int:
    """Queue one reminder per active share expiring within EXPIRY_REMINDER; return how many.

    A share that lives no longer than the reminder window is skipped: its owner made it
    knowing when it ends. "Once" is the outbox's unique constraint, not this query.
    """
    now = now or timezone.now()
    window = app_settings.EXPIRY_REMINDER
    reminded = Delivery.objects.filter(kind=DeliveryKind.EXPIRY_REMINDER).values("share_id")
    due = (
        Share.objects.active(now)
        .filter(expires_at__lte=now + window, created_at__lt=F("expires_at") - window)
        .exclude(pk__in=reminded)
        .select_related("owner")
    )
    queued = sum(
        mail.owner_notify(share=share, kind=DeliveryKind.EXPIRY_REMINDER) is not None
        for share in due.iterator()
    )
    if queued:
        logger.info("queued %d expiry reminders", queued)
    return queued


def clicks_purge(
    *,
    now: datetime | None = None,
    budget: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Delete click rows older than CLICK_RETENTION_DAYS, in batches, then erase the people
    of shares whose click data is all gone (people_forget); return how many clicks.

        Batches keep each DELETE (and its lock, its WAL) small, so clicks arriving meanwhile
        are never held up behind one huge statement. After `budget` seconds the run stops
        between batches and the next run goes on: a task must end before its broker gives up
        on it, and a first purge of years of clicks may take longer than that.
    """
    cutoff = (now or timezone.now()) - timedelta(days=app_settings.CLICK_RETENTION_DAYS)
    deleted, started = 0, clock()
    while True:
        if deleted and budget is not None and clock() - started >= budget:
            logger.info("click purge: %ds spent, the next run deletes the rest", budget)
            break
        batch = list(
            Click.objects.filter(at__lt=cutoff)
            .order_by("pk")
            .values_list("pk", flat=True)[: app_settings.CLICK_PURGE_BATCH]
        )
        if not batch:
            break
        Click.objects.filter(pk__in=batch).delete()
        deleted += len(batch)
    if deleted:
        logger.info("deleted %d clicks older than %s", deleted, cutoff)
    people_forget(cutoff=cutoff)
    return deleted


def people_forget(*, cutoff: datetime) -> int:
    """Erase the people (name, address, networks; counts kept) of every share that ended
    before the cutoff and has no click row left; return how many records.

    A person's record is kept as long as the share's click data and no longer: it holds
    what the click rows held (who downloaded, from which networks) and more (a name, an
    address). A share that ended before the cutoff can log no new download, and once its
    last click row is purged nothing about its people is left to show the owner. A run cut
    short by its budget leaves rows behind, and so the people: the next run goes on.
    """
    spent = (
        Share.objects.annotate(ended=share_ended_sql())
        .filter(ended__lt=cutoff)
        .exclude(Exists(Click.objects.filter(share=OuterRef("pk"))))
    )
    due = Recipient.objects.filter(share__in=spent).exclude(
        name="", address__endswith=people.ERASED_DOMAIN, networks={}
    )
    erased = people.people_erase(due)
    if erased:
        logger.info("erased %d people of shares whose clicks are all purged", erased)
    return erased


@dataclass
class CheckReport:
    """What one broken-share check run found: the survey's listing, then the HEADs."""

    checked: int = 0
    missing: int = 0
    restored: int = 0
    errors: int = 0
    listed: list[str] = field(default_factory=list)  # buckets the survey listed
    unlisted: list[str] = field(default_factory=list)  # listing refused: HEADed instead

    def as_dict(self) -> dict:
        return asdict(self)


def objects_check(
    *,
    limit: int | None = None,
    rate: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> CheckReport:
    """Survey the buckets by listing them (sharelinks.presence); HEAD the objects of
    active shares in buckets the survey could not list, least recently checked first,
    rate-limited.

    A missing object flags the share (clicks then get "no longer available") and tells the
    owner once; an object that is back clears the flag. A share whose HEAD fails is still
    marked checked, so it goes to the back of the line instead of starving the others. If
    S3 cannot be reached at all, or refuses CHECK_ERRORS_IN_A_ROW HEADs in a row, the run
    stops: that is an outage or a missing permission, not a thousand broken shares.
    """
    survey = presence.presence_survey()
    report = CheckReport(
        checked=survey.shares,
        missing=survey.missing,
        restored=survey.restored,
        listed=survey.listed,
        unlisted=survey.unlisted,
    )
    limit = limit or app_settings.OBJECT_CHECK_BATCH
    interval = 1 / (rate or app_settings.OBJECT_CHECK_RATE)
    shares = (
        Share.objects.active()
        .exclude(bucket__in=survey.listed)
        .order_by(F("object_checked_at").asc(nulls_first=True), "pk")
        .select_related("owner")[:limit]
    )
    started, in_a_row = clock(), 0
    for index, share in enumerate(shares):
        sleep(max(0.0, started + index * interval - clock()))
        try:
            info = aws.object_head(bucket=share.bucket, key=share.key, background=True)
        except aws.StorageUnavailable as err:
            logger.error("broken-share check stopped: %s", err)
            break
        except aws.StorageError as err:
            in_a_row += 1
            _check_failed(share, err, report)
            if in_a_row >= CHECK_ERRORS_IN_A_ROW:
                logger.error("broken-share check stopped: %d storage errors in a row", in_a_row)
                break
            continue
        in_a_row = 0
        _record(share, found=info is not None, report=report)
    logger.info("broken-share check: %s", report.as_dict())
    return report


def _check_failed(share: Share, err: Exception, report: CheckReport) -> None:
    # Checked, if without an answer: the share waits its turn again like any other.
    logger.warning("share %s: cannot check its object: %s", share.pk, err)
    Share.objects.filter(pk=share.pk).update(object_checked_at=timezone.now())
    report.errors += 1


def _record(share: Share, *, found: bool, report: CheckReport) -> None:
    report.checked += 1
    change = shares.share_presence_record(share=share, found=found)
    report.missing += change == "missing"
    report.restored += change == "restored"


def counters_purge(*, now: datetime | None = None) -> int:
    """Delete throttle counters whose window ended (sign-in and share-password failures).

    Every username anyone types gets its counters, so without this the table would grow
    with each guessing campaign; a counter past its window decides nothing any more.
    """
    window = max(app_settings.LOGIN_FAILURE_WINDOW, app_settings.PASSWORD_FAILURE_WINDOW)
    deleted = throttle.counters_purge(
        older_than=timedelta(seconds=window), now=now or timezone.now()
    )
    if deleted:
        logger.info("deleted %d spent throttle counters", deleted)
    return deleted
