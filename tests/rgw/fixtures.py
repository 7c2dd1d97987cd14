"""Pytest fixtures for a throwaway one-node Ceph RADOS Gateway (real S3).

Import the fixture into a conftest.py or a test module::

    from tests.rgw.fixtures import rgw  # noqa: F401

``rgw`` is session-scoped: one cluster (mon + memstore OSD + radosgw) is
started on 127.0.0.1 on a free port in a temporary directory, and stopped at
the end of the session. It skips when radosgw is not installed (see
tests/rgw/install.sh).

The gateway checks SigV4 signatures, X-Amz-Expires and STS session-token
expiry like AWS does. Its clock can be moved with ``set_clock`` (restarts only
radosgw under libfaketime, ~0.5 s); header-signed calls (everything boto3
sends, AssumeRole included) are refused when the client clock differs from the
gateway's by more than 15 minutes, so a test that moves the gateway clock must
move the client clock too (e.g. with time-machine).

Only boto3, botocore and pytest are used here.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

CLUSTER_SH = Path(__file__).resolve().parent / "cluster.sh"

# Generous: a cold start takes ~3 s, but CI machines can be slow.
_START_TIMEOUT = 180
_CLOCK_TIMEOUT = 90


def _run(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(CLUSTER_SH), *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _parse_env(text: str) -> dict[str, str]:
    env = {}
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("export ") and "=" in line:
            key, _, value = line[len("export ") :].partition("=")
            env[key] = value
    return env


@dataclass
class RgwCluster:
    """A running gateway. Addresses, credentials and clock controls."""

    endpoint_url: str
    region: str
    access_key: str
    secret_key: str
    role_arn: str
    directory: Path
    clock: str = field(default="real")
    # One boto3 session for every client: a fresh session re-reads the
    # service models from disk, ~0.3 s per client.
    _session: Any = field(default=None, init=False, repr=False, compare=False)

    def _boto3_session(self):
        if self._session is None:
            self._session = boto3.session.Session()
        return self._session

    # ---- clients -------------------------------------------------------

    def s3_client(
        self,
        access_key: str | None = None,
        secret_key: str | None = None,
        session_token: str | None = None,
        credentials: dict[str, Any] | None = None,
    ):
        """A boto3 S3 client (SigV4, path-style addressing) for the gateway.

        Defaults to the test user's long-term keys; pass ``credentials`` (the
        dict returned by :meth:`assume_role`) or the three keys explicitly to
        act with temporary credentials.
        """
        if credentials is not None:
            access_key = credentials["AccessKeyId"]
            secret_key = credentials["SecretAccessKey"]
            session_token = credentials["SessionToken"]
        return self._boto3_session().client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=access_key or self.access_key,
            aws_secret_access_key=secret_key or self.secret_key,
            aws_session_token=session_token,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                retries={"max_attempts": 1},
            ),
        )

    def sts_client(self):
        """A boto3 STS client for the gateway, as the test user."""
        return self._boto3_session().client(
            "sts",
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=Config(retries={"max_attempts": 1}),
        )

    def assume_role(
        self, duration_seconds: int = 900, session_name: str = "sharelinks-tests"
    ) -> dict[str, Any]:
        """AssumeRole on the test role (s3:* on everything).

        Returns the ``Credentials`` dict: AccessKeyId, SecretAccessKey,
        SessionToken, Expiration (datetime). RGW accepts 900..3600 s (the
        role's MaxSessionDuration).
        """
        response = self.sts_client().assume_role(
            RoleArn=self.role_arn,
            RoleSessionName=session_name,
            DurationSeconds=duration_seconds,
        )
        return dict(response["Credentials"])

    # ---- clock -------------------------------------------------------------

    def set_clock(self, spec: str) -> None:
        """Restart radosgw (only) with its wall clock set by libfaketime.

        ``spec`` is a libfaketime spec: ``"+16m"``, ``"+8d"``, ``"-1h"``
        (offset from real time) or ``"@2026-12-06 12:00:00"`` (start at that
        instant, then tick). ``"real"`` restarts it on the real clock. The
        buckets and objects survive (they live in the OSD).
        """
        result = _run("set-clock", str(self.directory), spec, timeout=_CLOCK_TIMEOUT)
        if result.returncode != 0:
            raise RuntimeError(
                f"cluster.sh set-clock {spec!r} failed:\n{result.stdout}{result.stderr}"
            )
        self.clock = spec

    def reset_clock(self) -> None:
        """Put radosgw back on the real clock (no-op if it already is)."""
        if self.clock != "real":
            self.set_clock("real")

    @contextlib.contextmanager
    def clock_set_to(self, spec: str) -> Iterator[RgwCluster]:
        """``with rgw.clock_set_to("+16m"):`` ... real clock again afterwards."""
        self.set_clock(spec)
        try:
            yield self
        finally:
            self.reset_clock()


@pytest.fixture(scope="session")
def rgw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RgwCluster]:
    """A one-node Ceph RADOS Gateway on 127.0.0.1 for the whole session."""
    if shutil.which("radosgw") is None:
        pytest.skip("radosgw is not installed: run tests/rgw/install.sh")

    directory = tmp_path_factory.mktemp("rgw")
    port = _free_port()
    result = _run("start", str(directory), str(port), timeout=_START_TIMEOUT)
    if result.returncode != 0:
        _run("stop", str(directory), timeout=60)
        pytest.fail(
            f"could not start the test RADOS Gateway (cluster.sh start):\n"
            f"{result.stdout}{result.stderr}",
            pytrace=False,
        )
    try:
        env = _parse_env(_run("env", str(directory), timeout=30).stdout)
        cluster = RgwCluster(
            endpoint_url=env["RGW_ENDPOINT_URL"],
            region=env["RGW_REGION"],
            access_key=env["RGW_ACCESS_KEY_ID"],
            secret_key=env["RGW_SECRET_ACCESS_KEY"],
            role_arn=env["RGW_ROLE_ARN"],
            directory=directory,
        )
        yield cluster
    finally:
        _run("stop", str(directory), timeout=60)
