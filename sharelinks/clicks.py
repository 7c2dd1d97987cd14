"""Answering a click: find the share, record a page view, count a download, sign a URL.

The rules of DESIGN.md's "click, step by step" live here; the view only turns a
ClickResult into a response. A page view (GET, HEAD, a scanner, a prefetch) never counts
and never signs: only the landing page's button (or a direct link) spends a download.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from sharelinks import aws, counting, express, mail, presence, signing
from sharelinks.conf import app_settings
from sharelinks.links import Link, LinkStatus, link_status
from sharelinks.models import (
    Click,
    ClickOutcome,
    Recipient,
    Share,
)
from sharelinks.visitors import Visitor

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClickResult:
    """What the view needs to answer: a status, the link if known, a URL if signed."""

    status: LinkStatus | None  # None: no share has this code
    share: Share | None = None
    person: Recipient | None = None
    url: str = ""
    unavailable: bool = False
    missing: bool = False  # no object in storage: 410 "no longer available"
    click: Click | None = None  # the counted download's row (its id goes into the receipt)
    resumed: bool = False


REFUSALS = {status: ClickOutcome(status.value) for status in LinkStatus if status != "active"}


def click_record(
    *, link: Link, outcome: ClickOutcome, visitor: Visitor, at: datetime | None = None
) -> Click:
    """One row of the click log."""
    return counting.click_write(
        link=link, visitor=visitor, now=at or timezone.now(), outcome=outcome
    )


def click_look(*, link: Link, now: datetime | None = None) -> ClickResult:
    """What a page view (GET, HEAD) shows, without counting, signing or writing.

    HEAD and GET agree: an active share whose object is gone is "missing" for both.
    """
    status = link_status(link, now or timezone.now())
    result = {"status": status, "share": link.share, "person": link.person}
    if status != LinkStatus.ACTIVE:
        return ClickResult(**result)
    try:
        present = presence.object_present(link.share)
    except aws.StorageUnavailable:
        return ClickResult(**result, unavailable=True)
    return ClickResult(**result, missing=not present)


def _signed(link: Link, visitor: Visitor, status: LinkStatus) -> ClickResult | str:
    """A fresh URL for the link's object, or the refusal that a missing object or an
    unreachable storage makes (recorded, uncounted)."""
    share, result = link.share, {"status": status, "share": link.share, "person": link.person}
    try:
        if not presence.object_present(share):
            click_record(link=link, outcome=ClickOutcome.MISSING, visitor=visitor)
            return ClickResult(**result, missing=True)
        return _download_url(share)
    except aws.StorageUnavailable as err:
        logger.error("share %s: cannot presign: %s", share.pk, err)
        click_record(link=link, outcome=ClickOutcome.UNAVAILABLE, visitor=visitor)
        return ClickResult(**result, unavailable=True)


def _download_url(share: Share) -> str:
    """A fresh URL for the share's object (raises aws.StorageUnavailable)."""
    return signing.download_url(
        bucket=share.bucket,
        key=share.key,
        filename=share.filename,
        content_type=share.content_type,
        expires_in=app_settings.URL_TTL,
    )


def _refused(link: Link, status: LinkStatus, visitor: Visitor) -> ClickResult:
    click_record(link=link, outcome=REFUSALS[status], visitor=visitor)
    return ClickResult(status=status, share=link.share, person=link.person)


def click_download(*, link: Link, visitor: Visitor) -> ClickResult:
    """Count one download and presign a fresh URL, or say why not (recorded, uncounted).

    The counts, the click row and the owner's email row are written in one transaction:
    all stand or fall together.
    """
    now = timezone.now()
    status = link_status(link, now)
    if status != LinkStatus.ACTIVE:
        return _refused(link, status, visitor)
    url = _signed(link, visitor, status)
    if isinstance(url, ClickResult):
        return url
    person, share = link.person, link.share
    with transaction.atomic():
        counted = counting.download_count(link=link, visitor=visitor, now=now)
        if counted is not None:
            counting.download_followup(
                link=link, click=counted.click, networks=counted.networks, visitor=visitor,
                first=(counted.person_count if person else counted.share_count) == 1, now=now,
            )  # fmt: skip
    if counted is not None:
        share.download_count = counted.share_count
        share.last_download_at = now
        return ClickResult(status=status, share=share, person=person, url=url, click=counted.click)
    # Another click took the last download (or staff acted) between lookup and UPDATE.
    share.refresh_from_db()
    if person is not None:
        person.refresh_from_db()
    status = link_status(link, now)
    return _refused(link, LinkStatus.EXHAUSTED if status == LinkStatus.ACTIVE else status, visitor)


def click_express(*, code: str, visitor: Visitor) -> ClickResult | None:
    """The ordinary press of Download (valid token, no receipt), counted by one statement
    before any lookup (sharelinks.express); None when that statement counted nothing, and
    the careful path (link_find, click_download) decides. PostgreSQL only: elsewhere None.

    A download without a limit is counted, with its owner's email row when one is due, by a
    statement that commits by itself, then signed, and only then is the email published.
    A limited one (or one about to flag a forwarded link) is counted and signed in a
    transaction. If the URL cannot be signed, the count is taken back either way and the
    careful path answers with its 503 page. The statement that counts at once is tried
    first, as it fits nearly every press: a limited download pays one more round trip for
    it (the counting statement it declined), where a single transaction would cost every
    download two.
    """
    if connection.vendor != "postgresql":
        return None
    now = timezone.now()
    if aws.credentials_problem() is None:  # else signing would likely fail: not at once
        found = express.download_count(
            code=code, visitor=visitor, now=now, vouched=False, at_once=True
        )
        if found is not None:
            result = _express_signed(found, visitor, now, undo=express.download_uncount)
            if result is not None and found.delivery_id is not None:
                mail.deliveries_hand_off([found.delivery_id])
            return result
    with transaction.atomic():
        found = express.download_count(code=code, visitor=visitor, now=now, vouched=False)
        if found is None:
            return None
        # Uncounted on failure; the careful path records the 503.
        result = _express_signed(found, visitor, now, undo=lambda _: transaction.set_rollback(True))
        if result is not None:
            counting.download_followup(
                link=Link(found.share, found.person), click=result.click, visitor=visitor,
                first=(found.person or found.share).download_count == 1,
                networks=found.person and found.person.networks, now=now,
            )  # fmt: skip
    return result


def _express_signed(found: express.Found, visitor: Visitor, now: datetime, *, undo):
    """The result of a download the express statement counted, or None after undo(found)
    when its URL cannot be signed."""
    link = Link(found.share, found.person)
    try:
        url = _download_url(link.share)
    except aws.StorageUnavailable:
        undo(found)
        return None
    click = counting.click_instance(link, visitor, now, found.click_id)
    return ClickResult(
        status=LinkStatus.ACTIVE, share=link.share, person=link.person, url=url, click=click
    )


def resumable(link: Link, now: datetime | None = None) -> bool:
    """Whether a receipt may still fetch the file: not withdrawn, not expired, not replaced
    (used up, for the share or the person, is fine: that is what a receipt is for)."""
    status = link_status(link, now or timezone.now())
    return status in (LinkStatus.ACTIVE, LinkStatus.EXHAUSTED, LinkStatus.PERSON_EXHAUSTED)


def click_resume(*, link: Link, visitor: Visitor) -> ClickResult:
    """A fresh URL for a browser that holds a receipt of a counted download: nothing counted.

    The presigned URL lives seconds, so a browser's own "Resume" of a broken multi-gigabyte
    download is refused by S3; clicking the link again must not spend another download.
    """
    status = link_status(link, timezone.now())
    if not resumable(link):
        return _refused(link, status, visitor)
    url = _signed(link, visitor, status)
    if isinstance(url, ClickResult):
        return url
    row = click_record(link=link, outcome=ClickOutcome.RESUMED, visitor=visitor)
    return ClickResult(
        status=status, share=link.share, person=link.person, url=url, click=row, resumed=True
    )


def page_viewed(*, link: Link, visitor: Visitor, outcome: ClickOutcome) -> None:
    """Record a GET of the page (or its refusal); a person's own page counts their views."""
    counting.view_record(link=link, visitor=visitor, now=timezone.now(), outcome=outcome)


def link_viewed(*, code: str, visitor: Visitor) -> tuple[Link | None, int | None]:
    """A GET's lookup, with its "viewed" row written by the same statement on PostgreSQL
    (the row's id; None elsewhere, where page_viewed records it)."""
    return counting.link_viewed(code=code, visitor=visitor, now=timezone.now())


def view_amend(click_id: int | None, *, link: Link, visitor: Visitor, outcome=None) -> None:
    """Give link_viewed's row the outcome the page had (None: no row at all)."""
    if click_id is not None:
        counting.view_amend(click_id, link=link, visitor=visitor, outcome=outcome)
