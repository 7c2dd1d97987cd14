"""The recipient's pages: landing, password, gone, unknown, too many, unavailable.

Each page is rendered in the recipient's language (Accept-Language, or the page's own
switch, ?lang=ja) and carries the link's strict headers. Only the landing page may submit
a form: its Content-Security-Policy allows the page itself and the storage origin the
download's 303 leads to, and nothing else.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.template.defaultfilters import filesizeformat
from django.utils import translation

from sharelinks import signing, skeletons, tokens
from sharelinks.clicks import ClickResult
from sharelinks.conf import app_settings
from sharelinks.links import Link, LinkStatus
from sharelinks.templatetags.sharelinks_people import full_name, person_name
from sharelinks.templatetags.sharelinks_times import moment

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


def language_pick(request: HttpRequest) -> None:
    """Activate ?lang= for the rest of the request when it names one of LANGUAGES; else
    the page keeps what the middleware chose from Accept-Language."""
    # Most requests have no query string at all: then nothing is parsed.
    if "lang=" in request.META.get("QUERY_STRING", ""):
        wanted = request.GET.get("lang", "")
        if wanted in dict(settings.LANGUAGES):
            translation.activate(wanted)
            request.LANGUAGE_CODE = wanted


def _render(request: HttpRequest, template: str, http_status: int, **context) -> HttpResponse:
    """The page, rendered with only what it shows: a recipient's page needs no staff
    context (user, messages), so no context processor runs for it."""
    context.update(_page_shape(), request=request)
    return _answer(loader.render_to_string(f"sharelinks/{template}", context), http_status)


def _page_shape() -> dict:
    """What every page of the active language shares: its code and the other languages."""
    language = translation.get_language()
    others = tuple((code, name) for code, name in settings.LANGUAGES if code != language)
    return {"LANGUAGE_CODE": language, "languages": others}


def _answer(content: str, http_status: int) -> HttpResponse:
    response = HttpResponse(content, status=http_status)
    response["Content-Language"] = translation.get_language()
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
    request: HttpRequest,
    link: Link,
    *,
    status: int = 200,
    resume: bool = False,
    stale: bool = False,
    wrong_password: bool = False,
) -> HttpResponse:
    """The page of an active link: what, from whom, until when, and the Download button.

    A personal link greets the person by name, never by address (a forwarded link would
    show it to whoever holds it). Rendered once per shape (sharelinks.skeletons): the
    values are computed here, and the template only prints them.
    """
    share, person = link.share, link.person
    owner, left = share.owner, _downloads_left(link)
    shape = {
        **_page_shape(),
        "greet": bool(person and person.name),
        "has_message": bool(share.message),
        "has_content_type": bool(share.content_type),
        "owner_named": bool(full_name(owner)),
        "owner_has_email": bool(owner.email),
        "counted_left": left is not None,
        "resume": resume,
        "stale": stale,
        "ask_password": share.has_password and not resume,
        "wrong_password": wrong_password,
    }
    values = {
        "filename": share.filename,
        "message": share.message,
        "size": filesizeformat(share.size),
        "content_type": share.content_type,
        "owner_name": person_name(owner),
        "owner_email": owner.email,
        "until": moment(share.expires_at, share.time_zone),
        "downloads_left": "" if left is None else str(left),
        "person_name": person.name if person else "",
        "token": tokens.form_token(link.code),
    }
    content = skeletons.page("sharelinks/landing.html", shape, values, path=request.path)
    response = _answer(content, status)
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
