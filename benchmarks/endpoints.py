"""What `make bench` measures: one line per request, and no request defined anywhere else.

Each line says what a request is (method, path, body, headers), which shares' codes it
picks from, what it must answer, and how the report reads it (its role). `GET /s/<code>`
is the recipient's landing page; the counted download is its button's `POST`, carrying
the form token the page signs for the link:

`{code}` in a path or body is the share's code; `{token}` is what the function named by
`token` returns for the share (called in the bench's Django process when the request
files are written, just before the server starts).
"""

from dataclasses import dataclass

# Roles: how the report reads a row.
BASELINE = "baseline"  # same app, same middleware, no database: the yardstick
DOWNLOAD = "download"  # a counted download: the targets apply
PAGE = "page"  # the recipient's landing page: must be no slower than the download
CHECK = "check"  # reported, no target (HEAD: what link scanners send)

# Pools of codes a request picks from, at random, over the whole table.
DOWNLOADED = "downloaded"  # shares downloaded before: the click counts, no email
FRESH = "fresh"  # never downloaded: the click also queues the owner's first-download email
ANY = "any"  # every share

FORM = (("Content-Type", "application/x-www-form-urlencoded"),)
# Sent with every request: the click log keeps the user agent, so send one of a usual size.
COMMON_HEADERS = (
    ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"),
)


@dataclass(frozen=True)
class Endpoint:
    """One measured request."""

    name: str
    method: str
    pool: str | None  # None: the path names no share
    role: str
    expect: int = 302  # the status every answer must have (checked before measuring)
    path: str = "/s/{code}"
    body: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    token: str = ""  # dotted path of a function(share) -> str that fills {token}


def form_token(share) -> str:
    """The token the landing page signs for the share's link (valid FORM_TOKEN_AGE: 30 min)."""
    from sharelinks.tokens import form_token as sign

    return sign(share.code)


TOKEN = "benchmarks.endpoints.form_token"  # noqa: S105 (a function's dotted path)
ENDPOINTS = (
    Endpoint("baseline", "GET", None, BASELINE, expect=200, path="/bench/baseline"),
    Endpoint("GET /s/<code>", "GET", ANY, PAGE, expect=200),
    Endpoint(
        "POST /s/<code>",
        "POST",
        DOWNLOADED,
        DOWNLOAD,
        expect=303,
        body="token={token}",
        headers=FORM,
        token=TOKEN,
    ),
    Endpoint(
        "POST /s/<code> 1st",
        "POST",
        FRESH,
        DOWNLOAD,
        expect=303,
        body="token={token}",
        headers=FORM,
        token=TOKEN,
    ),
)
# HEAD is not measured: the landing page answers HEAD with the page's Content-Length and no
# body (as HTTP says), and wrk, which does not tell its parser the request was a HEAD,
# then waits for a body that never comes. HEAD's behaviour is specified by the tests.
BASELINE_ENDPOINT = next(endpoint for endpoint in ENDPOINTS if endpoint.role == BASELINE)


def request_line(endpoint: Endpoint, code: str = "", token: str = "") -> str:
    """The request file's line for one share: path, a tab, the body (printable ASCII)."""
    path = endpoint.path.format(code=code, token=token)
    body = endpoint.body.format(code=code, token=token)
    for part in (path, body):
        if not (part.isascii() and part.isprintable()) or part != part.rstrip():
            raise ValueError(f"{endpoint.name}: not printable ASCII, or trailing space: {part!r}")
    return f"{path}\t{body}"


def requests_text(lines: list[str]) -> str:
    """The request file: the lines padded with spaces to one width, so wrk.lua can pick
    line k of a large file without splitting it first."""
    width = max((len(line) for line in lines), default=0)
    return "".join(f"{line:<{width}}\n" for line in lines)


def slug(endpoint: Endpoint) -> str:
    """A file name for the endpoint's requests."""
    return "".join(ch if ch.isalnum() else "-" for ch in endpoint.name.lower()).strip("-")
