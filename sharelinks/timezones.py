"""Show times in each staff member's own time zone, as their browser reports it.

The admin page sets a `sharelinks_tz` cookie from `Intl.DateTimeFormat()` (see
templates/admin/base_site.html); this middleware activates that zone for the request, so
expiry dates and the click log read in local time. Unknown names are ignored: the cookie
is user input.
"""

import functools
import zoneinfo
from collections.abc import Callable
from urllib.parse import unquote

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

COOKIE = "sharelinks_tz"


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def zone_from_name(name: str) -> zoneinfo.ZoneInfo | None:
    """The zone called name, or None when it is not an IANA zone name."""
    if name not in _known_zones():
        return None
    return zoneinfo.ZoneInfo(name)


class StaffTimezoneMiddleware:
    """Activate the zone named by the cookie for this request; otherwise TIME_ZONE."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The page's script percent-encodes the name ("Europe%2FBerlin"); Django does not decode.
        zone = zone_from_name(unquote(request.COOKIES.get(COOKIE, "")))
        if zone is None:
            return self.get_response(request)
        with timezone.override(zone):
            return self.get_response(request)
