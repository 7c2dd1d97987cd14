"""Answering a click: find the share, record a page view, count a download, sign a URL.

The rules of DESIGN.md's "click, step by step" live here; the view only turns a
ClickResult into a response. A page view (GET, HEAD, a scanner, a prefetch) never counts
and never signs: only the landing page's button (or a direct link) spends a download.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from sharelinks import aws, mail, shares, signing, softcache
from sharelinks.conf import app_settings
from sharelinks.models import Click, ClickOutcome, Share, ShareStatus
from sharelinks.visitors import Visitor

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClickResult:
    """What the view needs to answer: a status, the share if known, a URL if signed."""

    status: ShareStatus | None  # None: no share has this code
    share: Share | None = None
    url: str = ""
    unavailable: bool = False
    missing: bool = False  # no object in storage: 410 "no longer available"
    click: Click | None = None  # the counted download's row (its id goes into the receipt)
    resumed: bool = False


REFUSALS = {
    ShareStatus.EXPIRED: ClickOutcome.EXPIRED,
    ShareStatus.REVOKED: ClickOutcome.REVOKED,
    ShareStatus.EXHAUSTED: ClickOutcome.EXHAUSTED,
}


def share_find(code: str) -> Share | None:
    """The share with this code (and its owner, whom every page names), or None."""
    return Share.objects.select_related("owner").filter(code=code).first()


def click_record(
    *, share: Share, outcome: ClickOutcome, visitor: Visitor, at: datetime | None = None
) -> Click:
    """One row of the click log."""
    return Click.objects.create(
        share=share,
        at=at or timezone.now(),
        outcome=outcome,
        client_ip=visitor.network,
        user_agent=visitor.user_agent,
        scanner=visitor.scanner,
    )


def _object_present(share: Share) -> bool:
    """Whether the share's object is still in S3, asked at most every VERIFY_OBJECT_CACHE s.

    A redirect to a deleted object would show the recipient S3's XML NoSuchKey page; a HEAD
    first turns that into the "no longer available" page (and flags the share for its
    owner), and a file put back works again at once. Only a found object is remembered.
    Raises aws.StorageUnavailable (a 503, uncounted).
    """
    if not app_settings.VERIFY_OBJECT_ON_CLICK:
        return share.missing_since is None  # as the last broken-share check found it
    remembered = f"sharelinks:object-present:{share.pk}"
    if share.missing_since is None and softcache.get(remembered):
        return True
    try:
        info = aws.object_head(bucket=share.bucket, key=share.key)
    except aws.StorageUnavailable:
        raise
    except aws.StorageError as err:
        # Refused (403) or odd answers say nothing about the object: S3 decides on the GET.
        logger.warning("share %s: cannot check its object: %s", share.pk, err)
        return True
    if info is None or share.missing_since is not None:
        # Flag a newly missing object; clear the flag of one put back since the check.
        shares.share_presence_record(share=share, found=info is not None)
    if info is None:
        return False
    softcache.set(remembered, True, app_settings.VERIFY_OBJECT_CACHE)
    return True


def click_look(*, share: Share, now=None) -> ClickResult:
    """What a page view (GET, HEAD) shows, without counting, signing or writing.

    HEAD and GET agree: an active share whose object is gone is "missing" for both.
    """
    status = share.status_at(now or timezone.now())
    if status != ShareStatus.ACTIVE:
        return ClickResult(status=status, share=share)
    try:
        present = _object_present(share)
    except aws.StorageUnavailable:
        return ClickResult(status=status, share=share, unavailable=True)
    return ClickResult(status=status, share=share, missing=not present)


def _signed(share: Share, visitor: Visitor) -> ClickResult | str:
    """A fresh URL for the share's object, or the refusal that a missing object or an
    unreachable storage makes (recorded, uncounted)."""
    status = ShareStatus.ACTIVE
    try:
        if not _object_present(share):
            click_record(share=share, outcome=ClickOutcome.MISSING, visitor=visitor)
            return ClickResult(status=status, share=share, missing=True)
        return signing.download_url(
            bucket=share.bucket,
            key=share.key,
            filename=share.filename,
            content_type=share.content_type,
            expires_in=app_settings.URL_TTL,
        )
    except aws.StorageUnavailable as err:
        logger.error("share %s: cannot presign: %s", share.pk, err)
        click_record(share=share, outcome=ClickOutcome.UNAVAILABLE, visitor=visitor)
        return ClickResult(status=status, share=share, unavailable=True)


def click_download(*, share: Share, visitor: Visitor) -> ClickResult:
    """Count one download and presign a fresh URL, or say why not (recorded, uncounted).

    The count is one conditional UPDATE whose WHERE clause repeats the active test, so
    concurrent clicks can never pass max_downloads: the database serialises the updates and
    each sees the count left by the one before. The click row and the owner's email row
    are written in the same transaction: all three stand or fall together.
    """
    now = timezone.now()
    status = share.status_at(now)
    if status != ShareStatus.ACTIVE:
        click_record(share=share, outcome=REFUSALS[status], visitor=visitor)
        return ClickResult(status=status, share=share)
    url = _signed(share, visitor)
    if isinstance(url, ClickResult):
        return url
    with transaction.atomic():
        counted = (
            Share.objects.filter(pk=share.pk)
            .active(now)
            .update(download_count=F("download_count") + 1, last_download_at=now)
        )
        if counted:
            row = click_record(
                share=share, outcome=ClickOutcome.REDIRECTED, visitor=visitor, at=now
            )
            # Only a row and an on-commit publish: the owner's email never slows the click.
            mail.download_notify(share=share, click=row, first=share.download_count == 0)
    if counted:
        share.download_count += 1
        share.last_download_at = now
        return ClickResult(status=ShareStatus.ACTIVE, share=share, url=url, click=row)
    # Another click took the last download (or staff revoked) between lookup and UPDATE.
    share.refresh_from_db()
    status = share.status_at(now)
    if status == ShareStatus.ACTIVE:
        status = ShareStatus.EXHAUSTED
    click_record(share=share, outcome=REFUSALS[status], visitor=visitor)
    return ClickResult(status=status, share=share)


def resumable(share: Share, now=None) -> bool:
    """Whether a receipt may still fetch the file: not withdrawn, not expired (used up is fine)."""
    return share.status_at(now or timezone.now()) in (ShareStatus.ACTIVE, ShareStatus.EXHAUSTED)


def click_resume(*, share: Share, visitor: Visitor) -> ClickResult:
    """A fresh URL for a browser that holds a receipt of a counted download: nothing counted.

    The presigned URL lives seconds, so a browser's own "Resume" of a broken multi-gigabyte
    download is refused by S3; clicking the link again must not spend another download.
    """
    status = share.status_at(timezone.now())
    if not resumable(share):
        click_record(share=share, outcome=REFUSALS[status], visitor=visitor)
        return ClickResult(status=status, share=share)
    url = _signed(share, visitor)
    if isinstance(url, ClickResult):
        return url
    row = click_record(share=share, outcome=ClickOutcome.RESUMED, visitor=visitor)
    return ClickResult(status=status, share=share, url=url, click=row, resumed=True)
