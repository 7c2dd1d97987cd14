"""Share codes: the unguessable part of a short link.

A code is 16 bytes (128 bits) from the operating system's CSPRNG, base64url without
padding: 22 characters of [A-Za-z0-9_-]. At 128 bits, an attacker making a billion
guesses a second against a billion live shares still needs centuries for one hit, so the
code alone can be the bearer secret; nothing derived from time, ids or the file name.
"""

import re
import secrets

# Every short link is LINK_PREFIX + code; urls, models, middleware and log redaction read it here.
LINK_PREFIX = "/s/"
CODE_BYTES = 16
CODE_LENGTH = 22  # len(base64url(16 bytes)) without "=" padding
CODE_PATTERN = rf"[A-Za-z0-9_-]{{{CODE_LENGTH}}}"
_CODE_RE = re.compile(rf"^{CODE_PATTERN}$")


def code_generate() -> str:
    """Return a fresh random share code."""
    return secrets.token_urlsafe(CODE_BYTES)


def code_is_wellformed(code: str) -> bool:
    """True when code could have been made by code_generate (checked before any query)."""
    return bool(_CODE_RE.fullmatch(code))
