"""Whether a share's file is still in storage, known without asking S3 on a click.

A redirect to a deleted object would show the recipient S3's XML error, so a click must
know the object is there; one HEAD per click would put an S3 round trip on every download.
Instead the survey (run by the broken-share check, every 5 minutes) lists each bucket that
active shares use, 1,000 keys a request, flags the shares whose object it did not find
(telling their owners), clears the flag of objects put back, and records in the database
when the bucket's last complete listing began. A click then trusts, without asking S3:

- the survey, for a share made before its listing began, while that listing is younger
  than VERIFY_OBJECT_CACHE (a deleted file gets its page within one survey interval plus
  one listing);
- the share's own row, when a HEAD saw the object within VERIFY_OBJECT_CACHE (the one made
  when the share was created, a click's, or the HEAD check's where listing is refused).

Anything else is asked with a HEAD, whose answer goes on the row for every process: so
without a survey running (no beat, or no s3:ListBucket) clicks still get the right page.
A share flagged missing is asked about on every click, so a file put back works at once.
"""

import logging
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from sharelinks import aws, shares
from sharelinks.conf import app_settings
from sharelinks.models import SURVEYED_AT, BucketSurvey, Share

logger = logging.getLogger(__name__)


def _trusted(share: Share, now: datetime) -> bool:
    """Whether a recent survey or HEAD vouches for the object (never for a flagged one)."""
    if share.missing_since is not None:
        return False
    fresh = timedelta(seconds=app_settings.VERIFY_OBJECT_CACHE)
    checked = share.object_checked_at
    if checked is not None and now - checked < fresh:
        return True
    surveyed = getattr(share, SURVEYED_AT, None)  # set by links.link_find's lookup
    return surveyed is not None and share.created_at < surveyed and now - surveyed < fresh


def object_present(share: Share, now: datetime | None = None) -> bool:
    """Whether the share's object is in S3: known (see above) or asked with one HEAD.

    Raises aws.StorageUnavailable (the click answers 503, uncounted).
    """
    if not app_settings.VERIFY_OBJECT_ON_CLICK:
        return share.missing_since is None  # as the last check found it
    if _trusted(share, now or timezone.now()):
        return True
    try:
        info = aws.object_head(bucket=share.bucket, key=share.key)
    except aws.StorageUnavailable:
        raise
    except aws.StorageError as err:
        # Refused (403) or odd answers say nothing about the object: S3 decides on the GET.
        logger.warning("share %s: cannot check its object: %s", share.pk, err)
        return True
    shares.share_presence_record(share=share, found=info is not None)
    return info is not None


@dataclass
class SurveyReport:
    """What one survey found."""

    listed: list[str] = field(default_factory=list)  # buckets listed to the end
    unlisted: list[str] = field(default_factory=list)  # listing refused: HEAD their shares
    objects: int = 0
    shares: int = 0
    missing: int = 0
    restored: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def presence_survey(*, now: datetime | None = None) -> SurveyReport:
    """List every bucket that active shares use and record which of their objects exist.

    A bucket whose listing S3 refuses (no s3:ListBucket) is reported as unlisted, for the
    HEAD check to cover; S3 unreachable ends the survey (StorageUnavailable is logged, and
    the buckets not yet listed keep their last survey until it ages out).
    """
    started = now or timezone.now()
    report = SurveyReport()
    buckets = Share.objects.active(started).order_by().values_list("bucket", flat=True).distinct()
    for bucket in sorted(buckets):
        try:
            _survey(bucket, started, report)
        except aws.StorageUnavailable as err:
            logger.error("presence survey stopped: %s", err)
            break
        except aws.StorageError as err:
            logger.warning("presence survey: %s; its shares are HEADed instead", err)
            report.unlisted.append(bucket)
    logger.info("presence survey: %s", report.as_dict())
    return report


def _survey(bucket: str, started: datetime, report: SurveyReport) -> None:
    """List one bucket (under the longest prefix its shares' keys have in common)."""
    keys: dict[str, list[int]] = {}
    active = Share.objects.active(started).filter(bucket=bucket, created_at__lt=started)
    for pk, key in active.values_list("pk", "key").iterator(chunk_size=5000):
        keys.setdefault(key, []).append(pk)
    found: set[str] = set()
    listed = 0
    if keys:  # else every share is newer than the survey: nothing to list
        # S3 prefixes are strings, not paths: "reports/2026-" narrows the listing too.
        prefix = os.path.commonprefix(list(keys))  # noqa: RUF071
        for key in aws.object_keys(bucket=bucket, prefix=prefix):
            listed += 1
            if key in keys:
                found.add(key)
    # Only changes are written: a survey of a healthy bucket updates no share row.
    flagged = active.filter(missing_since__isnull=False).only("pk", "key", "missing_since")
    for share in flagged:
        if share.key in found:
            report.restored += shares.share_presence_record(share=share, found=True) != ""
    gone = [pk for key, pks in keys.items() if key not in found for pk in pks]
    for start in range(0, len(gone), 1000):
        batch = active.filter(pk__in=gone[start : start + 1000], missing_since__isnull=True)
        for share in batch.select_related("owner"):
            report.missing += shares.share_presence_record(share=share, found=False) != ""
    checked = sum(map(len, keys.values()))
    BucketSurvey.objects.update_or_create(
        bucket=bucket,
        defaults={"listed_at": started, "objects_listed": listed, "shares_checked": checked},
    )
    report.listed.append(bucket)
    report.objects += listed
    report.shares += checked
