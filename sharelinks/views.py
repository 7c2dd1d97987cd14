"""The short link, /s/<code>: the landing page on GET, the download on its button's POST.

GET and HEAD never count and never sign: mail scanners and link previewers fetch every
link before the person does. The download is the landing page's POST, which must bring
back the token the page signed for this link (no cookie or JavaScript needed), answered
with 303 to a freshly presigned URL. Shares marked "direct download" keep a counted 302 on
GET for scripts. The rules live in sharelinks.clicks; this module maps them to answers.
"""

import functools
import logging
import time
from urllib.parse import parse_qsl

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.http.request import RawPostDataException
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt

from sharelinks import clicks, pages, passwords, tokens
from sharelinks.codes import code_is_wellformed
from sharelinks.conf import app_settings
from sharelinks.deadline import DeadlineExceeded, deadline
from sharelinks.links import Link, LinkStatus, link_find
from sharelinks.models import ClickOutcome
from sharelinks.throttle import guess_record, guesses_exceeded
from sharelinks.visitors import Visitor, is_prefetch, visitor_from

logger = logging.getLogger(__name__)

METHODS = ["GET", "HEAD", "POST"]


class HttpResponseSeeOther(HttpResponseRedirect):
    """303: the answer to the form's POST is fetched with GET, never posted again."""

    status_code = 303


def _unknown(request: HttpRequest, visitor: Visitor) -> HttpResponse:
    """A code that names no share: 404, or 429 once this network has guessed too often.

    Only unknown codes are refused: a scanner sharing a network (or a load balancer's
    address) with a recipient must never lock the recipient out of a real link.
    """
    if guesses_exceeded(visitor.network):
        return pages.too_many(request, pages.guess_window())
    guess_record(visitor.network)
    return pages.unknown(request)


@functools.lru_cache(maxsize=2)
def _expires(second: int, max_age: int) -> str:
    # The Expires a cookie of max_age set in this second gets (set_cookie would format it
    # from the clock itself): the same string for every download of the second.
    return http_date(second + max_age)


def _answer(request: HttpRequest, result: clicks.ClickResult) -> HttpResponse:
    """The redirect of a signed result, else the page that says why not."""
    if result.unavailable:
        return pages.unavailable(request)
    if (result.status != LinkStatus.ACTIVE and not result.resumed) or result.missing:
        return pages.gone(request, result)
    response = HttpResponseSeeOther(result.url) if request.method == "POST" else None
    response = response or HttpResponseRedirect(result.url)
    if result.click is not None and not result.resumed:
        link, max_age = Link(result.share, result.person), app_settings.RESUME_WINDOW
        response.set_cookie(
            tokens.RECEIPT_COOKIE, tokens.receipt_make(link.code, result.click.pk),
            max_age=max_age, expires=_expires(int(time.time()), max_age), path=link.path,
            secure=request.is_secure(), httponly=True, samesite="Lax",
        )  # fmt: skip
    return response


def _look(request, link: Link, visitor: Visitor, receipt: int | None, viewed: int | None = None):
    """GET and HEAD: the page a person would see; a GET leaves a "viewed" row (`viewed`:
    the one its lookup wrote on PostgreSQL, amended here when the page is another)."""
    result = clicks.click_look(link=link)
    resume = receipt is not None and clicks.resumable(link)
    if result.unavailable:
        clicks.view_amend(viewed, link=link, visitor=visitor)
        return pages.unavailable(request)
    if (result.status != LinkStatus.ACTIVE and not resume) or result.missing:
        if request.method == "GET":
            outcome = ClickOutcome.MISSING if result.missing else clicks.REFUSALS[result.status]
            if viewed is None:
                clicks.page_viewed(link=link, outcome=outcome, visitor=visitor)
            clicks.view_amend(viewed, link=link, visitor=visitor, outcome=outcome)
        return pages.gone(request, result)
    if request.method == "GET" and viewed is None:
        clicks.page_viewed(link=link, outcome=ClickOutcome.VIEWED, visitor=visitor)
    return pages.landing(request, link, resume=resume)


def _post(request: HttpRequest, link: Link, visitor: Visitor, receipt: int | None):
    """The Download button: a valid token, the password if any, then count (or resume)."""
    share = link.share
    if not _token_valid(request, link.code):
        return _stale(request, link, visitor, receipt)
    if receipt is not None and clicks.resumable(link):
        return _answer(request, clicks.click_resume(link=link, visitor=visitor))
    if share.has_password:
        verdict = passwords.share_password_check(
            share=share, network=visitor.network, password=request.POST.get("password", "")
        )
        if verdict.retry_after:
            return pages.too_many(request, verdict.retry_after, reason="password")
        if not verdict.ok:
            return pages.landing(request, link, status=403, wrong_password=True)
    return _answer(request, clicks.click_download(link=link, visitor=visitor))


def _token_valid(request: HttpRequest, code: str) -> bool:
    """Whether the POST brings the token the landing page signed for this link."""
    return tokens.form_token_valid(code, _form_field(request, "token"))


def _form_field(request: HttpRequest, name: str) -> str:
    """request.POST.get(name, ""), read from a form-encoded body without the QueryDict.

    Every download's POST is read for its token, and building Django's QueryDict for that
    one field cost the download about 4% of its instructions. The body is read as Django
    reads it: UTF-8 (Latin-1 where that fails), parse_qsl with blank values kept and at most
    DATA_UPLOAD_MAX_NUMBER_FIELDS fields (more is the same 400), the last value of a
    repeated name. Any other body (multipart, another charset: a 400) is request.POST's.
    tests/test_form_field.py holds the two equal over generated bodies.
    """
    if request.content_type != "application/x-www-form-urlencoded" or (
        request.encoding is not None and request.encoding.lower() != "utf-8"
    ):
        return request.POST.get(name, "")
    try:
        body = request.body
    except RawPostDataException:  # the stream was read elsewhere: as request.POST has it
        return request.POST.get(name, "")
    try:
        text = body.decode()
    except UnicodeDecodeError:
        text = body.decode("iso-8859-1")
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    try:
        fields = parse_qsl(text, keep_blank_values=True, encoding="utf-8", max_num_fields=limit)
    except ValueError as err:
        raise TooManyFieldsSent("The number of GET/POST parameters exceeded "
                                "settings.DATA_UPLOAD_MAX_NUMBER_FIELDS.") from err  # fmt: skip
    return next((value for key, value in reversed(fields) if key == name), "")


def _stale(request: HttpRequest, link: Link, visitor: Visitor, receipt: int | None):
    """A POST without this link's valid token spends nothing: the page again, fresh token."""
    response = _look(request, link, visitor, receipt)
    if response.status_code == 200:
        response = pages.landing(request, link, resume=receipt is not None, stale=True)
    return response


def _direct(request: HttpRequest, link: Link) -> bool:
    """A counted 302 on GET: a direct-download share without a password, not a prefetch."""
    share = link.share
    return (
        share.direct_download
        and not share.has_password
        and request.method == "GET"
        and not is_prefetch(request)
    )


@csrf_exempt  # guarded by the page's own signed token; see sharelinks.tokens
def share_link(request: HttpRequest, code: str) -> HttpResponse:
    """Answer GET, HEAD or POST on a short link; anything else is 405."""
    if request.method not in METHODS:
        return HttpResponseNotAllowed(METHODS)
    pages.language_pick(request)
    visitor = visitor_from(request)
    if not code_is_wellformed(code):
        return _unknown(request, visitor)
    try:
        # Every wait below has a bound of its own (docs/timeouts.md) except a peer that
        # accepts and never answers: the deadline ends that one with the same 503.
        with deadline(app_settings.CLICK_DEADLINE):
            receipt = tokens.receipt_click_id(code, request.COOKIES.get(tokens.RECEIPT_COOKIE))
            if request.method == "POST" and receipt is None and _token_valid(request, code):
                result = clicks.click_express(code=code, visitor=visitor)
                if result is not None:  # else the careful path below finds out why not
                    return _answer(request, result)
            viewed = None
            if request.method == "GET":
                link, viewed = clicks.link_viewed(code=code, visitor=visitor)
            else:
                link = link_find(code)
            if link is None:
                return _unknown(request, visitor)
            if request.method == "POST":
                return _post(request, link, visitor, receipt)
            if _direct(request, link):
                clicks.view_amend(viewed, link=link, visitor=visitor)  # a download, no view
                return _answer(request, clicks.click_download(link=link, visitor=visitor))
            return _look(request, link, visitor, receipt, viewed)
    except DeadlineExceeded:
        logger.error("click answered 503: over SHARELINKS_CLICK_DEADLINE", exc_info=True)
        return pages.unavailable(request)
    except DatabaseError:
        logger.exception("click failed: database unavailable")
        return pages.unavailable(request)
