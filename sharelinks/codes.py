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
# A recipient's personal code: 18 bytes (144 bits), 24 characters. The length alone says
# which table holds a code, so each is found with one indexed lookup and the two kinds
# can never collide.
PERSONAL_CODE_BYTES = 18
PERSONAL_CODE_LENGTH = 24
CODE_PATTERN = rf"[A-Za-z0-9_-]{{{CODE_LENGTH}}}|[A-Za-z0-9_-]{{{PERSONAL_CODE_LENGTH}}}"
_CODE_RE = re.compile(rf"^(?:{CODE_PATTERN})$")


def code_generate() -> str:
    """Return a fresh random share code."""
    return secrets.token_urlsafe(CODE_BYTES)


def personal_code_generate() -> str:
    """Return a fresh random personal code (a recipient's own link)."""
    return secrets.token_urlsafe(PERSONAL_CODE_BYTES)


def code_is_personal(code: str) -> bool:
    """Whether a well-formed code is a recipient's personal one."""
    return len(code) == PERSONAL_CODE_LENGTH


def code_is_wellformed(code: str) -> bool:
    """True when code could have been made by code_generate (checked before any query)."""
    return bool(_CODE_RE.fullmatch(code))
