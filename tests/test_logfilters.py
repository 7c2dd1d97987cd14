"""No share code reaches a log line: the codes are bearer secrets."""

import io
import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from sharelinks.logfilters import RedactShareCodes, redact
from tests.factories import ShareFactory


@pytest.fixture
def console():
    """The configured console handler, writing into a buffer for the test."""
    handler = next(
        h
        for h in logging.getLogger().handlers
        if isinstance(h, logging.StreamHandler)
        and any(isinstance(f, RedactShareCodes) for f in h.filters)
    )
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


@pytest.mark.django_db
def test_a_refused_click_is_logged_without_its_code(client, console):
    share = ShareFactory(expires_at=timezone.now() - timedelta(days=1))
    assert client.get(share.path).status_code == 410
    assert client.get("/s/" + "Z" * 22).status_code == 404
    output = console.getvalue()
    assert "Gone: /s/[redacted]" in output
    assert "Not Found: /s/[redacted]" in output
    assert share.code not in output
    assert "Z" * 22 not in output


def test_runserver_style_records_with_arguments_are_redacted():
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s %s',
        ("GET /s/AbCdEfGhIjKlMnOpQrStUv?x=1 HTTP/1.1", "302", "0"),
        None,
    )
    assert RedactShareCodes().filter(record)
    assert record.getMessage() == '"GET /s/[redacted]?x=1 HTTP/1.1" 302 0'


def test_other_paths_are_left_alone():
    assert redact("GET /admin/sharelinks/share/ 200") == "GET /admin/sharelinks/share/ 200"
    assert redact("https://files.example.com/s/abc/") == "https://files.example.com/s/[redacted]/"
