"""Content-Disposition for downloads, per RFC 6266 with RFC 5987 for non-ASCII names."""

import functools
import unicodedata
from urllib.parse import quote

# Characters a quoted-string fallback cannot carry safely in every browser.
_UNSAFE_FALLBACK = set('"\\/%;')


def ascii_fallback(filename: str) -> str:
    """An ASCII approximation of filename for clients that ignore filename*.

    Accents are stripped (é -> e) and anything still non-ASCII or unsafe becomes "_", so
    the extension survives and the file still opens with the right program.
    """
    decomposed = unicodedata.normalize("NFKD", filename)
    chars = []
    for char in decomposed:
        if unicodedata.combining(char):
            continue
        if char.isascii() and char.isprintable() and char not in _UNSAFE_FALLBACK:
            chars.append(char)
        else:
            chars.append("_")
    return "".join(chars).strip() or "download"


# Control, format (bidi overrides, zero-width), surrogate, private-use and unassigned
# characters, and line breaks: invisible or misleading in a file name. Spaces of every kind
# (the ideographic space of Japanese input, the no-break space) are kept.
_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def visible(text: str) -> str:
    """text without characters that are invisible or misleading in a file name."""
    return "".join(ch for ch in text if unicodedata.category(ch) not in _INVISIBLE)


@functools.lru_cache(maxsize=1024)
def content_disposition(filename: str) -> str:
    """`attachment; filename="<ASCII>"; filename*=UTF-8''<percent-encoded UTF-8>`.

    Cached: every click of a share signs its file name into the URL again, and building
    the header walks it character by character (a fifth of the whole presign).
    """
    name = visible(filename) or "download"
    return (
        f"attachment; filename=\"{ascii_fallback(name)}\"; filename*=UTF-8''{quote(name, safe='')}"
    )
