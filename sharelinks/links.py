"""The absolute short link of a share, as staff copy it and emails carry it, and its code
read back from a pasted link."""

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

from sharelinks.codes import LINK_PREFIX, code_is_wellformed
from sharelinks.conf import app_settings
from sharelinks.models import Share


def share_url_base() -> str:
    """SHARELINKS_BASE_URL without a trailing slash; links made outside a request need it."""
    base = app_settings.BASE_URL.rstrip("/")
    if not base:
        raise ImproperlyConfigured(
            "SHARELINKS_BASE_URL is not set, so no absolute link can be made outside a "
            "request: set it to the public origin, e.g. https://files.example.com"
        )
    return base


def share_url(share: Share, request: HttpRequest | None = None) -> str:
    """The absolute short link, from SHARELINKS_BASE_URL or else the current request."""
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
