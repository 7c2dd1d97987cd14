"""HTTP edges that must hold for every response, whatever produced it."""

import functools
import zoneinfo
from collections.abc import Callable
from urllib.parse import unquote

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from sharelinks import health
from sharelinks.codes import LINK_PREFIX

# A short link is a bearer secret and its answer is personal: no cache may keep either,
# no Referer may carry the link on to the next site, no search engine may list it, and
# the pages (static text with inline CSS) may load, run or be framed by nothing.
RECIPIENT_HEADERS = {
    "Cache-Control": "no-store, private",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}
RECIPIENT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
HEALTH_PATH = "/healthz"


class RecipientHeadersMiddleware:
    """RECIPIENT_HEADERS on every answer under /s/: the click view's, a 405, a 500 page.

    A middleware rather than a view decorator, so an error Django turns into a page on the
    way out can never be cached with a share code in its URL.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path_info.startswith(LINK_PREFIX):
            for header, value in RECIPIENT_HEADERS.items():
                response[header] = value
            # The landing page sets its own policy: its form posts to itself and its
            # download redirects to the storage's origin. Every other answer gets this one.
            response.setdefault("Content-Security-Policy", RECIPIENT_CSP)
        return response


class HealthCheckMiddleware:
    """GET /healthz for load balancers: a JSON body naming each part, 503 when this process
    should leave the rotation (sharelinks.health says which failures do).

    Answered before host validation and the HTTPS redirect, since balancers probe each
    instance by its address over plain HTTP.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info != HEALTH_PATH or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        status, body = health.health_check()
        response = JsonResponse(body, status=status)
        response["Cache-Control"] = "no-store"
        return response


# The admin page sets this cookie from Intl.DateTimeFormat() (templates/admin/base_site.html);
# unknown names are ignored: the cookie is user input.
TIMEZONE_COOKIE = "sharelinks_tz"


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def zone_from_name(name: str) -> zoneinfo.ZoneInfo | None:
    """The zone called name, or None when it is not an IANA zone name."""
    if name not in _known_zones():
        return None
    return zoneinfo.ZoneInfo(name)


class StaffTimezoneMiddleware:
    """Show times in each staff member's own time zone: the one the cookie names, else TIME_ZONE."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The page's script percent-encodes the name ("Europe%2FBerlin"); Django does not decode.
        zone = zone_from_name(unquote(request.COOKIES.get(TIMEZONE_COOKIE, "")))
        if zone is None:
            return self.get_response(request)
        with timezone.override(zone):
            return self.get_response(request)
