"""End to end over real HTTP: the app on a live server, the S3 server, a real HTTP client.

These follow the link as a recipient's browser does: open the page, press Download, follow the 303
to the S3 server, and compare what arrives with what was shared.
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import unquote

import pytest
import requests

from sharelinks.models import Click, ClickOutcome
from tests.factories import ShareFactory
from tests.recipient import download_over_http, page_token

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_recipient_downloads_the_exact_bytes_under_the_shared_name(live_server):
    original = os.urandom(3 * 1024 * 1024 + 17)
    share = ShareFactory(filename="Résumé final.bin", body=original)
    response = download_over_http(live_server.url + share.path)
    assert [r.status_code for r in response.history] == [303]
    assert response.history[0].headers["Cache-Control"] == "no-store, private"
    assert response.status_code == 200
    assert response.content == original
    disposition = response.headers["Content-Disposition"]
    assert 'filename="Resume final.bin"' in disposition
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "Résumé final.bin"


def test_an_expired_link_shows_a_page_not_an_s3_error(live_server):
    from datetime import timedelta

    from django.utils import timezone

    share = ShareFactory(expires_at=timezone.now() - timedelta(minutes=1))
    response = requests.get(live_server.url + share.path, timeout=30)
    assert response.status_code == 410
    assert response.headers["Content-Type"].startswith("text/html")
    assert "This link has expired" in response.text
    assert "<Error>" not in response.text


def test_concurrent_clicks_never_exceed_the_download_limit(live_server):
    """20 clicks at once on a 5-download share: exactly 5 redirects, whatever the database."""
    share = ShareFactory(max_downloads=5)
    url = live_server.url + share.path
    start = threading.Barrier(20)

    def click(_):
        with requests.Session() as browser:
            token = page_token(browser.get(url, timeout=60))
            start.wait()  # everyone presses Download at once
            return browser.post(url, {"token": token}, allow_redirects=False, timeout=60)

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = [response.status_code for response in pool.map(click, range(20))]
    assert sorted(statuses) == [303] * 5 + [410] * 15
    share.refresh_from_db()
    assert share.download_count == 5
    redirected = Click.objects.filter(share=share, outcome=ClickOutcome.REDIRECTED).count()
    exhausted = Click.objects.filter(share=share, outcome=ClickOutcome.EXHAUSTED).count()
    assert (redirected, exhausted) == (5, 15)
