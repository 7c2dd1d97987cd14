"""A 1 GiB upload through the admin's routes and the emulator, streamed: the size staff send.

The file is never in memory: each part is generated as it is sent and hashed on the way, so
S3's ETags prove every byte arrived, in order. It is the page's own path -- check the form,
start, sign each part just before its PUT, complete, save the share -- over real HTTP.
"""

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from sharelinks import aws
from sharelinks.models import Share
from tests.admin.test_shares import expiry_fields, in_days, staff_member
from tests.conftest import TEST_BUCKET
from tests.uploader import ADD, AdminUploader, log_in

GIB = 1024**3

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def s3_process(settings):
    """The emulator as `make run` starts it, in a process of its own: a gigabyte held by the
    suite's in-thread server would share this process's memory and interpreter lock."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url, timeout=1)
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.1)
        settings.AWS_S3_ENDPOINT_URL = url
        aws.bucket_create(TEST_BUCKET)
        yield aws.get_client()
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_1_gib_file_arrives_whole_in_parts_signed_one_by_one(live_server, s3_process):
    s3_client = s3_process
    staff_member("dana")
    session = log_in(live_server.url, "dana", "correct horse battery staple")
    uploader = AdminUploader(session, live_server.url)
    fields = expiry_fields(in_days(3))

    checked = uploader.check(fields, "archive.tar", GIB)
    assert checked.status_code == 200, checked.text
    part_size = checked.json()["part_size"]
    started = time.monotonic()
    uploaded = uploader.upload("archive.tar", GIB, part_size)
    seconds = time.monotonic() - started

    saved = session.post(
        live_server.url + ADD,
        data={"csrfmiddlewaretoken": uploader.csrf, "upload": uploaded.handle, **fields},
        timeout=60,
    )
    assert saved.status_code == 200, saved.text[:500]  # followed to the change list
    share = Share.objects.get()
    assert (share.filename, share.size) == ("archive.tar", GIB)
    stored = s3_client.head_object(Bucket=TEST_BUCKET, Key=share.key)
    assert stored["ContentLength"] == GIB
    assert stored["ETag"].strip('"') == uploaded.etag  # MD5 of the parts' MD5s, -128
    assert uploaded.parts == GIB // part_size == 128
    print(f"1 GiB in {uploaded.parts} parts: {seconds:.1f} s, {GIB / seconds / 1e6:.0f} MB/s")
