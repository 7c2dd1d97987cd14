"""What `make bench` measures: one line per request, and no request defined anywhere else.

Each line says what a request is (method, path, body, headers), which links' codes it
picks from, what it must answer, which load generator sends it, and how the report reads
it (its role). `GET /s/<code>` is the recipient's landing page; the counted download is
its button's `POST`, carrying the form token the page signs for the link: through a
share's general link, or through a person's own link where the share was sent to people
(its general link is then off). HEAD goes through benchmarks.headload, with a baseline
of its own sent by the same tool, because wrk cannot read an answer to HEAD.

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
FLOOR = "floor"  # the least a click costs: one statement and a 302 (benchmarks/urls.py)

# Pools of codes a request picks from, at random, over the whole table. The share pools
# hold only shares whose general link works: a share sent to people answers 410 on it.
DOWNLOADED = "downloaded"  # shares downloaded before: the click counts, no email
FRESH = "fresh"  # never downloaded: the click also queues the owner's first-download email
ANY = "any"  # every share with its general link on
PEOPLE = "people"  # personal links of people who downloaded before: counts, no email

# Load generators.
WRK = "wrk"  # benchmarks/wrk.lua
HEADLOAD = "headload"  # benchmarks/headload.py: HEAD, which wrk cannot measure

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
    token: str = ""  # dotted path of a function(share or person) -> str that fills {token}
    tool: str = WRK  # the load generator that sends it (a baseline of the same tool around it)
    clicks: bool = False  # each answer writes one click row (checked after each run)


def form_token(link) -> str:
    """The token the landing page signs for a link, a share's or a person's (it signs the
    code only); valid FORM_TOKEN_AGE (30 min), and the whole bench takes less."""
    from sharelinks.tokens import form_token as sign

    return sign(link.code)


TOKEN = "benchmarks.endpoints.form_token"  # noqa: S105 (a function's dotted path)
ENDPOINTS = (
    Endpoint("baseline", "GET", None, BASELINE, expect=200, path="/bench/baseline"),
    # wrk cannot send HEAD (it waits for a body the answer never has): HEAD /s/<code> is
    # read against a baseline that headload sends too, so the ratio compares like with like.
    Endpoint(
        "baseline HEAD",
        "HEAD",
        None,
        BASELINE,
        expect=200,
        path="/bench/baseline",
        tool=HEADLOAD,
    ),
    Endpoint("GET /s/<code>", "GET", ANY, PAGE, expect=200, clicks=True),
    Endpoint(
        "POST /s/<code>",
        "POST",
        DOWNLOADED,
        DOWNLOAD,
        expect=303,
        body="token={token}",
        headers=FORM,
        token=TOKEN,
        clicks=True,
    ),
    Endpoint(
        "POST /s/<person>",
        "POST",
        PEOPLE,
        DOWNLOAD,
        expect=303,
        body="token={token}",
        headers=FORM,
        token=TOKEN,
        clicks=True,
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
        clicks=True,
    ),
    # What link scanners send: the lookup and the object check, nothing counted or written.
    Endpoint("HEAD /s/<code>", "HEAD", ANY, CHECK, expect=200, tool=HEADLOAD),
    # The floors under a download, on PostgreSQL: its lookup alone, and its count and click
    # row alone, each one prepared statement and a 302 (benchmarks/urls.py).
    Endpoint("floor: read", "GET", DOWNLOADED, FLOOR, path="/bench/floor/read/{code}"),
    Endpoint(
        "floor: write", "GET", DOWNLOADED, FLOOR, path="/bench/floor/write/{code}", clicks=True
    ),
)
BASELINES = {endpoint.tool: endpoint for endpoint in ENDPOINTS if endpoint.role == BASELINE}
BASELINE_ENDPOINT = BASELINES[WRK]


def baseline_of(endpoint: Endpoint) -> Endpoint:
    """The baseline measured around an endpoint: the same load generator's."""
    return BASELINES[endpoint.tool]


def request_line(endpoint: Endpoint, code: str = "", token: str = "") -> str:
    """The request file's line for one link: path, a tab, the body (printable ASCII)."""
    path = endpoint.path.format(code=code, token=token)
    body = endpoint.body.format(code=code, token=token)
    for part in (path, body):
        if not (part.isascii() and part.isprintable()) or part != part.rstrip():
            raise ValueError(f"{endpoint.name}: not printable ASCII, or trailing space: {part!r}")
    return f"{path}\t{body}"


def requests_text(lines: list[str]) -> str:
    """The request file: the lines padded with spaces to one width, so wrk.lua (and
    headload) can pick line k of a large file without splitting it first."""
    width = max((len(line) for line in lines), default=0)
    return "".join(f"{line:<{width}}\n" for line in lines)


def slug(endpoint: Endpoint) -> str:
    """A file name for the endpoint's requests."""
    return "".join(ch if ch.isalnum() else "-" for ch in endpoint.name.lower()).strip("-")
