"""`make run` as a newcomer meets it: the runner starts everything, prints a login, and the
admin, an upload along the browser's path (the local S3 server takes the admin page's parts:
CORS), the short link and the download all work; the docs' `manage.py` commands work beside
it with no variable set by hand; stopping it frees both ports.

The runner is started as its own process (scripts/rundev.py, what `make run` calls) with
its database in a scratch directory and on free ports, and driven over real HTTP.
"""

import hashlib
import os
import re
import shlex
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
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def documented_commands() -> list[str]:
    """Every `.venv/bin/python manage.py ...` command in the README's and docs' sh blocks.

    Those are the commands a newcomer runs beside `make run`, so each must work verbatim.
    """
    commands = []
    for page in DOCS:
        for block in re.findall(r"```sh\n(.*?)```", page.read_text(), flags=re.DOTALL):
            for command in block.replace("\\\n", " ").splitlines():
                if command.startswith(".venv/bin/python manage.py "):
                    commands.append(command)
    return commands


def environment_without_settings() -> dict[str, str]:
    """This process's environment less every setting the runner chooses by itself."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SHARELINKS_"))}
    env.pop("DATABASE_URL", None)
    env.pop("DEBUG", None)
    return env


def free_ports(count: int) -> list[int]:
    """Ports free now, all different: each probe stays bound until all are, or the system
    may hand the port just released out again (the app and S3 once got the same one)."""
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def csrf(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=30)
    assert page.status_code == 200, page.text[:300]
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


@pytest.fixture
def dev_server(tmp_path):
    """scripts/rundev.py on free ports; yields (base URL, the printed password, S3 URL)."""
    port, s3_port = free_ports(2)
    env = {
        **environment_without_settings(),
        "PORT": str(port),
        "S3_PORT": str(s3_port),
        "SHARELINKS_DATA_DIR": str(tmp_path),
    }
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
    assert not (tmp_path / "dev.env").exists(), "a stopped run left its settings"


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


def test_the_docs_manage_py_commands_work_beside_the_runner_with_no_variables_set(
    dev_server, tmp_path
):
    base, password, _ = dev_server
    commands = documented_commands()
    assert any(" createshare " in command for command in commands)
    assert "SHARELINKS_BASE_URL=" in (tmp_path / "dev.env").read_text()
    # Only where the runner keeps its data, as `make run` in a fresh clone needs nothing.
    env = {**environment_without_settings(), "SHARELINKS_DATA_DIR": str(tmp_path)}
    links = []
    for command in commands:
        argv = shlex.split(command, comments=True)
        result = subprocess.run(
            [sys.executable, *argv[1:]], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, f"{command}\n{result.stdout}{result.stderr}"
        if argv[2] == "createshare":
            assert re.fullmatch(rf"{re.escape(base)}/s/[A-Za-z0-9_-]{{22}}\n", result.stdout)
            links.append((argv, result.stdout.strip()))

    # The share of the demo file that `make run` put in the bucket downloads it.
    by_key = [link for argv, link in links if "--key" in argv]
    assert by_key, "the docs show no createshare --key example"
    download = download_over_http(by_key[0], timeout=60)
    assert download.status_code == 200
    assert download.content.startswith(b"region,revenue\n")

    # The demo staff member the examples name owns them and may sign in.
    staff = requests.Session()
    token = csrf(staff, f"{base}/admin/login/")
    page = staff.post(
        f"{base}/admin/login/?next=/admin/sharelinks/share/",
        data={"username": "maria", "password": password, "csrfmiddlewaretoken": token},
        timeout=30,
    )
    assert page.status_code == 200
    assert page.text.count("/s/") >= len(links)


def test_the_real_environment_wins_over_the_runners_file(tmp_path, monkeypatch):
    import manage

    (tmp_path / "dev.env").write_text("# a comment\nDEBUG=true\nSHARELINKS_BASE_URL=http://a\n")
    monkeypatch.setenv("SHARELINKS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SHARELINKS_BASE_URL", "https://files.example.com")
    monkeypatch.delenv("DEBUG", raising=False)
    manage.read_dev_env()
    assert os.environ["SHARELINKS_BASE_URL"] == "https://files.example.com"
    assert os.environ["DEBUG"] == "true"
