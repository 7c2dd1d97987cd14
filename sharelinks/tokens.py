"""The landing page's form token and the resume receipt: signed, short-lived, one link's own.

Django's CSRF protection cannot guard the Download button: with `Referrer-Policy:
no-referrer` browsers send `Origin: null` on the form's POST, and a mail app's in-app
browser may keep no cookie. So the page signs a token for its own link, which a POST must
bring back within FORM_TOKEN_AGE seconds: a scanner's bare POST, a replayed stale page or
another link's token spends nothing. Checking it costs an HMAC and no database query.

Both are Django's TimestampSigner tokens, byte for byte ("value:timestamp:signature",
SECRET_KEY_FALLBACKS honoured), made and checked here without its layers: a download checks
one and makes the other, and Django's signer spent about a tenth of the download's own
Python on that (a signer object per call, its settings read, its key derived through
three layers). tests/test_tokens.py holds them equal to Django's.

The receipt is the cookie a counted download leaves, scoped to the link's path: clicking
the link again from that browser within RESUME_WINDOW seconds gets a fresh URL (a big
download that broke off) without spending another download.
"""

import base64
import hashlib
import hmac
import time

from django.conf import settings
from django.core.signing import b62_decode, b62_encode

from sharelinks.conf import app_settings

_FORM_SALT = "sharelinks.download-form:"
_RECEIPT_SALT = "sharelinks.resume-receipt:"
_FORM_VALUE = "download"
RECEIPT_COOKIE = "sharelinks_receipt"


def _signature(salt: str, value: str, secret: str | bytes) -> str:
    """Signer(salt=salt).signature(value, key=secret): HMAC-SHA256 of value under
    SHA-256(salt + "signer" + secret), in URL-safe base64 without padding."""
    secret = secret.encode() if isinstance(secret, str) else secret
    key = hashlib.sha256(f"{salt}signer".encode() + secret).digest()
    mac = hmac.digest(key, value.encode(), "sha256")
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def _sign(salt: str, value: str) -> str:
    """TimestampSigner(salt=salt).sign(value)."""
    stamped = f"{value}:{b62_encode(int(time.time()))}"
    return f"{stamped}:{_signature(salt, stamped, settings.SECRET_KEY)}"


def _unsign(salt: str, token: str, max_age: float) -> str | None:
    """TimestampSigner(salt=salt).unsign(token, max_age), or None where it raises."""
    stamped, _, signature = token.rpartition(":")
    given = signature.encode()
    for secret in (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS):
        if hmac.compare_digest(given, _signature(salt, stamped, secret).encode()):
            break
    else:
        return None
    value, separator, stamp = stamped.rpartition(":")
    try:
        signed_at = b62_decode(stamp)
    except (ValueError, IndexError):  # not Django's: no timestamp under the signature
        return None
    if not separator or time.time() - signed_at > max_age:
        return None
    return value


def form_token(code: str) -> str:
    """A token for the page of the link with this code, valid FORM_TOKEN_AGE seconds."""
    return _sign(_FORM_SALT + code, _FORM_VALUE)


def form_token_valid(code: str, token: str) -> bool:
    """Whether token was signed for this code's page and has not expired."""
    return _unsign(_FORM_SALT + code, token, app_settings.FORM_TOKEN_AGE) == _FORM_VALUE


def receipt_make(code: str, click_id: int) -> str:
    """The receipt of one counted download of this code's link."""
    return _sign(_RECEIPT_SALT + code, str(click_id))


def receipt_click_id(code: str, receipt: str | None) -> int | None:
    """The click a valid receipt for this code names, or None (absent, forged, too old)."""
    if not receipt:
        return None
    value = _unsign(_RECEIPT_SALT + code, receipt, app_settings.RESUME_WINDOW)
    return int(value) if value is not None and value.isdigit() else None
