"""gunicorn run as the docs say (-c python:project.gunicorn_conf) logs no share code.

Its own error log prints the request line of a malformed request ("Invalid HTTP request
line: 'GET /s/<code>'") and the path of a request its worker timeout killed; its access
log prints the request line in whatever spelling the client used. A real gunicorn, real
sockets, and a worker timeout forced by an S3 endpoint that never answers.
"""

import gc
import os
import socket
import subprocess
import sys
import time

import pytest

from tests.faults import FaultProxy, closed_port

CODE = "SECRETSECRETSECRETabc1"  # the share's
OTHER = "SECRETSECRETSECRETxyz9"  # no share's (/%73/<code> would reach the share itself)
PATHS = [f"/S/{OTHER}", f"/s//{OTHER}", f"/%73/{OTHER}", f"/s/./{OTHER}", f"/admin/?q={OTHER}"]
MALFORMED = [f"GET /s/{CODE}\r\n\r\n", f"GET  /s/{CODE} HTTP/1.1\r\nHost: x\r\n\r\n"]


def send(port: int, raw: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(raw.encode())
        return conn.recv(100)


def wait_until_listening(port: int, process: subprocess.Popen) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise AssertionError(process.communicate()[1])
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("gunicorn did not start")


@pytest.fixture
def site(tmp_path):
    """An environment with a migrated SQLite database holding one share, and S3 silent."""
    with FaultProxy(mode="hold") as silent_s3:
        env = {
            **os.environ,
            "SHARELINKS_DATA_DIR": str(tmp_path),
            "ALLOWED_HOSTS": "127.0.0.1,x",
            "AWS_STORAGE_BUCKET_NAME": "sharelinks-test",
            "AWS_S3_ENDPOINT_URL": silent_s3.url("http"),
            "SHARELINKS_S3_READ_TIMEOUT": "60",
            "SHARELINKS_CLICK_DEADLINE": "0",  # nothing but gunicorn's timeout ends the wait
        }
        env.pop("DATABASE_URL", None)
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, timeout=120)
        make_share = (
            f"from tests.factories import ShareFactory; ShareFactory(code={CODE!r}, body=False)"
        )
        subprocess.run([*manage, "shell", "-c", make_share], env=env, check=True, timeout=120)
        yield env


def test_neither_gunicorn_log_shows_a_share_code(site, hang_guard):
    port = closed_port()
    command = [
        sys.executable, "-m", "gunicorn", "-c", "python:project.gunicorn_conf", "project.wsgi",
        "--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "3", "--no-control-socket",
    ]  # fmt: skip
    process = subprocess.Popen(command, env=site, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_until_listening(port, process)
        for raw in MALFORMED:
            assert send(port, raw).startswith(b"HTTP/1.1 400")
        for path in PATHS:
            send(port, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        # S3 never answers the object check: the arbiter kills the worker mid-request.
        send(port, f"GET /s/{CODE} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    finally:
        process.terminate()
        out, err = process.communicate(timeout=60)
    log = (out + err).decode()
    assert CODE not in log
    assert OTHER not in log
    assert "Invalid HTTP request line: 'GET /s/[redacted]'" in log
    assert "WORKER TIMEOUT" in log
    assert "Error handling request GET /s/[redacted]" in log
    for spelling in ('"GET /S/[redacted] HTTP/1.1" 404', '"GET /%73/[redacted] HTTP/1.1" 404'):
        assert spelling in log
    assert '"GET /admin/?q=[redacted] HTTP/1.1"' in log


def test_a_worker_freezes_what_it_loaded_so_that_full_collections_skip_it():
    # gunicorn calls post_worker_init once the worker has loaded the app. Afterwards the
    # collector tracks none of it: the URLconf's views included, loaded by the hook itself.
    from project import gunicorn_conf
    from sharelinks import views

    gc.unfreeze()
    try:
        gunicorn_conf.post_worker_init(worker=None)
        assert gc.get_freeze_count() > 10_000
        assert not any(tracked is views.share_link for tracked in gc.get_objects())
    finally:
        gc.unfreeze()
    assert any(tracked is views.share_link for tracked in gc.get_objects())
