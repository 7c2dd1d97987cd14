"""The bench's server as production runs it, in an environment built from scratch: what
the server and the fill get, and what the output says about the app settings passed on."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from benchmarks import services
from benchmarks.fill import BUCKET

# Without a broker the worker's mail thread renders and writes each email after the answer,
# to gunicorn's stdout: /dev/null.
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
KEPT_ENVIRONMENT = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR")
# App settings to try (SHARELINKS_VERIFY_OBJECT_ON_CLICK=false make bench) reach the server;
# the report's header names them.
APP_SETTINGS = {
    name: value
    for name, value in os.environ.items()
    if name.startswith("SHARELINKS_") and name not in ("SHARELINKS_DATA_DIR", "SHARELINKS_BASE_URL")
}
FALSE = ("0", "false", "no", "off")
# One key for the whole run: the fill signs each share's form token, the server checks it.
RUN_SECRET_KEY = secrets.token_urlsafe(50)


def server_env(
    database_url: str, broker_url: str | None, s3: services.S3Server, work: Path
) -> dict[str, str]:
    """The whole environment of the server (and of the fill): nothing leaks in from ours."""
    env = {name: os.environ[name] for name in KEPT_ENVIRONMENT if name in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="benchmarks.settings",
        DEBUG="false",
        SECRET_KEY=RUN_SECRET_KEY,  # the fill signs the form tokens the server checks
        ALLOWED_HOSTS=services.LOOPBACK,
        SHARELINKS_DATA_DIR=str(work / "data"),
        SHARELINKS_BASE_URL="https://files.example.com",
        DATABASE_URL=database_url,
        EMAIL_BACKEND=EMAIL_BACKEND,
        LOG_LEVEL="WARNING",
        CELERY_TASK_DEFAULT_QUEUE="sharelinks-bench",
        **services.OFFLINE_AWS,
        AWS_STORAGE_BUCKET_NAME=BUCKET,
        AWS_S3_ENDPOINT_URL=s3.endpoint,
        AWS_S3_ADDRESSING_STYLE="path",
        AWS_S3_REGION_NAME="us-east-1",
    )
    env.update(APP_SETTINGS)
    if broker_url:
        env["CELERY_BROKER_URL"] = broker_url
    return env


def fill(env: dict[str, str], args: list[str]) -> dict:
    """Run benchmarks.fill with the server's environment; its JSON summary."""
    done = subprocess.run(  # noqa: S603 -- our interpreter, our arguments
        [sys.executable, "-m", "benchmarks.fill", *args],
        cwd=services.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"filling the database failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


def object_check() -> str:
    """What the output says about SHARELINKS_VERIFY_OBJECT_ON_CLICK."""
    if APP_SETTINGS.get("SHARELINKS_VERIFY_OBJECT_ON_CLICK", "true").lower() in FALSE:
        return "the object check on click is off (set so in the environment): no S3 request"
    return (
        "the object check on click is on (the default): clicks trust the presence survey"
        " run after the fill; a HEAD (to a local moto server in the bench's process) only"
        " for shares it has not seen"
    )
