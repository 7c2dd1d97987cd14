"""sharelinks.uploads: a browser's multipart upload against the emulator, step by step, and
the handles that keep each step to the staff member who started it."""

from datetime import UTC, datetime, timedelta

import pytest
import requests
import time_machine
from django.core.exceptions import ValidationError

from sharelinks import aws, uploads
from sharelinks.uploads.handles import Upload, handle_make
from tests.conftest import TEST_BUCKET
from tests.credentials import install_role_credentials, role_keys
from tests.factories import UserFactory
from tests.presign import verify_presigned_url
from tests.uploader import PartStream

MIB = 1024 * 1024
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return UserFactory(username="alice")


@pytest.fixture
def started(alice):
    return uploads.upload_start(owner=alice, name="Q3 figures.csv", content_type="text/csv")


def step(owner, started) -> dict:
    return {"owner": owner, "handle": started.handle, "upload_id": started.upload_id}


def put_part(owner, started, number: int, size: int) -> dict:
    url = uploads.upload_part_url(**step(owner, started), part_number=number)
    body = PartStream(size, seed=number)
    response = requests.put(url, data=body, timeout=60)
    assert response.status_code == 200, response.text
    assert response.headers["ETag"].strip('"') == body.md5.hexdigest()
    return {"PartNumber": number, "ETag": response.headers["ETag"]}


def code_of(call, **kwargs) -> str:
    with pytest.raises(ValidationError) as refused:
        call(**kwargs)
    return refused.value.code


# -- part sizes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "part"),
    [
        (1, 8 * MIB),
        (80 * 1000 * MIB, 8 * MIB),  # exactly 10,000 parts of 8 MiB
        (80 * 1000 * MIB + 1, 9 * MIB),  # one byte more: the next whole MiB
        (1024**4, 105 * MIB),  # 1 TiB
        (5 * 1024**4, 525 * MIB),  # S3's largest object
    ],
)
def test_parts_are_the_configured_size_until_10000_would_not_hold_the_file(size, part):
    assert uploads.part_size(size) == part
    assert -(-size // part) <= uploads.MAX_PARTS
    assert part % MIB == 0


def test_the_smallest_part_follows_the_setting(settings):
    settings.SHARELINKS_UPLOAD_PART_SIZE = 5
    assert uploads.part_size(30 * MIB) == 5 * MIB


# -- before the first byte ---------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 5 * 1024**4 + 1], ids=["empty", "over 5 TiB"])
def test_files_s3_cannot_hold_are_refused_before_the_upload(size):
    assert code_of(uploads.upload_terms_check, name="a.bin", size=size) == "upload_size"


def test_a_past_expiry_is_refused_before_the_upload():
    past = datetime.now(UTC) - timedelta(minutes=1)
    check = {"name": "a.bin", "size": 10, "expires_at": past}
    assert code_of(uploads.upload_terms_check, **check) == "expiry_past"


# -- the steps -------------------------------------------------------------------------


def test_an_upload_lands_under_a_fresh_key_the_server_chose(alice, started, s3_client):
    parts = [put_part(alice, started, 1, 5 * MIB), put_part(alice, started, 2, 1234)]
    handle = uploads.upload_complete(**step(alice, started), parts=parts)

    upload = uploads.uploaded_file(owner=alice, handle=handle)
    assert upload.key.startswith("shares/")
    assert upload.key.endswith("/Q3 figures.csv")
    assert len(upload.key.split("/")[1]) == 16  # 12 random bytes, base64
    assert (upload.filename, upload.size) == ("Q3 figures.csv", 5 * MIB + 1234)
    stored = s3_client.head_object(Bucket=TEST_BUCKET, Key=upload.key)
    assert (stored["ContentLength"], stored["ContentType"]) == (5 * MIB + 1234, "text/csv")


def test_two_uploads_of_one_name_never_share_a_key(alice):
    first = uploads.upload_start(owner=alice, name="a.pdf")
    second = uploads.upload_start(owner=alice, name="a.pdf")
    assert first.handle != second.handle
    assert first.upload_id != second.upload_id


def test_the_parts_stored_so_far_are_listed_for_a_resume(alice, started):
    first = put_part(alice, started, 1, 5 * MIB)
    listed = uploads.upload_parts(**step(alice, started))
    assert listed == [{"PartNumber": 1, "ETag": first["ETag"], "Size": 5 * MIB}]


def test_completing_twice_answers_the_same_file(alice, started):
    parts = [put_part(alice, started, 1, 100)]
    first = uploads.upload_complete(**step(alice, started), parts=parts)
    again = uploads.upload_complete(**step(alice, started), parts=parts)
    assert uploads.uploaded_file(owner=alice, handle=again) == uploads.uploaded_file(
        owner=alice, handle=first
    )


def test_aborting_drops_the_parts_and_may_be_repeated(alice, started, s3_client):
    put_part(alice, started, 1, 100)
    uploads.upload_abort(**step(alice, started))
    uploads.upload_abort(**step(alice, started))

    assert code_of(uploads.upload_parts, **step(alice, started)) == "upload_gone"
    pending = s3_client.list_multipart_uploads(Bucket=TEST_BUCKET).get("Uploads", [])
    assert started.upload_id not in [item["UploadId"] for item in pending]


@pytest.mark.parametrize(
    "parts",
    [
        [],
        [{"PartNumber": 2, "ETag": "x"}, {"PartNumber": 1, "ETag": "y"}],
        [{"PartNumber": 0, "ETag": "x"}],
        [{"PartNumber": 1}],
        [{"PartNumber": "1", "ETag": "x"}],
        "parts",
    ],
)
def test_a_malformed_list_of_parts_is_refused_before_s3(alice, started, parts):
    assert code_of(uploads.upload_complete, **step(alice, started), parts=parts) == "parts"


@pytest.mark.parametrize("number", [0, 10_001])
def test_part_numbers_stay_within_s3s_limit(alice, started, number):
    assert code_of(uploads.upload_part_url, **step(alice, started), part_number=number) == (
        "part_number"
    )


# -- only one's own uploads --------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [uploads.upload_part_url, uploads.upload_parts, uploads.upload_complete, uploads.upload_abort],
)
def test_another_staff_members_handle_is_refused_at_every_step(started, call):
    bob = UserFactory(username="bob")
    extra = {"part_number": 1} if call is uploads.upload_part_url else {}
    if call is uploads.upload_complete:
        extra = {"parts": [{"PartNumber": 1, "ETag": "x"}]}
    assert code_of(call, **step(bob, started), **extra) == "upload_not_yours"


def test_a_handle_names_one_upload_only(alice, started):
    other = uploads.upload_start(owner=alice, name="other.csv")
    mixed = {"owner": alice, "handle": started.handle, "upload_id": other.upload_id}
    assert code_of(uploads.upload_parts, **mixed) == "upload_invalid"


def test_a_handle_with_a_key_of_ones_choosing_is_refused(alice):
    forged = started_handle = handle_make(
        "multipart", Upload(key="reports/ceo.pdf", filename="ceo.pdf", upload_id="u"), alice
    )
    tampered = started_handle.replace(started_handle[5], "A" if started_handle[5] != "A" else "B")
    assert code_of(uploads.uploaded_file, owner=alice, handle=forged) == "upload_invalid"
    assert code_of(uploads.uploaded_file, owner=alice, handle=tampered) == "upload_invalid"
    assert code_of(uploads.uploaded_file, owner=alice, handle="reports/ceo.pdf") == "upload_invalid"


def test_an_unfinished_upload_cannot_pass_for_a_finished_file(alice, started):
    assert code_of(uploads.uploaded_file, owner=alice, handle=started.handle) == "upload_invalid"


def test_handles_expire_with_the_abandon_window(alice, settings):
    settings.SHARELINKS_UPLOAD_ABANDON_AFTER = timedelta(hours=2)
    with time_machine.travel(NOW, tick=False) as clock:
        started = uploads.upload_start(owner=alice, name="a.csv")
        clock.shift(timedelta(hours=2, seconds=1))
        assert code_of(uploads.upload_parts, **step(alice, started)) == "upload_expired"


# -- signing ---------------------------------------------------------------------------


def test_each_part_url_is_a_short_put_cut_to_the_credentials_life(alice, started, settings):
    settings.SHARELINKS_UPLOAD_PART_URL_TTL = 3600
    with time_machine.travel(NOW, tick=False):
        install_role_credentials("uploader", timedelta(minutes=11))
        try:
            url = uploads.upload_part_url(**step(alice, started), part_number=7)
        finally:
            aws.use_credentials(None)
        signed = verify_presigned_url(url, **role_keys("uploader"), now=NOW, method="PUT")
    assert signed.expires_in == 11 * 60 - 30  # the credentials' life less the margin
    assert "partNumber=7" in url
    assert f"uploadId={started.upload_id}" in url


def test_no_usable_credentials_is_a_passing_outage_not_an_error(alice, started):
    with time_machine.travel(NOW, tick=False):
        install_role_credentials("dying", timedelta(seconds=20))
        try:
            code = code_of(uploads.upload_part_url, **step(alice, started), part_number=1)
        finally:
            aws.use_credentials(None)
    assert code == "storage_unavailable"
