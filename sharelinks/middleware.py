"""HTTP edges that must hold for every response, whatever produced it."""

import logging
from collections.abc import Callable

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

# A short link is a bearer secret and its answer is personal: no cache may keep either,
# no Referer may carry the link on to the next site, no search engine may list it, and
# the pages (static text with inline CSS) may load, run or be framed by nothing.
RECIPIENT_HEADERS = {
    "Cache-Control": "no-store, private",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    ),
}
RECIPIENT_PREFIX = "/s/"
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
        if request.path_info.startswith(RECIPIENT_PREFIX):
            for header, value in RECIPIENT_HEADERS.items():
                response[header] = value
        return response


class HealthCheckMiddleware:
    """GET /healthz for load balancers: 200 while the database answers, else 503.

    Answered before host validation and the HTTPS redirect, since balancers probe each
    instance by its address over plain HTTP. S3 is not asked: an S3 or credentials
    problem is shared by every process (the doctor reports it), while a process without
    its database can answer no click and should leave the pool.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info != HEALTH_PATH or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except DatabaseError:
            logger.exception("health check: database unavailable")
            response = JsonResponse({"database": "unavailable"}, status=503)
        else:
            response = JsonResponse({"database": "ok"})
        response["Cache-Control"] = "no-store"
        return response
