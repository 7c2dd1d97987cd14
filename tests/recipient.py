"""What a recipient's browser does with a short link: open the page, press Download."""

import re

from sharelinks.tokens import RECEIPT_COOKIE

_TOKEN = re.compile(r'name="token" value="([^"]+)"')


def page_token(response) -> str:
    """The form token the landing page signed for its link."""
    found = _TOKEN.search(response.content.decode())
    assert found, "no Download form on the page"
    return found.group(1)


def download(client, path: str, *, password: str | None = None, same_browser=False, **extra):
    """GET the landing page, then POST its form as the Download button does.

    Each call is a new browser unless same_browser: the receipt a counted download leaves
    would otherwise turn the next download into an uncounted resumption.
    """
    if not same_browser:
        client.cookies.pop(RECEIPT_COOKIE, None)
    page = client.get(path, **extra)
    assert page.status_code == 200, page.status_code
    data = {"token": page_token(page)}
    if password is not None:
        data["password"] = password
    return client.post(path, data, **extra)


def download_over_http(url: str, *, timeout: float = 30, **kwargs):
    """The same over real HTTP (requests); kwargs go to the POST (allow_redirects=False...).

    A link that shows no landing page (410, 404, 503) answers with that page.
    """
    import requests

    with requests.Session() as session:
        page = session.get(url, timeout=timeout)
        if page.status_code != 200:  # no button to press: what the person sees is the page
            return page
        return session.post(url, data={"token": page_token(page)}, timeout=timeout, **kwargs)
