"""The click view, GET /s/<code>, and the recipient pages it answers with."""

import logging

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from sharelinks.clicks import ClickResult, click_resolve, client_network
from sharelinks.codes import code_is_wellformed
from sharelinks.conf import app_settings
from sharelinks.models import ClickOutcome, ShareStatus
from sharelinks.throttle import guess_record, guesses_exceeded

logger = logging.getLogger(__name__)

RETRY_AFTER_UNAVAILABLE = 30


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


@require_http_methods(["GET", "HEAD"])
def share_download(request: HttpRequest, code: str) -> HttpResponse:
    """Answer a click: 302 to a fresh presigned URL, or a page that says why not.

    HEAD gets the status a GET would, counts nothing and carries no Location: link
    previewers and mail scanners send HEAD, and a signed URL handed to them would be a
    download the limit never counted.
    """
    address = client_ip(request)
    network = client_network(address)
    if not code_is_wellformed(code):
        return _unknown(request, network)
    try:
        result = click_resolve(
            code=code,
            client_ip=address,
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
