"""Conformance against Ceph's RADOS Gateway: an S3 that checks signatures, expiry and tokens.

The app runs as an operator's server would: it holds no keys of its own, only an AWS config
profile that assumes a role for 900 seconds, so botocore's own AssumeRole provider fetches
and refreshes the credentials that sign every click. Recipients click through a live server
with a real HTTP client and follow the 303 to the gateway, which is the final judge of each
URL. To show what happens days later, the whole world moves forward together: the gateway's
clock through libfaketime, the app's clock in-process with time-machine. Both must move: the
gateway refuses header-signed calls (AssumeRole included) from a clock 15 minutes off.
"""

import io
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests
import time_machine

from sharelinks import aws, uploads
from sharelinks.conf import app_settings
from sharelinks.disposition import content_disposition
from sharelinks.models import Share
from sharelinks.shares import share_create, share_create_from_upload
from tests.admin.test_shares import staff_member
from tests.browser import DESKTOP, chromium, screenshot
from tests.factories import UserFactory
from tests.presign import verify_presigned_url
from tests.recipient import download_over_http
from tests.rgw.fixtures import RgwCluster

pytestmark = [pytest.mark.rgw, pytest.mark.django_db(transaction=True)]

# One line in the report instead of one per test (a fixture's skip is reported per test).
if shutil.which("radosgw") is None:
    pytest.skip("radosgw is not installed: run tests/rgw/install.sh", allow_module_level=True)

SEVEN_DAYS = 7 * 24 * 3600
ROLE_SECONDS = 900
KEY = "reports/2025/q3 figures.pdf"
FILENAME = "Quartalszahlen Köln, 東京 2025.pdf"
CONTENT_TYPE = "application/pdf"
BODY = b"%PDF-1.4\n" + os.urandom(256 * 1024) + "Köln, 東京\n".encode()


@pytest.fixture(scope="module")
def gateway_client(rgw):
    """A client with the gateway user's own keys, made before any test points the
    environment at the role profile (a client made then would look for that profile)."""
    return rgw.s3_client()


@pytest.fixture(scope="module")
def gateway_bucket(gateway_client) -> str:
    """A bucket holding the shared object, stored with the gateway user's own keys."""
    bucket = f"conformance-{os.urandom(6).hex()}"
    client = gateway_client
    client.create_bucket(Bucket=bucket)
    client.put_object(Bucket=bucket, Key=KEY, Body=BODY, ContentType=CONTENT_TYPE)
    return bucket


@pytest.fixture
def assumed(rgw, gateway_bucket, tmp_path: Path, monkeypatch, settings) -> list[dict]:
    """Point the app at the gateway with a role profile; yields every AssumeRole answer.

    No keys are handed to the app: its credential chain reads the profile and botocore's
    AssumeRole provider assumes the role and refreshes it, as on an operator's server. The
    answers are recorded from botocore's own event, so each signed URL can be traced to
    the credentials that signed it and their expiry.
    """
    config = tmp_path / "aws-config"
    config.write_text(
        "[profile sharelinks]\n"
        f"role_arn = {rgw.role_arn}\n"
        "source_profile = base\n"
        f"duration_seconds = {ROLE_SECONDS}\n"
        "role_session_name = sharelinks\n"
        f"region = {rgw.region}\n"
    )
    credentials = tmp_path / "aws-credentials"
    credentials.write_text(
        f"[base]\naws_access_key_id = {rgw.access_key}\naws_secret_access_key = {rgw.secret_key}\n"
    )
    # Keys in the environment would win over the profile in botocore's chain.
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_PROFILE", "sharelinks")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", rgw.endpoint_url)
    settings.AWS_S3_ENDPOINT_URL = rgw.endpoint_url
    settings.AWS_STORAGE_BUCKET_NAME = gateway_bucket
    settings.AWS_S3_REGION_NAME = rgw.region
    settings.AWS_S3_ADDRESSING_STYLE = "path"
    aws.client_reset()

    answers: list[dict] = []

    def record(parsed, **kwargs) -> None:
        answers.append(parsed["Credentials"])

    aws.get_session().events.register("after-call.sts.AssumeRole", record)
    yield answers
    aws.client_reset()  # the next test builds its client from the restored environment


class World:
    """The gateway's clock and the app's clock, moved forward together from real time."""

    def __init__(self, gateway: RgwCluster) -> None:
        self._gateway = gateway
        self._traveller = None

    def move(self, offset: timedelta) -> None:
        """Both clocks to real time + offset, within milliseconds of each other."""
        self._stop_travelling()
        self._gateway.set_clock(f"+{int(offset.total_seconds())}")
        self._traveller = time_machine.travel(datetime.now(UTC) + offset, tick=True)
        self._traveller.start()

    def restore(self) -> None:
        self._stop_travelling()
        self._gateway.reset_clock()

    def _stop_travelling(self) -> None:
        if self._traveller is not None:
            self._traveller.stop()
            self._traveller = None


@pytest.fixture
def world(rgw) -> Iterator[World]:
    """Time travel for the gateway and the app; both back on the real clock afterwards."""
    moved = World(rgw)
    yield moved
    moved.restore()


@pytest.fixture
def share(assumed):
    """A 30-day share of the gateway object, created now through the app's service."""
    return share_create(
        owner=UserFactory(),
        key=KEY,
        filename=FILENAME,
        expires_at=datetime.now(UTC) + timedelta(days=30),
    )


def click(live_server, share) -> requests.Response:
    """What a recipient's browser gets for the short link, before following anything."""
    return download_over_http(live_server.url + share.path, allow_redirects=False)


def download(url: str) -> requests.Response:
    return requests.get(url, timeout=30)


def query_of(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


@dataclass(frozen=True)
class SignedClick:
    """A click's presigned URL and the AssumeRole answer whose credentials signed it."""

    status: int
    url: str
    credentials: dict

    @property
    def token(self) -> str:
        return self.credentials["SessionToken"]


def signed_click(live_server, share, assumed: list[dict]) -> SignedClick:
    """Click, and check the 303's URL as S3 would, against the credentials that signed it.

    The URL must carry a session token that botocore got from AssumeRole, be signed with
    that role session's secret, and live no longer than SHARELINKS_URL_TTL nor than those
    credentials: a URL that outlives its signature would be a broken promise.
    """
    response = click(live_server, share)
    assert response.status_code == 303, response.text[:200]
    url = response.headers["Location"]
    token = query_of(url).get("X-Amz-Security-Token")
    assert token, "the click URL carries no session token: not signed by the role"
    handed_out = {answer["SessionToken"]: answer for answer in assumed}
    assert token in handed_out, "signed with a session token no AssumeRole handed out"
    credentials = handed_out[token]
    now = datetime.now(UTC)
    presigned = verify_presigned_url(
        url,
        access_key=credentials["AccessKeyId"],
        secret_key=credentials["SecretAccessKey"],
        token=token,
        now=now,
    )
    assert abs((presigned.signed_at - now).total_seconds()) < 10
    assert presigned.expires_in <= app_settings.URL_TTL
    assert presigned.expires_at <= credentials["Expiration"]
    assert presigned.disposition == content_disposition(FILENAME)
    return SignedClick(status=response.status_code, url=url, credentials=credentials)


def assert_delivers_the_file(url: str) -> None:
    got = download(url)
    assert got.status_code == 200, got.text[:300]
    assert got.content == BODY
    assert got.headers["Content-Disposition"] == content_disposition(FILENAME)
    assert got.headers["Content-Type"] == CONTENT_TYPE


def followed(signed: SignedClick) -> str:
    """The click's status and that of the URL it redirected to, as the table shows them."""
    return f"{signed.status} -> {download(signed.url).status_code}"


def tampered(url: str) -> str:
    parts = urlsplit(url)
    query = query_of(url)
    signature = query["X-Amz-Signature"]
    query["X-Amz-Signature"] = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_a_click_redirects_to_a_fresh_url_that_returns_the_exact_bytes_and_filename(
    live_server, share, assumed
):
    """Each click is signed on the spot; the gateway returns the object byte for byte, with
    the RFC 5987 filename* it was asked to echo, so non-ASCII names arrive intact."""
    first = signed_click(live_server, share, assumed)
    second = signed_click(live_server, share, assumed)

    assert second.url != first.url
    assert "filename*=UTF-8''" in content_disposition(FILENAME)
    assert_delivers_the_file(first.url)
    assert_delivers_the_file(second.url)


def test_a_tampered_signature_is_refused(live_server, share, assumed):
    """The gateway checks the signature, so a link cannot be edited into another one."""
    signed = signed_click(live_server, share, assumed)

    assert download(tampered(signed.url)).status_code == 403
    assert_delivers_the_file(signed.url)


def test_the_per_click_url_is_refused_once_its_ttl_is_over(
    live_server, share, assumed, world, settings
):
    """A leaked redirect URL is worth seconds: after SHARELINKS_URL_TTL the gateway refuses
    it, while the share link itself goes on signing new ones."""
    settings.SHARELINKS_URL_TTL = 5
    signed = signed_click(live_server, share, assumed)
    assert query_of(signed.url)["X-Amz-Expires"] == "5"
    assert_delivers_the_file(signed.url)

    world.move(timedelta(minutes=1))

    # The role credentials still have 14 minutes: the refusal is the URL's own expiry.
    assert datetime.now(UTC) < signed.credentials["Expiration"]
    assert download(signed.url).status_code == 403
    assert_delivers_the_file(signed_click(live_server, share, assumed).url)


STEPS = [
    ("+16 min", timedelta(minutes=16)),
    ("+13 h", timedelta(hours=13)),
    ("+8 days", timedelta(days=8)),
]


def test_naive_seven_day_url_dies_with_its_credentials_while_the_share_link_lives(
    live_server, share, assumed, world
):
    """The failure sharelinks exists for, reproduced and defeated on a real S3.

    A URL presigned once for 7 days with 900 s role credentials says X-Amz-Expires=604800,
    yet dies with its session token. The share link, clicked at each later moment, gets a
    URL signed by credentials that botocore assumed afresh at that moment, and downloads;
    after its own 30 days it answers 410.
    """
    naive = aws.get_client().generate_presigned_url(
        "get_object", Params={"Bucket": share.bucket, "Key": share.key}, ExpiresIn=SEVEN_DAYS
    )
    assert query_of(naive)["X-Amz-Expires"] == str(SEVEN_DAYS)
    assert "X-Amz-Security-Token" in query_of(naive)

    signed = signed_click(live_server, share, assumed)
    table = [("t0", download(naive).status_code, followed(signed))]
    assert_delivers_the_file(signed.url)
    tokens = [signed.token]

    for step, offset in STEPS:
        world.move(offset)
        signed = signed_click(live_server, share, assumed)
        # Assumed at this step: the t0 credentials are long dead, these have minutes left.
        remaining = (signed.credentials["Expiration"] - datetime.now(UTC)).total_seconds()
        assert 0 < remaining <= ROLE_SECONDS
        assert signed.token not in tokens
        tokens.append(signed.token)
        table.append((step, download(naive).status_code, followed(signed)))
        assert_delivers_the_file(signed.url)

    world.move(timedelta(days=31))
    gone = click(live_server, share)
    assert "Location" not in gone.headers
    table.append(("+31 days", download(naive).status_code, str(gone.status_code)))

    assert table == [
        ("t0", 200, "303 -> 200"),
        ("+16 min", 403, "303 -> 200"),
        ("+13 h", 403, "303 -> 200"),
        ("+8 days", 403, "303 -> 200"),
        ("+31 days", 403, "410"),
    ]


def test_a_staff_upload_under_the_role_arrives_whole_and_downloads_intact(live_server, assumed):
    """Uploads go through django-storages with the same role profile; a file above boto3's
    multipart threshold (8 MiB) is stored in parts, accepted by a store that checks every
    part's signature, and a click serves it byte for byte under its own name."""
    body = os.urandom(9 * 1024 * 1024 + 3)
    uploaded = share_create_from_upload(
        owner=UserFactory(),
        content=io.BytesIO(body),
        filename="Übersicht 2025.bin",
        content_type="application/octet-stream",
    )
    assert uploaded.size == len(body)

    response = download_over_http(live_server.url + uploaded.path, timeout=60)
    assert [hop.status_code for hop in response.history] == [303]
    assert response.status_code == 200
    assert response.content == body
    assert response.headers["Content-Disposition"] == content_disposition("Übersicht 2025.bin")


# -- browser uploads: the CORS rule, proven by a store that enforces it -----------------------


def browser_upload(live_server, path, *, until: str):
    """Log in as erin, choose path on the add form, save; until "saved" or "refused"."""
    with chromium() as browser:
        context = browser.new_context(viewport=DESKTOP)
        page = context.new_page()
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", "erin")
        page.fill("#id_password", "correct horse battery staple")
        page.click("input[type=submit]")
        page.goto(f"{live_server.url}/admin/sharelinks/share/add/")
        page.set_input_files("#id_upload", str(path))
        if until == "saved":
            page.click("input[name=_save]")
            page.wait_for_url(re.compile(r".*/admin/sharelinks/share/\d+/send/$"), timeout=120_000)
            screenshot(page, "upload-rgw-saved")
            return None
        with page.expect_event("requestfailed", timeout=60_000) as failed:
            page.click("input[name=_save]")
        return failed.value.url


@pytest.mark.browser
def test_a_browser_uploads_parts_to_the_gateway_under_the_role_through_its_cors_rule(
    live_server, gateway_client, assumed, gateway_bucket, settings, tmp_path
):
    """The admin page PUTs each part to the gateway from its own origin, with URLs the app
    presigned just before under its 900 s role; the gateway checks the signature and the
    bucket's CORS rule (sharelinks.uploads.cors_rules), and the file arrives byte for byte."""
    settings.SHARELINKS_UPLOAD_PART_SIZE = 5
    rules = uploads.cors_rules(live_server.url)
    gateway_client.put_bucket_cors(Bucket=gateway_bucket, CORSConfiguration={"CORSRules": rules})
    assert uploads.cors_problem(live_server.url) == ""  # what the doctor checks
    staff_member("erin")
    body = os.urandom(12 * 1024 * 1024 + 3)  # three parts
    path = tmp_path / "Baustelle Köln.mov"
    path.write_bytes(body)

    browser_upload(live_server, path, until="saved")

    share = Share.objects.get()
    assert (share.filename, share.size, share.bucket) == (path.name, len(body), gateway_bucket)
    parts = gateway_client.head_object(Bucket=gateway_bucket, Key=share.key)["ETag"]
    assert parts.strip('"').endswith("-3")
    response = download_over_http(live_server.url + share.path, timeout=60)
    assert response.content == body


@pytest.mark.browser
def test_without_the_cors_rule_for_its_origin_the_page_cannot_send_a_part(
    live_server, gateway_client, rgw, assumed, gateway_bucket, settings, tmp_path
):
    """Proof that the rule matters: a gateway allowing another origin only refuses the part
    (the browser blocks the PUT), and the doctor names the problem and its fix."""
    settings.SHARELINKS_UPLOAD_PART_SIZE = 5
    rules = uploads.cors_rules("https://elsewhere.example.com")
    client = gateway_client
    client.put_bucket_cors(Bucket=gateway_bucket, CORSConfiguration={"CORSRules": rules})
    assert "no CORS rule allows PUT from" in uploads.cors_problem(live_server.url)
    staff_member("erin")
    path = tmp_path / "blocked.bin"
    path.write_bytes(os.urandom(6 * 1024 * 1024))

    failed_url = browser_upload(live_server, path, until="refused")

    assert failed_url.startswith(rgw.endpoint_url)
    assert "partNumber=1" in failed_url
    assert not Share.objects.exists()
    for pending in client.list_multipart_uploads(Bucket=gateway_bucket).get("Uploads", []):
        client.abort_multipart_upload(
            Bucket=gateway_bucket, Key=pending["Key"], UploadId=pending["UploadId"]
        )
