"""The email outbox: a row written with the change that causes it, sent once by a task.

Writing the row in the caller's transaction and publishing the task only on commit means an
email exists exactly when its cause does. The broker is a doorbell, not the record: if it is
down the row stays pending and the sweeper rings again; if it rings twice, the atomic claim
lets one task send and the other find nothing to do.
"""

import contextlib
import logging
import smtplib
from collections.abc import Sequence
from datetime import datetime, timedelta
from operator import attrgetter
from typing import NamedTuple

from celery.exceptions import SoftTimeLimitExceeded
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from sharelinks.conf import app_settings
from sharelinks.mail import messages, retry
from sharelinks.mail.dispatch import deliveries_dispatch, deliveries_publish
from sharelinks.mail.handoff import deliveries_hand_off
from sharelinks.models import (
    Click,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    NotifyDownloads,
    Recipient,
    Share,
)

logger = logging.getLogger(__name__)

# A claim older than this belongs to a worker that died mid-send (the task's hard time
# limit, CELERY_TASK_TIME_LIMIT, is shorter), so the row may be taken again while it has
# attempts left. Whether that worker's SMTP server had already accepted the message is
# unknown: taking the row again may repeat an email, never lose one.
CLAIM_LEASE = timedelta(minutes=10)
# A batch's rows are marked sent this many at a time: a process killed mid-batch repeats at
# most these (at least once, never lost), and each mark is a commit that waits for disk.
MARK_EVERY = 20
LAPSED_ERROR = "outcome unknown: the worker stopped while sending"
# Errors that pass: the network, the mail server, or a send that ran into the task's soft
# time limit (a slow server today is not a broken address).
PASSING_ERRORS = (smtplib.SMTPException, OSError, SoftTimeLimitExceeded)


def download_notify(
    *, share: Share, click: Click, first: bool, person: Recipient | None = None
) -> Delivery | None:
    """Queue the owner's download email for a counted click, inside the click's transaction.

    Only a row and, on commit, a hand-off to the mail thread (mail.handoff): the click
    never waits for mail. "First download" is once per person (or once for the general
    link) by a unique constraint, so two racing first clicks queue one email. `first` is
    the person's first when there is one.
    """
    mode = share.notify_downloads
    if mode == NotifyDownloads.NEVER or (mode == NotifyDownloads.FIRST and not first):
        return None
    kind = DeliveryKind.FIRST_DOWNLOAD if mode == NotifyDownloads.FIRST else DeliveryKind.DOWNLOAD
    return _owner_queue(share, kind, click=click, person=person, publish=deliveries_hand_off)


def owner_notify(
    *, share: Share, kind: DeliveryKind, person: Recipient | None = None
) -> Delivery | None:
    """Queue an email to the owner (reminder, missing file, a forwarded personal link);
    None if one of a once-only kind was queued before."""
    return _owner_queue(share, kind, person=person)


def _owner_queue(
    share: Share,
    kind: DeliveryKind,
    click: Click | None = None,
    person: Recipient | None = None,
    publish=deliveries_dispatch,
) -> Delivery | None:
    if not share.owner.email:
        logger.info("share %s: owner has no email address, no %s email", share.pk, kind)
        return None
    try:
        with transaction.atomic():  # a savepoint: losing the race must not undo the caller
            row = Delivery.objects.create(
                share=share, kind=kind, recipient=share.owner.email, click=click, person=person
            )
    except IntegrityError:
        return None
    publish([row.pk])
    return row


class _Claimed(NamedTuple):
    """A row this call claimed: what grouping it and judging its send need, no more."""

    pk: int
    kind: str
    recipient: str
    attempts: int
    claimed_at: datetime


def delivery_send(*, delivery_id: int) -> float | None:
    """Claim one row and send it; return seconds until a retry, or None when done."""
    return deliveries_send(delivery_ids=[delivery_id]).get(delivery_id)


def deliveries_send(*, delivery_ids: Sequence[int]) -> dict[int, float | None]:
    """Claim the rows and send each over one connection to the mail server; for each row
    this call claimed, the seconds until its retry, or None when it is done.

    The claim is one conditional UPDATE (pending, or sending with a lapsed lease and
    attempts left, becomes sending, stamped with this claim's time), so of two calls for the
    same row exactly one sends. The stamp is the claim's token: the rows are read and
    marked by id and stamp, and "pending" is asked as "no stamp" (a check constraint keeps
    the two one), never through the status index. That index holds an entry for every
    version a row has had until vacuum removes the dead ones, and a query that combines it
    with the ids reads them all: under a burst of first downloads, thousands per claim.

    A batch costs four statements and two commits -- the claim, one query for the claimed
    rows' kinds and addresses, one for the rows the messages tell of (_told_of), one
    UPDATE for those sent (each MARK_EVERY of them) -- where a row at a time cost as many
    for each email. Download emails to one address become one digest
    (messages.sending_units). Each message is still sent and judged on its own: one that
    fails keeps none of the others back. An error that retrying cannot help (a bug, a
    misconfiguration) fails its rows and is raised once the others are done.
    """
    now = timezone.now()
    claimable = Q(claimed_at__isnull=True) | _lapsed(now, attempts_left=True)
    claimed = (
        Delivery.objects.filter(pk__any=delivery_ids)
        .filter(claimable)
        .update(status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )
    rows: list[_Claimed] = []
    if claimed:
        rows = [
            _Claimed(*row, claimed_at=now)
            for row in Delivery.objects.filter(pk__any=delivery_ids, claimed_at=now)
            .order_by("pk")
            .values_list("pk", "kind", "recipient", "attempts")
        ]
    if len(rows) < len(delivery_ids):
        others = sorted(set(delivery_ids) - {row.pk for row in rows})
        logger.info("emails %s: already sent, failed or being sent; nothing to do", others)
    units = messages.sending_units(rows, attrgetter("kind"), attrgetter("recipient"))
    outcome: dict[int, float | None] = {}
    sent: list[int] = []
    broken: Exception | None = None
    connection = get_connection()
    try:
        for unit, shown in zip(units, _told_of(units), strict=True):
            try:
                message = _message(unit, shown)
                if message is None:
                    outcome.update((row.pk, None) for row in unit)
                    continue
                message.connection = connection
                message.send()
            except PASSING_ERRORS as err:
                _quietly_closed(connection)  # the next message opens a session of its own
                outcome.update((row.pk, _send_failed(row, err)) for row in unit)
            except Exception as err:  # a bug or a misconfiguration: retrying cannot help
                error = f"{type(err).__name__}: {err}"
                for row in unit:
                    _mark(row, status=DeliveryStatus.FAILED, last_error=error)
                logger.error("emails %s failed for good: %s", [row.pk for row in unit], error)
                broken = broken or err
            else:
                outcome.update((row.pk, None) for row in unit)
                sent += [row.pk for row in unit]
                if len(sent) >= MARK_EVERY:
                    _mark_sent(sent, claimed_at=now)
                    sent = []
    finally:  # a QUIT the server refuses must not keep the messages it took from being marked
        _quietly_closed(connection)
    _mark_sent(sent, claimed_at=now)
    if broken is not None:
        raise broken
    return outcome


def _told_of(units: list[list[_Claimed]]) -> list[list[Delivery]]:
    """For each unit, the rows its message tells of, as instances with what the templates
    read: an email's own row, a digest's first DIGEST_SHOWN (the rest are only counted),
    less any deleted since the claim. A burst of hundreds of downloads then builds ten
    rows' instances, not hundreds."""
    told = [unit[: messages.DIGEST_SHOWN] for unit in units]
    ids = [row.pk for rows in told for row in rows]
    related = Delivery.objects.select_related("share__owner", "sender", "click", "person")
    found = related.in_bulk(ids)  # no query for no ids
    return [[found[row.pk] for row in rows if row.pk in found] for rows in told]


def _message(unit: list[_Claimed], shown: list[Delivery]) -> EmailMultiAlternatives | None:
    """The email a unit of sending_units becomes, telling of `shown` (_told_of); None when
    its rows were deleted since the claim (their share with them), which leaves nothing to
    send or mark."""
    if not shown:
        logger.info("emails %s: deleted before they were sent", [row.pk for row in unit])
        return None
    if len(unit) == 1:
        return messages.message_for(shown[0])
    return messages.digest_for(shown, total=len(unit), last_id=unit[-1].pk)


def _quietly_closed(connection) -> None:
    with contextlib.suppress(*PASSING_ERRORS):
        connection.close()


def _send_failed(delivery: _Claimed, err: Exception) -> float | None:
    error = f"{type(err).__name__}: {err}"[:2000]
    if retry.is_permanent(err) or delivery.attempts >= app_settings.EMAIL_MAX_ATTEMPTS:
        logger.error(
            "email %s failed for good after %s attempts: %s", delivery.pk, delivery.attempts, error
        )
        _mark(delivery, status=DeliveryStatus.FAILED, last_error=error)
        return None
    delay = retry.delay_for(delivery.attempts)
    logger.warning(
        "email %s: attempt %s failed, retry in %.0fs: %s",
        delivery.pk,
        delivery.attempts,
        delay,
        error,
    )
    _mark(
        delivery,
        status=DeliveryStatus.PENDING,
        last_error=error,
        claimed_at=None,
        due_at=timezone.now() + timedelta(seconds=delay),
    )
    return delay


def _mark_sent(ids: list[int], *, claimed_at: datetime) -> None:
    """As _mark, for rows of one claim at once (none: nothing to do)."""
    if ids:
        Delivery.objects.filter(pk__any=ids, claimed_at=claimed_at).update(
            status=DeliveryStatus.SENT, sent_at=timezone.now(), last_error=""
        )
        logger.info("emails %s sent", ids)


def _lapsed(now: datetime, *, attempts_left: bool) -> Q:
    """Rows claimed by a worker that died: with attempts left they may be taken again."""
    lapsed = Q(status=DeliveryStatus.SENDING, claimed_at__lt=now - CLAIM_LEASE)
    max_attempts = app_settings.EMAIL_MAX_ATTEMPTS
    if attempts_left:
        return lapsed & Q(attempts__lt=max_attempts)
    return lapsed & Q(attempts__gte=max_attempts)


def _mark(delivery: _Claimed, **fields) -> None:
    # Only while our claim holds: a row taken over after a lapsed lease has the new owner's
    # stamp. A row the sweeper failed meanwhile (lapsed, no attempts left) keeps ours, and
    # then says what this send did, which the sweeper could not know.
    Delivery.objects.filter(pk=delivery.pk, claimed_at=delivery.claimed_at).update(**fields)


def deliveries_sweep(*, older_than: timedelta | None = None, limit: int = 500) -> int:
    """Publish again the rows nobody is working on: pending past due, or claims that lapsed.

    Each row published has its due time moved to now in the same step, so during a backlog
    a row goes on the queue again at most once per OUTBOX_SWEEP_AFTER, not on every run.
    A lapsed claim without attempts left is failed: its worker may or may not have handed
    the message over, and trying again forever would repeat it forever.
    """
    now = timezone.now()
    if older_than is None:
        older_than = timedelta(seconds=app_settings.OUTBOX_SWEEP_AFTER)
    exhausted = Delivery.objects.filter(_lapsed(now, attempts_left=False)).update(
        status=DeliveryStatus.FAILED, last_error=LAPSED_ERROR
    )
    if exhausted:
        logger.error("sweeper: %d emails failed: %s", exhausted, LAPSED_ERROR)
    stuck = Q(due_at__lte=now - older_than) & (
        Q(status=DeliveryStatus.PENDING) | _lapsed(now, attempts_left=True)
    )
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(stuck)
            .order_by("due_at")
            .values_list("pk", flat=True)[:limit]
        )
        Delivery.objects.filter(pk__any=ids).update(due_at=now)
    if ids:
        logger.info("sweeper: publishing %d pending emails again", len(ids))
        deliveries_publish(ids)
    return len(ids)
