"""No share code reaches a log line: the codes are bearer secrets."""

import io
import logging
import os
import subprocess
import sys
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
    assert redact("GET /static/admin/css/base.css 200") == "GET /static/admin/css/base.css 200"
    # Everything after the prefix: /s/abc/../<code> would carry a code in a later segment.
    assert redact("https://files.example.com/s/abc/") == "https://files.example.com/s/[redacted]"


CODE = "AbCdEfGhIjKlMnOpQrStUv"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (f'"GET /S/{CODE} HTTP/1.1" 404', '"GET /S/[redacted] HTTP/1.1" 404'),
        (f'"GET /s//{CODE} HTTP/1.1" 404', '"GET /s/[redacted] HTTP/1.1" 404'),
        (f'"GET /%73/{CODE} HTTP/1.1" 200', '"GET /%73/[redacted] HTTP/1.1" 200'),
        (f'"GET /%53%2F{CODE} HTTP/1.1" 404', '"GET /%53%2F[redacted] HTTP/1.1" 404'),
        (f'"GET /s/./{CODE} HTTP/1.1" 404', '"GET /s/[redacted] HTTP/1.1" 404'),
        (f'"GET //s/{CODE}?lang=ja HTTP/1.1"', '"GET //s/[redacted]?lang=ja HTTP/1.1"'),
        (
            f'"GET /admin/sharelinks/share/?q={CODE}&o=1 HTTP/1.1" 200',
            '"GET /admin/sharelinks/share/?q=[redacted]&o=1 HTTP/1.1" 200',
        ),
        (
            f"/admin/sharelinks/click/?share__code__exact={CODE}",
            "/admin/sharelinks/click/?share__code__exact=[redacted]",
        ),
    ],
)
def test_codes_are_redacted_in_every_spelling_of_their_path_and_in_searches(line, expected):
    assert redact(line) == expected


def test_a_traceback_mentioning_a_code_is_redacted_too():
    try:
        raise ValueError(f"no route for /s/{CODE}")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    assert RedactShareCodes().filter(record)
    text = logging.Formatter().format(record)
    assert "no route for /s/[redacted]" in text
    assert CODE not in text


@pytest.mark.django_db
def test_a_click_on_an_odd_spelling_of_a_link_is_logged_without_its_code(client, console):
    assert client.get(f"/S/{CODE}").status_code == 404
    assert client.get(f"/s//{CODE}").status_code == 404
    output = console.getvalue()
    assert "Not Found: /S/[redacted]" in output
    assert CODE not in output


def test_share_codes_are_redacted_with_debug_on_too(tmp_path):
    # DEBUG (as `make run` sets it) adds Django's own console handler; it must not print
    # the path either. A real process, since logging is configured once at start-up.
    code = "SECRETSECRETSECRET1234"
    env = {
        **os.environ,
        "DEBUG": "true",
        "SHARELINKS_DATA_DIR": str(tmp_path),
        "ALLOWED_HOSTS": "testserver",
        "AWS_STORAGE_BUCKET_NAME": "sharelinks-test",
    }
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], env=env, check=True)
    script = (
        f"import django; django.setup(); from django.test import Client; Client().get('/s/{code}')"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    output = result.stderr + result.stdout
    assert "Not Found: /s/[redacted]" in output
    assert code not in output
