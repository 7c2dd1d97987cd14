"""Answering a click: look the code up, check the share, count the download, sign a URL.

The rules of DESIGN.md's "click, step by step" live here; the view only turns a
ClickResult into a response.
"""

import ipaddress
import logging
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from sharelinks import aws, mail, shares, signing
from sharelinks.conf import app_settings
from sharelinks.models import Click, ClickOutcome, Share, ShareStatus

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClickResult:
    """What the click view needs to answer: a status, the share if known, a URL if active."""

    status: ShareStatus | None  # None: no share has this code
    share: Share | None = None
    url: str = ""
    unavailable: bool = False
    missing: bool = False  # the broken-share check found no object: 410 "no longer available"


_REFUSALS = {
    ShareStatus.EXPIRED: ClickOutcome.EXPIRED,
    ShareStatus.REVOKED: ClickOutcome.REVOKED,
    ShareStatus.EXHAUSTED: ClickOutcome.EXHAUSTED,
}


def client_network(ip: str | None) -> str | None:
    """The client's address truncated to /24 (IPv4) or /48 (IPv6), or None if unparsable."""
    text = (ip or "").strip()
    # Some proxies append the port: "203.0.113.5:443", "[2001:db8::1]:443".
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address)


def _object_present(share: Share) -> bool:
    """Whether the share's object is still in S3, asked at most every VERIFY_OBJECT_CACHE s.

    A redirect to a deleted object would show the recipient S3's XML NoSuchKey page; a HEAD
    first turns that into the "no longer available" page (and flags the share for its
    owner), and a file put back works again at once. Only a found object is remembered, so
    a deletion shows within the cache time and most clicks pay no S3 round trip.
    Raises aws.StorageUnavailable (a 503, uncounted).
    """
    if not app_settings.VERIFY_OBJECT_ON_CLICK:
        return share.missing_since is None  # as the last broken-share check found it
    remembered = f"sharelinks:object-present:{share.pk}"
    if share.missing_since is None and cache.get(remembered):
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
    cache.set(remembered, True, app_settings.VERIFY_OBJECT_CACHE)
    return True


def _fresh_url(share: Share) -> str | None:
    """A URL signed now for the share's object, or None when the object is gone."""
    if not _object_present(share):
        return None
    return signing.download_url(
        bucket=share.bucket,
        key=share.key,
        filename=share.filename,
        content_type=share.content_type,
        expires_in=app_settings.URL_TTL,
    )


def _head_result(share: Share, status: ShareStatus) -> ClickResult:
    """What a GET would get, without counting or signing: HEAD and GET must agree."""
    if status != ShareStatus.ACTIVE:
        return ClickResult(status=status, share=share)
    try:
        present = _object_present(share)
    except aws.StorageUnavailable:
        return ClickResult(status=status, share=share, unavailable=True)
    return ClickResult(status=status, share=share, missing=not present)


def click_resolve(
    *, code: str, client_ip: str | None, user_agent: str, count: bool = True
) -> ClickResult:
    """Look a code up, and for a GET count the download and presign a fresh URL.

    The count is one conditional UPDATE whose WHERE clause repeats the active test, so
    concurrent clicks can never pass max_downloads: the database serialises the updates and
    each sees the count left by the one before. A HEAD (count=False) only reports.
    """
    share = Share.objects.select_related("owner").filter(code=code).first()
    if share is None:
        return ClickResult(status=None)
    now = timezone.now()
    status = share.status_at(now)
    if not count:
        return _head_result(share, status)
    click = {
        "client_ip": client_network(client_ip),
        "user_agent": user_agent[: app_settings.USER_AGENT_MAX_LENGTH],
    }
    if status != ShareStatus.ACTIVE:
        Click.objects.create(share=share, outcome=_REFUSALS[status], **click)
        return ClickResult(status=status, share=share)
    try:
        url = _fresh_url(share)
    except aws.StorageUnavailable as err:
        logger.error("share %s: cannot presign: %s", share.pk, err)
        Click.objects.create(share=share, outcome=ClickOutcome.UNAVAILABLE, **click)
        return ClickResult(status=status, share=share, unavailable=True)
    if url is None:
        Click.objects.create(share=share, outcome=ClickOutcome.MISSING, **click)
        return ClickResult(status=status, share=share, missing=True)
    with transaction.atomic():
        counted = (
            Share.objects.filter(pk=share.pk)
            .active(now)
            .update(download_count=F("download_count") + 1)
        )
        if counted:
            row = Click.objects.create(share=share, outcome=ClickOutcome.REDIRECTED, **click)
            # Only a row and an on-commit publish: the owner's email never slows the click.
            mail.download_notify(share=share, click=row, first=share.download_count == 0)
    if counted:
        share.download_count += 1
        return ClickResult(status=ShareStatus.ACTIVE, share=share, url=url)
    # Another click took the last download (or staff revoked) between lookup and UPDATE.
    share.refresh_from_db()
    status = share.status_at(now)
    if status == ShareStatus.ACTIVE:
        status = ShareStatus.EXHAUSTED
    Click.objects.create(share=share, outcome=_REFUSALS[status], **click)
    return ClickResult(status=status, share=share)
