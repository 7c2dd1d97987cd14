"""The landing page's form token and the resume receipt: signed, short-lived, one link's own.

Django's CSRF protection cannot guard the Download button: with `Referrer-Policy:
no-referrer` browsers send `Origin: null` on the form's POST, and a mail app's in-app
browser may keep no cookie. So the page signs a token for its own link, which a POST must
bring back within FORM_TOKEN_AGE seconds: a scanner's bare POST, a replayed stale page or
another link's token spends nothing. Checking it costs an HMAC and no database query.

The receipt is the cookie a counted download leaves, scoped to the link's path: clicking
the link again from that browser within RESUME_WINDOW seconds gets a fresh URL (a big
download that broke off) without spending another download.
"""

from django.core import signing

from sharelinks.conf import app_settings

_FORM_SALT = "sharelinks.download-form:"
_RECEIPT_SALT = "sharelinks.resume-receipt:"
_FORM_VALUE = "download"
RECEIPT_COOKIE = "sharelinks_receipt"


def form_token(code: str) -> str:
    """A token for the page of the link with this code, valid FORM_TOKEN_AGE seconds."""
    return signing.TimestampSigner(salt=_FORM_SALT + code).sign(_FORM_VALUE)


def form_token_valid(code: str, token: str) -> bool:
    """Whether token was signed for this code's page and has not expired."""
    try:
        value = signing.TimestampSigner(salt=_FORM_SALT + code).unsign(
            token, max_age=app_settings.FORM_TOKEN_AGE
        )
    except signing.BadSignature:  # also SignatureExpired
        return False
    return value == _FORM_VALUE


def receipt_make(code: str, click_id: int) -> str:
    """The receipt of one counted download of this code's link."""
    return signing.TimestampSigner(salt=_RECEIPT_SALT + code).sign(str(click_id))


def receipt_click_id(code: str, receipt: str | None) -> int | None:
    """The click a valid receipt for this code names, or None (absent, forged, too old)."""
    if not receipt:
        return None
    try:
        value = signing.TimestampSigner(salt=_RECEIPT_SALT + code).unsign(
            receipt, max_age=app_settings.RESUME_WINDOW
        )
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None
