"""The short link as staff see it: the absolute link with a copy button, and its QR code."""

from collections.abc import Callable

import segno
from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from sharelinks import links
from sharelinks.models import Share


def short_link_field(request: HttpRequest) -> Callable[[Share], str]:
    """The absolute short link with a copy button, as a column or read-only field.

    It needs the request (the link's host when SHARELINKS_BASE_URL is unset), so it is made
    per request; kept on the request so the change page's fieldsets and read-only fields
    name the same callable.
    """
    if not hasattr(request, "_sharelinks_short_link"):

        @admin.display(description=_("short link"))
        def short_link(share: Share) -> str:
            if share.general_link:
                return link_copy(links.share_url(share, request), share.code)
            # No copy button: a link that answers "use the link in your email" is a trap.
            off = _("Off: each person downloads through their own link.")
            return format_html('<span class="sharelink-off">{}</span>', off)

        request._sharelinks_short_link = short_link
    return request._sharelinks_short_link


def link_copy(url: str, code: str) -> str:
    """A link (a share's or a person's) with its copy button; a narrow column breaks the
    line before the code, never inside the origin."""
    origin = url.removesuffix(code)
    return format_html(
        '<span class="sharelink"><code class="sharelink-url">{}<wbr>{}</code> '
        '<button type="button" class="button sharelink-copy" data-copy="{}" '
        'data-done="{}" data-fail="{}">{}</button></span>',
        origin,
        url[len(origin) :],
        url,
        _("Copied"),
        _("Press Ctrl+C to copy"),
        _("Copy"),
    )


def qr_svg(url: str, title: str = "") -> SafeString:
    """The link as a QR code in inline SVG, for a phone to scan off the screen.

    title names it for screen readers (several codes on one page need telling apart).
    Inline, so the page fetches nothing and the code never leaves the server; segno
    escapes the title itself and the rest is paths it draws. Error level M survives a
    glare or a smudged screen; the size follows the page's CSS, not the SVG.
    """
    code = segno.make(url, error="m", micro=False)
    title = title or gettext("QR code of the short link")
    svg = code.svg_inline(
        scale=1, border=4, dark="#000", light="#fff", omitsize=True, title=title,
        svgclass="sharelink-qr",
    )  # fmt: skip
    return mark_safe(svg)  # noqa: S308 (segno's own markup, title escaped by segno)
