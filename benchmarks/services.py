"""What the bench starts and must stop: a scratch database, a Redis db, S3, gunicorn.

Each is a context manager that undoes itself on the way out, exception or Ctrl-C alike,
and touches only what it made: its own database, its own Redis db number, its own
processes by their id.
"""

import atexit
import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"

# Made-up keys and no shared AWS files: presigning is offline, and the emulator accepts any
# signature. Every process of the bench (the server, the fill, the presign rows) uses them.
OFFLINE_AWS = {
    "AWS_ACCESS_KEY_ID": "AKIDBENCHMARK",
    "AWS_SECRET_ACCESS_KEY": "bench-secret",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}


@contextlib.contextmanager
def postgres_database(server_url: str, name: str) -> Iterator[str]:
    """Create database `name` on the server, yield its URL, drop it afterwards."""
    import psycopg
    from psycopg import sql

    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    with psycopg.connect(server_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(statement)
    try:
        yield urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
    finally:
        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        with psycopg.connect(server_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(drop)


def postgres_version(server_url: str) -> str:
    import psycopg

    with psycopg.connect(server_url, connect_timeout=5) as conn:
        return conn.execute("SHOW server_version").fetchone()[0]


@contextlib.contextmanager
def redis_database(url: str) -> Iterator[str]:
    """Yield the URL of a Redis db that answers; empty that db (FLUSHDB) afterwards."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=5)
    client.ping()
    try:
        yield url
    finally:
        client.flushdb()
        client.close()


class S3Server:
    """A moto S3 server on loopback holding one object, counting the HEADs it answers.

    The app HEADs a share's object on a click (SHARELINKS_VERIFY_OBJECT_ON_CLICK, on by
    default) unless it found it recently; presigning itself never leaves the process.
    moto accepts any signature. Its request log is counted, not printed.
    """

    def __init__(self, bucket: str, key: str) -> None:
        self.bucket, self.key = bucket, key
        self.heads = 0
        self.endpoint = ""
        self._server = None
        self._log = logging.getLogger("werkzeug")
        self._counter = _HeadCounter(self)

    def __enter__(self) -> "S3Server":
        from moto.server import ThreadedMotoServer

        self._saved = self._log.level, self._log.propagate
        self._log.setLevel(logging.INFO)
        self._log.propagate = False
        self._log.addHandler(self._counter)
        self._server = ThreadedMotoServer(ip_address=LOOPBACK, port=0, verbose=False)
        self._server.start()
        try:
            host, port = self._server.get_host_and_port()
            self.endpoint = f"http://{host}:{port}"
            for path, body in ((f"/{self.bucket}", b""), (f"/{self.bucket}/{self.key}", b"%PDF")):
                status = http_request(port, "PUT", path, body)[0]
                if status != 200:
                    raise RuntimeError(f"the S3 emulator answered PUT {path} with {status}")
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self._server.stop()
        self._log.removeHandler(self._counter)
        self._log.level, self._log.propagate = self._saved


class _HeadCounter(logging.Handler):
    def __init__(self, server: S3Server) -> None:
        super().__init__()
        self.server = server

    def emit(self, record: logging.LogRecord) -> None:
        if '"HEAD ' in record.getMessage():
            self.server.heads += 1


def http_request(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes, dict[str, str]]:
    """One request to a loopback server: its status, body and headers."""
    conn = HTTPConnection(LOOPBACK, port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        answer = conn.getresponse()
        return answer.status, answer.read(), dict(answer.getheaders())
    finally:
        conn.close()


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


class Gunicorn:
    """gunicorn as production runs it (sync workers), on a free loopback port."""

    def __init__(self, env: dict[str, str], log: Path, workers: int = 2) -> None:
        self.env, self.log, self.workers = env, log, workers
        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Gunicorn":
        args = [sys.executable, "-m", "gunicorn", "project.wsgi:application"]
        args += [f"--bind={LOOPBACK}:{self.port}", f"--workers={self.workers}"]
        args += ["--worker-class=sync", "--log-level=warning", "--no-control-socket"]
        with self.log.open("ab") as log:
            # Its own session: a Ctrl-C reaches the bench, which stops the server after
            # wrk and before dropping the database. stdout is the console email backend's.
            self.process = subprocess.Popen(  # noqa: S603 -- our interpreter, fixed args
                args,
                cwd=ROOT,
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=log,
                start_new_session=True,
            )
        atexit.register(self.stop)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited with {self.process.returncode}:\n{self.tail()}"
                )
            with contextlib.suppress(OSError):
                if http_request(self.port, "GET", "/bench/baseline")[0] == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s:\n{self.tail()}")

    def stop(self) -> None:
        """TERM to the master (it stops its workers), KILL to its group if it lingers."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # the group this process leads
            process.wait(timeout=10)

    def tail(self, lines: int = 30) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def configure(data_dir: str, bucket: str = "bench-bucket") -> None:
    """For the in-process benches (presign, sign-in): the project's settings with made-up
    keys and a private data directory; neither S3 nor a database server is reached."""
    os.environ.update(
        DJANGO_SETTINGS_MODULE="project.settings",
        SHARELINKS_DATA_DIR=data_dir,
        **OFFLINE_AWS,
        AWS_STORAGE_BUCKET_NAME=bucket,
        AWS_S3_REGION_NAME="eu-west-1",
    )
