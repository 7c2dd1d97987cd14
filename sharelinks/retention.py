"""Uploaded files do not outlive their purpose: when the app deletes them, and the job that does.

A file staff uploaded through the app exists only to be shared. Once every share of it
has ended (expired, revoked or used up) and SHARELINKS_UPLOAD_RETENTION has passed, the
object is deleted from the bucket. Until then staff may still extend or reinstate a share
and the file is there. Never deleted:
- an object any share names by key (staff pointed at it; it is theirs, not the app's);
- an object while any share of it is active, or ended less than the retention ago.
The decision is made again on the locked rows right before the DELETE, so an extension
that lands while the job runs either waits for it or keeps the file.
"""

import logging
from dataclasses import asdict, dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Case, Exists, F, Max, OuterRef, Q, When
from django.utils import timezone

from sharelinks import aws
from sharelinks.conf import app_settings
from sharelinks.models import Share

logger = logging.getLogger(__name__)

PURGE_BATCH = 200


@dataclass(frozen=True)
class FileFate:
    """What will happen to a share's file. kind: "kept" (never deleted by the app),
    "deleted" (at `when`), "waiting" (a share of it can still serve it; `when` is the
    deletion if nothing changes) or "due" (deleted at `when`, unless a share comes back)."""

    kind: str
    when: datetime | None = None


def file_fate(share: Share, *, now: datetime | None = None) -> FileFate:
    """When the app will delete the share's file, judged over every share of the object."""
    now = now or timezone.now()
    if share.file_deleted_at is not None:
        return FileFate("deleted", share.file_deleted_at)
    if not share.uploaded:
        return FileFate("kept")
    siblings = list(Share.objects.filter(bucket=share.bucket, key=share.key))
    if any(not sibling.uploaded for sibling in siblings):
        return FileFate("kept")
    retention = app_settings.UPLOAD_RETENTION
    ends = [sibling.ended_at(now) for sibling in siblings]
    if any(end is None for end in ends):
        last = max(sibling.expires_at for sibling in siblings)
        return FileFate("waiting", last + retention)
    return FileFate("due", max(ends) + retention)


def share_ended_sql() -> Case:
    """A share's end in SQL, as Share.ended_at says it; an active share's is its expiry,
    still ahead, so "ended before" a past moment never picks an active share."""
    expired_or_revoked = Case(
        When(Q(revoked_at__lt=F("expires_at")), then=F("revoked_at")), default=F("expires_at")
    )
    used_up = Q(
        max_downloads__isnull=False,
        download_count__gte=F("max_downloads"),
        last_download_at__lt=expired_or_revoked,
    )
    return Case(When(used_up, then=F("last_download_at")), default=expired_or_revoked)


def _due_objects(now: datetime, limit: int) -> list[tuple[str, str]]:
    """(bucket, key) of uploads whose every share ended a retention ago, oldest first.

    An active share's end is its expiry, still ahead, so its object never qualifies.
    """
    by_key = Share.objects.filter(bucket=OuterRef("bucket"), key=OuterRef("key"), uploaded=False)
    due = (
        Share.objects.filter(uploaded=True, file_deleted_at__isnull=True)
        .exclude(Exists(by_key))
        .values("bucket", "key")
        .annotate(last_end=Max(share_ended_sql()))
        .filter(last_end__lte=now - app_settings.UPLOAD_RETENTION)
        .order_by("last_end")
    )
    return [(row["bucket"], row["key"]) for row in due[:limit]]


@dataclass
class PurgeReport:
    """What one run of the upload purge did."""

    deleted: int = 0
    kept: int = 0
    errors: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def uploads_purge(*, now: datetime | None = None, limit: int = PURGE_BATCH) -> PurgeReport:
    """Delete uploaded files past their retention, at most `limit` per run; safe to run twice.

    S3 refusing one DELETE skips that object (the next run tries again); S3 unreachable
    stops the run, since every other object would fail the same way.
    """
    now = now or timezone.now()
    report = PurgeReport()
    for bucket, key in _due_objects(now, limit):
        try:
            deleted = _purge_one(bucket, key, now)
        except aws.StorageUnavailable as err:
            logger.error("upload purge stopped: %s", err)
            report.errors += 1
            break
        except aws.StorageError as err:
            logger.warning("upload purge: s3://%s/%s not deleted: %s", bucket, key, err)
            report.errors += 1
            continue
        report.deleted += deleted
        report.kept += not deleted
    if report.deleted or report.errors:
        logger.info("upload purge: %s", report)
    return report


def _purge_one(bucket: str, key: str, now: datetime) -> bool:
    """Decide again on the locked rows, delete the object, mark its shares; True if deleted."""
    cutoff = now - app_settings.UPLOAD_RETENTION
    with transaction.atomic():
        rows = list(Share.objects.select_for_update().filter(bucket=bucket, key=key))
        ends = [row.ended_at(now) for row in rows]
        if not rows or any(not row.uploaded for row in rows):
            return False
        if any(end is None or end > cutoff for end in ends):
            return False  # extended or reinstated since the query: the file stays
        aws.object_delete(bucket=bucket, key=key)
        Share.objects.filter(pk__in=[row.pk for row in rows]).update(file_deleted_at=now)
    logger.info("s3://%s/%s deleted: its last share ended %s", bucket, key, max(ends))
    return True
