"""The click view, GET /s/<code>, and the recipient pages it answers with."""

import functools
import logging
from collections.abc import Callable

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from sharelinks.codes import code_is_wellformed
from sharelinks.conf import app_settings
from sharelinks.models import ClickOutcome, ShareStatus
from sharelinks.services import ClickResult, click_resolve, client_network
from sharelinks.throttle import guess_record, guesses_exceeded

logger = logging.getLogger(__name__)

# A short link is a bearer secret and its answer is personal: no cache may keep either,
# no Referer may carry the link on to the next site, no search engine may list it.
RECIPIENT_HEADERS = {
    "Cache-Control": "no-store, private",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    # The pages are static text with inline CSS: nothing else may load, run or frame them.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    ),
}
RETRY_AFTER_UNAVAILABLE = 30


def recipient_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Put RECIPIENT_HEADERS on every response of view, errors included."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        for header, value in RECIPIENT_HEADERS.items():
            response[header] = value
        return response

    return wrapper


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, trusting X-Forwarded-For only as far as PROXY_COUNT says."""
    proxies = app_settings.PROXY_COUNT
    if proxies:
        forwarded = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [hop for hop in forwarded if hop]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")


def _page(request: HttpRequest, template: str, http_status: int, **context) -> HttpResponse:
    return render(request, f"sharelinks/{template}", context, status=http_status)


def _gone(request: HttpRequest, result: ClickResult) -> HttpResponse:
    share = result.share
    since = {
        ShareStatus.EXPIRED: share.expires_at,
        ShareStatus.REVOKED: share.revoked_at,
        ShareStatus.EXHAUSTED: share.clicks.filter(outcome=ClickOutcome.REDIRECTED)
        .values_list("at", flat=True)
        .first(),
    }[result.status]
    return _page(request, "gone.html", 410, share=share, status=result.status, since=since)


def _unknown(request: HttpRequest, network: str | None) -> HttpResponse:
    """A code that names no share: 404, or 429 once this network has guessed too often.

    Only unknown codes are refused: a scanner sharing a network (or a load balancer's
    address) with a recipient must never lock the recipient out of a real link.
    """
    if guesses_exceeded(network):
        response = _page(request, "too_many.html", 429)
        response["Retry-After"] = str(app_settings.GUESS_WINDOW)
        return response
    guess_record(network)
    return _page(request, "not_found.html", 404)


@recipient_page
@require_http_methods(["GET", "HEAD"])
def share_download(request: HttpRequest, code: str) -> HttpResponse:
    """Answer a click: 302 to a fresh presigned URL, or a page that says why not.

    HEAD gets the status a GET would, counts nothing and carries no Location: link
    previewers and mail scanners send HEAD, and a signed URL handed to them would be a
    download the limit never counted.
    """
    network = client_network(client_ip(request))
    if not code_is_wellformed(code):
        return _unknown(request, network)
    try:
        result = click_resolve(
            code=code,
            client_ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            count=request.method == "GET",
        )
    except DatabaseError:
        logger.exception("click failed: database unavailable")
        result = ClickResult(status=None, unavailable=True)
    if result.unavailable:
        response = _page(request, "unavailable.html", 503)
        response["Retry-After"] = str(RETRY_AFTER_UNAVAILABLE)
        return response
    if result.status is None:
        return _unknown(request, network)
    if result.status != ShareStatus.ACTIVE:
        return _gone(request, result)
    if result.missing:
        return _page(request, "missing.html", 410, share=result.share)
    if request.method == "HEAD":
        return HttpResponse(status=302)
    return HttpResponseRedirect(result.url)


@require_http_methods(["GET", "HEAD"])
def health(request: HttpRequest) -> HttpResponse:
    """For load balancers: 200 while the database answers, else 503; S3 is not asked.

    A web process without its database can answer no click, so it should leave the pool;
    an S3 or credentials problem is shared by every process and is the doctor's to report.
    """
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
