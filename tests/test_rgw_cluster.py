"""Smoke tests: the local RADOS Gateway behaves like real S3.

Plain boto3 against the ``rgw`` fixture, no Django: presigned GETs return the
exact bytes and honour response-content-disposition, tampered or expired
signatures are refused, and presigned URLs signed with AssumeRole credentials
stop working when the session token expires, whatever X-Amz-Expires says.
"""

import datetime
import os
import shutil
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
from botocore.exceptions import ClientError

# One line in the report instead of one per test (a fixture's skip is reported per test).
if shutil.which("radosgw") is None:
    pytest.skip("radosgw is not installed: run tests/rgw/install.sh", allow_module_level=True)

time_machine = pytest.importorskip("time_machine")

pytestmark = pytest.mark.rgw

SEVEN_DAYS = 7 * 24 * 3600


def http_get(url: str) -> tuple[int, dict[str, str], bytes]:
    """GET without any S3 client: status, headers (lower-case keys), body."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            headers = {k.lower(): v for k, v in response.headers.items()}
            return response.status, headers, response.read()
    except urllib.error.HTTPError as error:
        headers = {k.lower(): v for k, v in error.headers.items()}
        return error.code, headers, error.read()


@pytest.fixture
def bucket(rgw):
    name = f"smoke-{uuid.uuid4().hex[:12]}"
    rgw.s3_client().create_bucket(Bucket=name)
    return name


@pytest.fixture
def real_clock_after(rgw):
    """Put the gateway back on the real clock even if the test fails."""
    yield rgw
    rgw.reset_clock()


def travel(delta: datetime.timedelta):
    """Move the client clock (what botocore signs with) by ``delta``."""
    return time_machine.travel(datetime.datetime.now(datetime.UTC) + delta, tick=True)


def test_presigned_get_returns_exact_bytes_and_echoes_disposition(rgw, bucket):
    s3 = rgw.s3_client()
    body = os.urandom(4096) + "é\n".encode()
    s3.put_object(Bucket=bucket, Key="dir/report 2024.bin", Body=body)
    disposition = "attachment; filename=\"report 2024.bin\"; filename*=UTF-8''r%C3%A9port.bin"

    url = s3.generate_presigned_url(
        "get_object",
        Params={
            "Bucket": bucket,
            "Key": "dir/report 2024.bin",
            "ResponseContentDisposition": disposition,
        },
        ExpiresIn=60,
    )
    status, headers, got = http_get(url)

    assert status == 200
    assert got == body
    assert headers["content-disposition"] == disposition


def test_tampered_signature_is_refused(rgw, bucket):
    s3 = rgw.s3_client()
    s3.put_object(Bucket=bucket, Key="k", Body=b"secret")
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=60
    )
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query))
    signature = query["X-Amz-Signature"]
    query["X-Amz-Signature"] = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    tampered = urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))
    other_key = url.replace(f"/{bucket}/k?", f"/{bucket}/other?")

    assert http_get(url)[0] == 200
    # With STS enabled RGW answers every refusal with a bare 403 AccessDenied.
    assert http_get(tampered)[0] == 403
    assert http_get(other_key)[0] == 403


def test_presigned_url_is_refused_after_x_amz_expires(rgw, bucket, real_clock_after):
    s3 = rgw.s3_client()
    s3.put_object(Bucket=bucket, Key="k", Body=b"short-lived")
    short = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=2
    )
    long = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=3600
    )
    assert http_get(short)[0] == 200

    # Two seconds is over once the gateway lives a minute later; a URL with
    # an hour left still works, so the refusal is about X-Amz-Expires.
    rgw.set_clock("+1m")
    assert http_get(short)[0] == 403
    status, _, got = http_get(long)
    assert (status, got) == (200, b"short-lived")


def test_role_credentials_expire_before_x_amz_expires(rgw, bucket, real_clock_after):
    rgw.s3_client().put_object(Bucket=bucket, Key="k", Body=b"via role")
    credentials = rgw.assume_role(duration_seconds=900)
    assert set(credentials) >= {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}
    role_s3 = rgw.s3_client(credentials=credentials)
    url = role_s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=SEVEN_DAYS
    )
    assert "X-Amz-Security-Token=" in url
    assert "X-Amz-Expires=604800" in url
    status, _, got = http_get(url)
    assert (status, got) == (200, b"via role")

    rgw.set_clock("+16m")

    # Header-signed calls from a client whose clock is 16 minutes behind the
    # gateway are refused (more than 15 minutes of skew).
    with pytest.raises(ClientError) as excinfo:
        rgw.s3_client().list_buckets()
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403

    with travel(datetime.timedelta(minutes=16)):
        # The 900 s session token has expired: the 7-day URL is dead, and so
        # is a URL freshly signed with the same credentials.
        assert http_get(url)[0] == 403
        fresh = role_s3.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=SEVEN_DAYS
        )
        assert http_get(fresh)[0] == 403

        # Controls: long-term keys and a new AssumeRole work at the new time.
        user_url = rgw.s3_client().generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=60
        )
        assert http_get(user_url)[0] == 200
        renewed = rgw.s3_client(credentials=rgw.assume_role(duration_seconds=900))
        assert renewed.get_object(Bucket=bucket, Key="k")["Body"].read() == b"via role"
