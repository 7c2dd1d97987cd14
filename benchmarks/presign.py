"""Microseconds per S3 presign: botocore's generate_presigned_url against the built-in signer.

Both sign the same object for the same client and credentials, best of ROUNDS rounds, side
by side in one run (machines here are shared and noisy: the ratio means more than the
absolute numbers). Presigning is offline, so no S3 server is needed. Rows:
  botocore:   client.generate_presigned_url, as the click path used to
  built-in:   sharelinks.aws.sigv4.presign_get with the bucket's endpoint resolved, and the
              storage clock read, as the click path does now
  app, ...:   the whole aws.presigned_get_url (disposition, credential checks) per presigner
The target is a built-in presign of 25 us or less.

  .venv/bin/python -m benchmarks.presign
"""

import base64
import hashlib
import os
import tempfile
import time
from collections.abc import Callable

from benchmarks.services import configure

ROUNDS = 5
CALLS = 5000
BUCKET = "bench-bucket"
KEY = "shares/7Qk2/Quarterly report é.pdf"
FILENAME = "Quarterly report é.pdf"


def best_us(fn: Callable[[], object], calls: int) -> float:
    """Best of ROUNDS rounds of `calls` calls, in microseconds per call."""
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - start) / calls)
    return best * 1e6


def presign_rows(calls: int = CALLS) -> dict[str, float]:
    """Microseconds per presign for each way of signing, on the app's own client.

    Needs Django set up (the main bench has it); uses whatever credentials the client has.
    """
    from django.test import override_settings

    from sharelinks import aws
    from sharelinks.aws import clock
    from sharelinks.aws.sigv4 import BucketEndpoints, presign_get
    from sharelinks.disposition import content_disposition

    client = aws.get_client()
    credentials = aws.get_session().get_credentials()
    disposition = content_disposition(FILENAME)
    params = {"Bucket": BUCKET, "Key": KEY, "ResponseContentDisposition": disposition}
    params["ResponseContentType"] = "application/pdf"
    endpoints = BucketEndpoints(client)

    def built_in() -> str:
        return presign_get(
            credentials.get_frozen_credentials(),
            endpoints.get(BUCKET),
            KEY,
            expires_in=60,
            signed_at=clock.now(),
            disposition=disposition,
            content_type="application/pdf",
        )

    def app() -> str:
        return aws.presigned_get_url(
            bucket=BUCKET, key=KEY, filename=FILENAME, content_type="application/pdf", expires_in=60
        )

    slow = max(1, calls // 10)  # botocore's rows: a tenth of the calls takes as long
    rows = {
        "botocore": best_us(
            lambda: client.generate_presigned_url("get_object", Params=params), slow
        ),
        "built-in": best_us(built_in, calls),
    }
    for presigner, n in (("botocore", slow), ("builtin", calls)):
        with override_settings(SHARELINKS_PRESIGNER=presigner):
            rows[f"app, SHARELINKS_PRESIGNER={presigner}"] = best_us(app, n)
    return rows


def main() -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        configure(data_dir, bucket=BUCKET)
        # Role credentials carry a base64 session token of about a kilobyte, in each URL.
        noise = b"".join(hashlib.sha256(bytes([n])).digest() for n in range(24))
        token = base64.b64encode(noise).decode()
        os.environ["AWS_SESSION_TOKEN"] = token
        import django

        django.setup()
        rows = presign_rows()
    botocore = rows["botocore"]
    print(f"{'presign (best of ' + str(ROUNDS) + ')':44} {'us':>8} {'vs botocore':>12}")
    for name, us in rows.items():
        print(f"{name:44} {us:8.1f} {us / botocore:11.2f}x")


if __name__ == "__main__":
    main()
