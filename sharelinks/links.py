"""The short links: a share's general link or a person's own, found by code, what a click
on one would get, the absolute URL staff copy and emails carry, and a code read back from
a pasted link."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

from sharelinks.codes import LINK_PREFIX, code_is_personal, code_is_wellformed
from sharelinks.conf import app_settings
from sharelinks.models import SURVEYED_AT, Recipient, RecipientState, Share, survey_time
from sharelinks.prepared import PreparedLookup


def share_url_base() -> str:
    """SHARELINKS_BASE_URL without a trailing slash; links made outside a request need it."""
    base = app_settings.BASE_URL.rstrip("/")
    if not base:
        raise ImproperlyConfigured(
            "SHARELINKS_BASE_URL is not set, so no absolute link can be made outside a "
            "request: set it to the public origin, e.g. https://files.example.com"
        )
    return base


def share_url(share: "Share | Recipient", request: HttpRequest | None = None) -> str:
    """The absolute short link (a share's or a person's), from SHARELINKS_BASE_URL or else
    the current request."""
    if not app_settings.BASE_URL and request is not None:
        return request.build_absolute_uri(share.path)
    return share_url_base() + share.path


def code_from_link(text: str) -> str | None:
    """The code in a short link as staff paste it, or a bare code; None for anything else.

    SHARELINKS_BASE_URL is stripped, or any other origin (the admin's own host when it is
    unset, a link copied without its scheme), then the /s/ prefix, a query and a slash.
    """
    text = text.strip()
    base = app_settings.BASE_URL.rstrip("/")
    if base and text.startswith(base):
        text = text[len(base) :]
    text = text.split("#", 1)[0].split("?", 1)[0].rstrip("/")
    _, prefix, code = text.rpartition(LINK_PREFIX)
    if not prefix:
        code = text
    return code if code_is_wellformed(code) else None


class LinkStatus(StrEnum):
    """What a click on one link would get: the share's status, or the person's own.

    Values equal ShareStatus's for the share-wide ones and the click log's outcomes for
    the refusals, so either can be compared with it.
    """

    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"
    EXHAUSTED = "exhausted"
    PERSON_WITHDRAWN = "person_withdrawn"
    PERSON_SUSPENDED = "person_suspended"
    REPLACED = "replaced"
    PERSON_EXHAUSTED = "person_exhausted"
    GENERAL_OFF = "general_off"


@dataclass(frozen=True)
class Link:
    """The link a code names: a share's general link, or one person's own."""

    share: Share
    person: Recipient | None = None

    @property
    def code(self) -> str:
        return self.person.code if self.person else self.share.code

    @property
    def path(self) -> str:
        return self.person.path if self.person else self.share.path


_PERSON_STATES = {
    RecipientState.WITHDRAWN: LinkStatus.PERSON_WITHDRAWN,
    RecipientState.SUSPENDED: LinkStatus.PERSON_SUSPENDED,
    RecipientState.REPLACED: LinkStatus.REPLACED,
}


def link_status(link: Link, now: datetime) -> LinkStatus:
    """Share-wide endings first (withdrawn, expired), then the person's, then the limits."""
    share, person = link.share, link.person
    status = LinkStatus(share.status_at(now))
    if status in (LinkStatus.REVOKED, LinkStatus.EXPIRED):
        return status
    if person is None:
        return status if share.general_link else LinkStatus.GENERAL_OFF
    if person.state in _PERSON_STATES:
        return _PERSON_STATES[person.state]
    limit = share.downloads_per_recipient
    if limit is not None and person.download_count >= limit:
        return LinkStatus.PERSON_EXHAUSTED
    return status


_PERSON_BY_CODE = PreparedLookup(
    lambda code: (
        Recipient.objects.select_related("share__owner")
        .annotate(**{SURVEYED_AT: survey_time("share__bucket")})
        .filter(code=code)
        .order_by()
    )
)
_SHARE_BY_CODE = PreparedLookup(
    lambda code: (
        Share.objects.select_related("owner")
        .annotate(**{SURVEYED_AT: survey_time()})
        .filter(code=code)
        .order_by()
    )
)


def link_find(code: str) -> Link | None:
    """The link with this code (its share and owner, whom every page names), or None.

    One indexed lookup, compiled once per process (sharelinks.prepared): the code's length
    says whether it is a person's or a share's. The same query brings when the share's
    bucket was last surveyed (sharelinks.presence).
    """
    return _found(code, lambda lookup: (lookup.first(code), None))[0]


def link_find_writing(code: str, ctes: str, cte_params: list) -> tuple[Link | None, Any]:
    """link_find, with the WITH queries `ctes` run in the same statement (PostgreSQL:
    PreparedLookup.first_writing); what they return comes back beside the link."""
    return _found(code, lambda lookup: lookup.first_writing(code, ctes, cte_params))


def _found(code: str, find) -> tuple[Link | None, Any]:
    if code_is_personal(code):
        person, extra = find(_PERSON_BY_CODE)
        if person is None:
            return None, extra
        setattr(person.share, SURVEYED_AT, getattr(person, SURVEYED_AT))
        return Link(person.share, person), extra
    share, extra = find(_SHARE_BY_CODE)
    return (Link(share) if share else None), extra
