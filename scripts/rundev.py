"""`make run`: the app on its embedded defaults, with a local S3-compatible server.

Starts moto's S3 server on 127.0.0.1, creates the bucket with a demo file in it and the CORS
rule browser uploads need (PUT from the admin's origin, ETag exposed), migrates the SQLite
database, makes two demo accounts (the superuser `admin` and the staff member
`maria`; one password, kept in var/ and printed each time), writes what it started to
var/dev.env, then runs Django's development server. Ctrl-C stops both and removes the file.
Every value can be overridden from the environment.

manage.py reads var/dev.env, so `manage.py createshare` and friends run beside this without
any variable set by hand.
"""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
PORT = os.environ.get("PORT", "8000")
S3_PORT = os.environ.get("S3_PORT", "9100")

DEV_ENV = {
    "DEBUG": "true",
    "AWS_STORAGE_BUCKET_NAME": "sharelinks-dev",
    "AWS_S3_ENDPOINT_URL": f"http://{HOST}:{S3_PORT}",
    "AWS_S3_ADDRESSING_STYLE": "path",
    "AWS_S3_REGION_NAME": "us-east-1",
    # The emulator accepts any keys; these are not secrets and never reach AWS.
    "AWS_ACCESS_KEY_ID": "local-emulator",
    "AWS_SECRET_ACCESS_KEY": "local-emulator",
    "SHARELINKS_BASE_URL": f"http://{HOST}:{PORT}",
}
DATA_DIR = Path(os.environ.get("SHARELINKS_DATA_DIR", ROOT / "var"))
DEV_ENV_FILE = DATA_DIR / "dev.env"

# Something to share by key at once: the docs' createshare and doctor examples use it.
DEMO_KEY = "reports/q3-figures.csv"
DEMO_BODY = b"region,revenue\nnorth,1200\nsouth,950\n"


def wait_for(url: str, seconds: float = 20) -> None:
    """Poll url until it answers at all (any HTTP status) or give up."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)  # noqa: S310 (loopback only)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"the local S3 server did not answer on {url}")


def ports_check() -> None:
    """Stop at once, naming the variable, when another program holds a port we need: the
    servers would otherwise fail later, or talk to that program instead."""
    for name, port in (("PORT", PORT), ("S3_PORT", S3_PORT)):
        with socket.socket() as probe:
            if probe.connect_ex((HOST, int(port))) == 0:
                alternative = f"{name}={int(port) + 100} make run"
                sys.exit(f"port {port} is taken by another program: try {alternative}")


def demo_password() -> str:
    """The demo admin's password: made once, kept beside the database."""
    path = DATA_DIR / "demo-admin-password"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(12))
        path.chmod(0o600)
    return path.read_text().strip()


def s3_prepare() -> None:
    """The bucket, its CORS rule and the demo file, on the emulator just started (it keeps
    nothing). Django is set up: the rule is the app's own (sharelinks.uploads.cors_rules)."""
    import boto3

    from sharelinks.uploads import cors_rules

    client = boto3.client(
        "s3",
        endpoint_url=os.environ["AWS_S3_ENDPOINT_URL"],
        region_name=os.environ["AWS_S3_REGION_NAME"],
    )
    bucket = os.environ["AWS_STORAGE_BUCKET_NAME"]
    client.create_bucket(Bucket=bucket)
    client.put_object(Bucket=bucket, Key=DEMO_KEY, Body=DEMO_BODY, ContentType="text/csv")
    # The admin may be opened by either name; pages on both may upload (docs/uploads.md).
    rules = cors_rules(f"http://{HOST}:{PORT}", f"http://localhost:{PORT}")
    client.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})


def accounts_prepare(password: str) -> None:
    """The superuser `admin`, and `maria`, staff who may manage her own shares."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    users = get_user_model().objects
    admin, _ = users.get_or_create(username="admin", defaults={"email": "admin@example.com"})
    admin.is_staff = admin.is_superuser = True
    admin.set_password(password)
    admin.save()
    maria, _ = users.get_or_create(username="maria", defaults={"email": "maria@example.com"})
    maria.is_staff = True
    maria.password = admin.password  # one slow hash is enough
    maria.save()
    maria.user_permissions.set(
        Permission.objects.filter(content_type__app_label="sharelinks", content_type__model="share")
    )


def database_prepare() -> None:
    """Django set up, and its SQLite database migrated."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)


def runserver_start() -> subprocess.Popen:
    """Django's development server; its own process group, so that stopping it also stops
    the autoreloader's child."""
    return subprocess.Popen(  # noqa: S603
        [sys.executable, str(ROOT / "manage.py"), "runserver", f"{HOST}:{PORT}"],
        process_group=0,
    )


def shown(path: Path) -> str:
    """A path as a newcomer would type it: relative to the checkout when inside it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def dev_env_write() -> None:
    """What this run started, as KEY=VALUE lines for manage.py (see its read_dev_env)."""
    lines = [f"{name}={os.environ[name]}" for name in DEV_ENV]
    DEV_ENV_FILE.parent.mkdir(parents=True, exist_ok=True)
    DEV_ENV_FILE.write_text(
        "# Written by `make run` while it runs; manage.py reads it. Do not edit.\n"
        + "\n".join(lines)
        + "\n"
    )


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main() -> None:
    # Ctrl-C, a plain `kill` and a closed terminal all stop everything (a shell may start
    # us with SIGINT ignored when it runs us in the background).
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _interrupt)
    for name, value in DEV_ENV.items():
        os.environ.setdefault(name, value)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    sys.path.insert(0, str(ROOT))
    ports_check()
    bin_dir = Path(sys.executable).parent
    s3_server = subprocess.Popen(  # noqa: S603
        [str(bin_dir / "moto_server"), "-H", HOST, "-p", S3_PORT],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = None
    try:
        # Each step overlaps a server's start-up: the S3 server boots while the database is
        # migrated, the development server while the bucket and accounts are made.
        database_prepare()
        server = runserver_start()
        wait_for(os.environ["AWS_S3_ENDPOINT_URL"])
        s3_prepare()
        password = demo_password()
        accounts_prepare(password)
        dev_env_write()
        print(
            f"\n  sharelinks is starting on http://{HOST}:{PORT}/admin/\n"
            f"  log in as: admin / {password} (superuser), or maria / {password} (staff)\n"
            f"  local S3 server: {os.environ['AWS_S3_ENDPOINT_URL']} "
            f"(bucket {os.environ['AWS_STORAGE_BUCKET_NAME']}, in memory, "
            f"with {DEMO_KEY})\n"
            f"  manage.py beside this run reads {shown(DEV_ENV_FILE)}\n"
            "  Ctrl-C stops both.\n",
            flush=True,
        )
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGINT)
            server.wait(timeout=10)
        DEV_ENV_FILE.unlink(missing_ok=True)
        s3_server.terminate()
        s3_server.wait(timeout=10)


if __name__ == "__main__":
    main()
