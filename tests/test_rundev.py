"""`make run` as a newcomer meets it: the runner starts everything, prints a login, and the
admin, an upload from the browser's path, the short link and the download all work; the
local S3 server takes the admin page's parts (CORS); stopping it frees both ports.

The runner is started as its own process (scripts/rundev.py, what `make run` calls) with
its database in a scratch directory and on free ports, and driven over real HTTP.
"""

import hashlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import unquote

import pytest
import requests

from tests.recipient import download_over_http
from tests.uploader import ADD, AdminUploader, log_in

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def dev_server(tmp_path):
    """scripts/rundev.py on free ports; yields (base URL, the printed password, S3 URL)."""
    port, s3_port = free_port(), free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SHARELINKS_"))},
        "PORT": str(port),
        "S3_PORT": str(s3_port),
        "SHARELINKS_DATA_DIR": str(tmp_path),
    }
    env.pop("DATABASE_URL", None)
    runner = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "rundev.py")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    password = None
    deadline = time.monotonic() + 120
    while password is None and time.monotonic() < deadline:
        line = runner.stdout.readline()
        assert line, "the runner stopped before printing a login"
        if match := re.search(r"log in as: admin / (\S+)", line):
            password = match.group(1)
    # Keep reading what the servers print, so a full pipe can never stall them.
    threading.Thread(target=runner.stdout.read, daemon=True).start()
    while not port_open(port) and time.monotonic() < deadline:
        time.sleep(0.2)
    try:
        yield f"http://127.0.0.1:{port}", password, f"http://127.0.0.1:{s3_port}"
    finally:
        runner.send_signal(signal.SIGTERM)
        runner.wait(timeout=30)
    assert not port_open(port), "the development server is still running"
    assert not port_open(s3_port), "the local S3 server is still running"


def test_a_newcomer_logs_in_uploads_and_downloads_through_the_short_link(dev_server):
    base, password, s3 = dev_server
    # The CORS rule `make run` sets: a page on the admin's origin may PUT parts, read ETag.
    for origin in (base, base.replace("127.0.0.1", "localhost")):
        preflight = requests.options(
            f"{s3}/sharelinks-dev/shares/x/part",
            headers={"Origin": origin, "Access-Control-Request-Method": "PUT"},
            timeout=30,
        )
        assert preflight.status_code == 200
        assert preflight.headers["Access-Control-Allow-Origin"] == origin
        assert "PUT" in preflight.headers["Access-Control-Allow-Methods"]
        assert preflight.headers["Access-Control-Expose-Headers"] == "ETag"

    staff = log_in(base, "admin", password)
    uploader = AdminUploader(staff, base)
    expiry_day = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 3 * 86400))
    fields = {"expires_at_0": expiry_day, "expires_at_1": "12:00:00", "notify_downloads": "first"}
    assert uploader.check(fields, "見積書 2026.pdf", 200_000).status_code == 200

    # The browser's path: parts to the local S3 server, the form with the upload's handle.
    uploaded = uploader.upload("見積書 2026.pdf", 200_000, part_size=5 * 1024 * 1024)
    created = staff.post(
        base + ADD,
        data={"csrfmiddlewaretoken": uploader.csrf, "upload": uploaded.handle, **fields},
        timeout=60,
    )
    assert created.status_code == 200
    links = set(re.findall(rf"{re.escape(base)}/s/[A-Za-z0-9_-]{{22}}", created.text))
    assert len(links) == 1, created.text[:2000]

    download = download_over_http(links.pop(), timeout=60)  # a recipient: a new browser
    assert [hop.status_code for hop in download.history] == [303]
    assert len(download.content) == 200_000
    part_etag = uploaded.part_etags[0]["ETag"].strip('"')
    assert hashlib.md5(download.content).hexdigest() == part_etag  # noqa: S324
    disposition = download.headers["Content-Disposition"]
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "見積書 2026.pdf"
