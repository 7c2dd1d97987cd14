"""`make run`: the app on its embedded defaults, with a local S3-compatible server.

Starts moto's S3 server on 127.0.0.1, creates the bucket with the CORS rule browser uploads
need (PUT from the admin's origin, ETag exposed), migrates the SQLite database, makes a demo
admin account (password kept in var/, printed each time), then runs Django's
development server. Ctrl-C stops both. Every value can be overridden from the environment.
"""

import os
import secrets
import signal
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


def demo_password() -> str:
    """The demo admin's password: made once, kept beside the database."""
    path = Path(os.environ.get("SHARELINKS_DATA_DIR", ROOT / "var")) / "demo-admin-password"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(12))
        path.chmod(0o600)
    return path.read_text().strip()


def prepare() -> str:
    """Bucket, migrations and demo account; returns the demo password."""
    import django
    from django.core.management import call_command

    django.setup()
    from django.contrib.auth import get_user_model

    from sharelinks import aws, uploads

    bucket = os.environ["AWS_STORAGE_BUCKET_NAME"]
    aws.bucket_create(bucket)
    # The admin may be opened by either name; both origins may upload (docs/uploads.md).
    origins = [f"http://{HOST}:{PORT}", f"http://localhost:{PORT}"]
    aws.bucket_cors_set(uploads.cors_rules(*origins), bucket)
    call_command("migrate", interactive=False, verbosity=0)
    password = demo_password()
    user, _ = get_user_model().objects.get_or_create(
        username="admin", defaults={"email": "admin@example.com"}
    )
    user.is_staff = user.is_superuser = True
    user.set_password(password)
    user.save()
    return password


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main() -> None:
    # Ctrl-C and a plain `kill` both stop everything (a shell may start us with SIGINT
    # ignored when it runs us in the background).
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    for name, value in DEV_ENV.items():
        os.environ.setdefault(name, value)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    sys.path.insert(0, str(ROOT))
    bin_dir = Path(sys.executable).parent
    s3_server = subprocess.Popen(  # noqa: S603
        [str(bin_dir / "moto_server"), "-H", HOST, "-p", S3_PORT],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(os.environ["AWS_S3_ENDPOINT_URL"])
        password = prepare()
        print(
            f"\n  sharelinks is starting on http://{HOST}:{PORT}/admin/\n"
            f"  log in as: admin / {password}\n"
            f"  local S3 server: {os.environ['AWS_S3_ENDPOINT_URL']} "
            f"(bucket {os.environ['AWS_STORAGE_BUCKET_NAME']}, in memory)\n"
            "  Ctrl-C stops both.\n",
            flush=True,
        )
        # Its own process group, so that stopping it also stops the autoreloader's child.
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, str(ROOT / "manage.py"), "runserver", f"{HOST}:{PORT}"],
            start_new_session=True,
        )
        try:
            server.wait()
        except KeyboardInterrupt:
            os.killpg(server.pid, signal.SIGINT)
            server.wait(timeout=10)
    finally:
        s3_server.terminate()
        s3_server.wait(timeout=10)


if __name__ == "__main__":
    main()
