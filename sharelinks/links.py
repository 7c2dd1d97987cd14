"""The absolute short link of a share, as staff copy it and emails carry it."""

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

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
