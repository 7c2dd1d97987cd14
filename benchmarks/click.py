"""`make bench`: the click path measured as ratios against baselines timed in the same run.

Machines here are shared and noisy, so absolute times mean little; a ratio of two things
measured side by side, best of several rounds, does. Everything runs in-process through
Django's test client on a throwaway SQLite database (or DATABASE_URL if set), with moto's
S3 server on loopback, so what is measured is the app's own work: lookup, conditional
UPDATE, click row, presign, and the HEAD of the object when it is not remembered.

Rows:
  baseline: a malformed code, answered without the database (routing, middleware, page)
  click:    a full counted click (lookup, UPDATE, INSERT, presign, 302), the object
            remembered as present; and the same when the object is HEADed first
  head:     HEAD on the same share (lookup only)
  presign:  one presign on the shared client, vs a fresh boto3 client per presign
On PostgreSQL (DATABASE_URL=postgres://.../a_scratch_database make bench) a row also shows
the click when each request opens its own connection, the case CONN_MAX_AGE prevents.
"""

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROUNDS = 5
CLICKS = 400
PRESIGNS = 2000
FRESH_CLIENTS = 20


def configure(data_dir: str) -> None:
    """Embedded defaults in a scratch directory; made-up keys (presigning is offline)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    os.environ["SHARELINKS_DATA_DIR"] = data_dir
    os.environ.setdefault("AWS_STORAGE_BUCKET_NAME", "bench-bucket")
    os.environ.setdefault("SHARELINKS_BASE_URL", "https://files.example.com")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "AKIDBENCHMARK")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench-secret")
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    # The owner's download emails are rendered and "sent" into memory, not printed.
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    os.environ["LOG_LEVEL"] = "ERROR"
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def best_per_call(fn: Callable[[], object], calls: int) -> float:
    """Best of ROUNDS rounds, in seconds per call."""
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def main() -> None:
    from moto.server import ThreadedMotoServer

    # The click HEADs the object (then remembers it): a real S3 emulator answers over HTTP.
    s3_server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    s3_server.start()
    host, port = s3_server.get_host_and_port()
    os.environ["AWS_S3_ENDPOINT_URL"] = f"http://{host}:{port}"
    os.environ["AWS_S3_ADDRESSING_STYLE"] = "path"
    try:
        with tempfile.TemporaryDirectory() as data_dir:
            configure(data_dir)
            import django
            from django.core.management import call_command

            django.setup()
            call_command("migrate", verbosity=0)
            run()
    finally:
        s3_server.stop()


def run() -> None:
    from datetime import timedelta

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.test import Client
    from django.utils import timezone

    from sharelinks import aws
    from sharelinks.models import Share

    owner, _ = get_user_model().objects.get_or_create(username="bench", is_staff=True)
    aws.bucket_create("bench-bucket")
    aws.get_client().put_object(Bucket="bench-bucket", Key="reports/figures.pdf", Body=b"%PDF")
    share = Share.objects.create(
        owner=owner,
        bucket="bench-bucket",
        key="reports/figures.pdf",
        filename="見積書 2026.pdf",
        content_type="application/pdf",
        size=1,
        expires_at=timezone.now() + timedelta(days=30),
    )
    client = Client(REMOTE_ADDR="192.0.2.1", HTTP_HOST="localhost")
    settings.SHARELINKS_GUESS_LIMIT = 10**9  # the baseline is thousands of unknown codes

    def click():
        assert client.get(share.path).status_code == 302

    def click_checking_the_object():
        cache.clear()  # forget that the object was found: this click HEADs it
        click()

    def head():
        assert client.head(share.path).status_code == 302

    def baseline():
        assert client.get("/s/malformed").status_code == 404

    params = {"bucket": "b", "key": "k", "filename": "f.pdf", "content_type": "", "expires_in": 60}

    def fresh_client_presign():
        aws.client._reset_on_setting_change(setting="AWS_S3_ENDPOINT_URL")
        aws.presigned_get_url(**params)

    response = client.get(share.path)  # warm up: first client, templates, connections
    assert response.status_code == 302, response.content.decode()[:2000]
    rows = {
        "baseline (malformed code, no database)": best_per_call(baseline, CLICKS),
        "click (lookup, UPDATE, INSERT, presign)": best_per_call(click, CLICKS),
        "click, object not remembered (adds a HEAD)": best_per_call(
            click_checking_the_object, CLICKS // 4
        ),
        "head (lookup only)": best_per_call(head, CLICKS),
    }
    rows.update(_notifying_rows(owner, client))
    if _vendor() == "postgresql":
        rows["click, new connection per request"] = _without_persistent_connections(click)
    shared = best_per_call(lambda: aws.presigned_get_url(**params), PRESIGNS)
    fresh = best_per_call(fresh_client_presign, FRESH_CLIENTS)
    base = rows["baseline (malformed code, no database)"]
    print(f"database: {_vendor()}   rounds: best of {ROUNDS}")
    print(f"{'what':52} {'per call':>10} {'ratio':>8}")
    for name, seconds in rows.items():
        print(f"{name:52} {seconds * 1e6:8.0f}us {seconds / base:7.2f}x")
    print(f"{'presign, shared client':52} {shared * 1e6:8.0f}us {1:7.2f}x")
    print(f"{'presign, new boto3 client each time':52} {fresh * 1e6:8.0f}us {fresh / shared:7.2f}x")


def _notifying_rows(owner, client) -> dict[str, float]:
    """A click whose owner hears of every download, as the broker is absent, down or up.

    Without a broker the email is sent in the request; with one the click only publishes
    the task; with the broker unreachable the publish fails at once and then backs off.
    BENCH_REDIS_URL (a scratch Redis database) adds the broker-up row.
    """
    from datetime import timedelta

    from django.utils import timezone

    from sharelinks.models import Share
    from tests.brokers import UNREACHABLE, broker

    share = Share.objects.create(
        owner=owner,
        bucket="bench-bucket",
        key="reports/figures.pdf",
        filename="figures.pdf",
        size=4,
        expires_at=timezone.now() + timedelta(days=30),
        notify_downloads="every",
    )

    def click():
        assert client.get(share.path).status_code == 302

    rows = {"click + owner email, no broker (sent in-request)": best_per_call(click, CLICKS // 4)}
    with broker(UNREACHABLE):
        rows["click + owner email, broker unreachable"] = best_per_call(click, CLICKS // 4)
    if os.environ.get("BENCH_REDIS_URL"):
        with broker(os.environ["BENCH_REDIS_URL"], queue="sharelinks-bench") as app:
            rows["click + owner email, broker up"] = best_per_call(click, CLICKS // 4)
            app.control.purge()
    return rows


def _without_persistent_connections(click: Callable[[], None]) -> float:
    """The click when every request opens its own database connection (CONN_MAX_AGE=0)."""
    from django.db import connection

    kept = connection.settings_dict["CONN_MAX_AGE"]
    connection.settings_dict["CONN_MAX_AGE"] = 0
    try:
        return best_per_call(click, CLICKS // 4)
    finally:
        connection.settings_dict["CONN_MAX_AGE"] = kept


def _vendor() -> str:
    from django.db import connection

    return connection.vendor


if __name__ == "__main__":
    main()
