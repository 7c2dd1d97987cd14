"""The recipient's pages: landing, password, gone, unknown, too many, unavailable.

Each page is rendered in the recipient's language (Accept-Language, or the page's own
switch, ?lang=ja) and carries the link's strict headers. Only the landing page may submit
a form: its Content-Security-Policy allows the page itself and the storage origin the
download's 303 leads to, and nothing else.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils import translation

from sharelinks import signing, tokens
from sharelinks.clicks import ClickResult
from sharelinks.conf import app_settings
from sharelinks.links import Link, LinkStatus

PERSON_STATUSES = (
    LinkStatus.PERSON_WITHDRAWN,
    LinkStatus.PERSON_SUSPENDED,
    LinkStatus.REPLACED,
    LinkStatus.PERSON_EXHAUSTED,
)

RETRY_AFTER_UNAVAILABLE = 30
# No script, no image, no font, no frame, no base: inline style, and (landing page only) a
# form that posts to the page itself and is redirected to the storage's origin.
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
    "form-action {form_action}; frame-ancestors 'none'"
)


def language_pick(request: HttpRequest) -> str:
    """The page's language: ?lang= when it names one of LANGUAGES, else what the middleware
    chose from Accept-Language; activated for the rest of the request."""
    wanted = request.GET.get("lang", "")
    if wanted in dict(settings.LANGUAGES):
        translation.activate(wanted)
        request.LANGUAGE_CODE = wanted
    return translation.get_language()


def _render(request: HttpRequest, template: str, http_status: int, **context) -> HttpResponse:
    """The page, rendered with only what it shows: a recipient's page needs no staff
    context (user, messages), so no context processor runs for it."""
    language = translation.get_language()
    context["languages"] = [(code, name) for code, name in settings.LANGUAGES if code != language]
    context.update(request=request, LANGUAGE_CODE=language)
    content = loader.render_to_string(f"sharelinks/{template}", context)
    response = HttpResponse(content, status=http_status)
    response["Content-Language"] = language
    response["Vary"] = "Accept-Language"
    return response


def _downloads_left(link: Link) -> int | None:
    """The fewer of what the share and (on a personal link) the person have left."""
    share, person = link.share, link.person
    left = []
    if share.max_downloads is not None:
        left.append(share.max_downloads - share.download_count)
    if person is not None and share.downloads_per_recipient is not None:
        left.append(share.downloads_per_recipient - person.download_count)
    return max(0, min(left)) if left else None


def landing(
    request: HttpRequest, link: Link, *, status: int = 200, resume: bool = False, **notes
) -> HttpResponse:
    """The page of an active link: what, from whom, until when, and the Download button.

    A personal link greets the person by name, never by address (a forwarded link would
    show it to whoever holds it).
    """
    share = link.share
    response = _render(
        request, "landing.html", status, share=share, person=link.person,
        downloads_left=_downloads_left(link), resume=resume, token=tokens.form_token(link.code),
        language=translation.get_language(), **notes,
    )  # fmt: skip
    origin = signing.download_origin(share.bucket)
    response["Content-Security-Policy"] = CSP.format(form_action=f"'self' {origin}".strip())
    return response


def gone(request: HttpRequest, result: ClickResult) -> HttpResponse:
    """410, saying which way the link ended and since when."""
    share, person = result.share, result.person
    if result.missing:
        return _render(request, "missing.html", 410, share=share)
    since = {
        LinkStatus.EXPIRED: share.expires_at,
        LinkStatus.REVOKED: share.revoked_at,
        LinkStatus.EXHAUSTED: share.last_download_at,
        LinkStatus.GENERAL_OFF: None,
    }.get(result.status)
    if person is not None and result.status in PERSON_STATUSES:
        since = (
            person.last_download_at
            if result.status == LinkStatus.PERSON_EXHAUSTED
            else (person.state_changed_at)
        )
    return _render(
        request, "gone.html", 410, share=share, person=person, status=result.status, since=since
    )


def unknown(request: HttpRequest) -> HttpResponse:
    """404: no share answers to this code (it may be mistyped or cut off)."""
    return _render(request, "not_found.html", 404)


def too_many(request: HttpRequest, retry_after: int, *, reason: str = "guesses") -> HttpResponse:
    """429 with Retry-After: too many unknown codes, or wrong passwords, from one network."""
    minutes = max(1, -(-retry_after // 60))
    response = _render(request, "too_many.html", 429, reason=reason, minutes=minutes)
    response["Retry-After"] = str(retry_after)
    return response


def unavailable(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: the database or the signing credentials are unavailable."""
    response = _render(request, "unavailable.html", 503)
    response["Retry-After"] = str(RETRY_AFTER_UNAVAILABLE)
    return response


def guess_window() -> int:
    """How long a network that guessed too often waits (the Retry-After of its 429)."""
    return app_settings.GUESS_WINDOW
