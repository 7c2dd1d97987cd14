"""The admin's upload endpoints: the check before the first byte, Uppy's multipart routes,
who may use them, and a share the database refuses after the upload."""

import json
from datetime import timedelta

import pytest
import requests
from django.contrib.auth.models import Permission
from django.db import DatabaseError
from django.test import Client

from sharelinks.models import Share
from tests.admin.test_shares import ADD, expiry_fields, in_days, staff_member
from tests.conftest import TEST_BUCKET
from tests.uploader import upload_via_service

UPLOAD = "/admin/sharelinks/share/upload"
MIB = 1024 * 1024


@pytest.fixture
def alice(db):
    return staff_member("alice")


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def check(client, size: int = 30 * MIB, name: str = "film.mov", **fields):
    data = {"upload_name": name, "upload_size": str(size), **fields}
    return client.post(f"{UPLOAD}/check/", data)


def start(client, name: str = "film.mov") -> dict:
    body = json.dumps({"filename": name, "type": "video/quicktime", "metadata": {}})
    response = client.post(f"{UPLOAD}/s3/multipart", body, content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()


def sign(client, started: dict, part: int):
    return client.get(
        f"{UPLOAD}/s3/multipart/{started['uploadId']}/{part}", {"key": started["key"]}
    )


# -- the check before the first byte ---------------------------------------------------


def test_the_check_answers_the_part_size_for_a_valid_form(alice_client, settings):
    settings.SHARELINKS_UPLOAD_PART_SIZE = 5
    response = check(alice_client, **expiry_fields(in_days(3)))
    assert response.status_code == 200
    assert response.json() == {"part_size": 5 * MIB}


def pending_uploads(s3_client) -> list:
    return s3_client.list_multipart_uploads(Bucket=TEST_BUCKET).get("Uploads", [])


def test_the_check_names_the_errors_the_save_would_and_creates_nothing(alice_client, s3_client):
    before = pending_uploads(s3_client)
    response = check(alice_client, **expiry_fields(in_days(-1)), recipients="not an address")
    assert response.status_code == 400
    answer = response.json()
    assert answer["errors"]["expires_at"] == ["The expiry must be in the future."]
    assert "recipients" in answer["errors"]
    assert answer["note"] == "Please correct the errors below."
    assert not Share.objects.exists()
    assert pending_uploads(s3_client) == before


def test_the_check_refuses_an_empty_file_and_a_second_source(alice_client, put_object):
    put_object("reports/a.pdf", b"a")
    assert check(alice_client, size=0, **expiry_fields(in_days(2))).json()["errors"] == {
        "upload": ["Only files of 1 byte to 5.0\xa0TB can be uploaded; this one has 0\xa0bytes."]
    }
    both = check(alice_client, key="reports/a.pdf", **expiry_fields(in_days(2)))
    assert "not both" in both.json()["errors"]["__all__"][0]


# -- Uppy's multipart routes ------------------------------------------------------------


def test_a_whole_upload_through_the_routes_becomes_a_share(alice_client, alice, s3_client):
    started = start(alice_client, "film.mov")
    etags = []
    for number, body in enumerate([b"a" * 5 * MIB, b"tail"], start=1):
        url = sign(alice_client, started, number).json()["url"]
        put = requests.put(url, data=body, timeout=30)
        etags.append({"PartNumber": number, "ETag": put.headers["ETag"]})
    listed = alice_client.get(
        f"{UPLOAD}/s3/multipart/{started['uploadId']}", {"key": started["key"]}
    )
    assert [part["PartNumber"] for part in listed.json()] == [1, 2]

    done = alice_client.post(
        f"{UPLOAD}/s3/multipart/{started['uploadId']}/complete?key={started['key']}",
        json.dumps({"parts": etags}),
        content_type="application/json",
    )
    assert done.status_code == 200
    saved = alice_client.post(ADD, {"upload": done.json()["key"], **expiry_fields(in_days(3))})
    assert saved.status_code == 302
    share = Share.objects.get()
    assert (share.filename, share.size, share.content_type) == (
        "film.mov", 5 * MIB + 4, "video/quicktime",
    )  # fmt: skip


def test_cancelling_aborts_the_upload(alice_client, s3_client):
    started = start(alice_client)
    url = f"{UPLOAD}/s3/multipart/{started['uploadId']}?key={started['key']}"
    assert alice_client.delete(url).status_code == 200
    assert alice_client.get(url).status_code == 404  # nothing left to resume


def test_another_staff_members_upload_cannot_be_signed_listed_or_cancelled(alice_client):
    started = start(alice_client)
    bob = Client()
    bob.force_login(staff_member("bob"))
    path = f"{UPLOAD}/s3/multipart/{started['uploadId']}"
    assert sign(bob, started, 1).status_code == 403
    assert bob.get(path, {"key": started["key"]}).status_code == 403
    assert bob.delete(f"{path}?key={started['key']}").status_code == 403
    assert "belongs to someone else" in sign(bob, started, 1).json()["error"]


def test_another_staff_members_finished_upload_cannot_be_shared(alice, db):
    handle = upload_via_service(alice, "payroll.xlsx", b"secret")
    bob = Client()
    bob.force_login(staff_member("bob"))
    response = bob.post(ADD, {"upload": handle, **expiry_fields(in_days(2))})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["upload"] == [
        "This upload belongs to someone else; upload the file yourself."
    ]
    assert not Share.objects.exists()


def test_staff_without_the_add_permission_get_403(db):
    carol = staff_member("carol")
    carol.user_permissions.remove(Permission.objects.get(codename="add_share"))
    client = Client()
    client.force_login(carol)
    assert check(client).status_code == 403
    body = json.dumps({"filename": "a.bin"})
    started = client.post(f"{UPLOAD}/s3/multipart", body, content_type="application/json")
    assert started.status_code == 403


def test_people_who_are_not_staff_are_sent_to_the_login(db):
    response = Client().post(f"{UPLOAD}/s3/multipart", "{}", content_type="application/json")
    assert response.status_code == 302
    assert "/admin/login/" in response.url


def test_state_changing_routes_need_the_csrf_token(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    body = json.dumps({"filename": "a.bin"})
    assert (
        client.post(f"{UPLOAD}/s3/multipart", body, content_type="application/json").status_code
        == 403
    )
    client.get(ADD)  # the page sets the cookie; the page's script sends the token as a header
    token = client.cookies["csrftoken"].value
    started = client.post(
        f"{UPLOAD}/s3/multipart", body, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert started.status_code == 200


# -- after the upload ----------------------------------------------------------------------


def test_a_share_the_database_refuses_keeps_the_file_attached_for_another_try(
    alice_client, alice, s3_client, monkeypatch
):
    handle = upload_via_service(alice, "minutes.txt", b"minutes")

    def refuse(*args, **kwargs):
        raise DatabaseError("disk I/O error")

    with monkeypatch.context() as patched:
        patched.setattr(Share, "save", refuse)
        failed = alice_client.post(ADD, {"upload": handle, **expiry_fields(in_days(3))})
    assert failed.status_code == 200
    page = failed.content.decode()
    assert "the share could not be saved: the database refused it (DatabaseError)" in page
    assert f'value="{handle}"' in page
    assert "Uploaded and attached: <strong>minutes.txt</strong>" in page
    listed = s3_client.list_objects_v2(Bucket=TEST_BUCKET, Prefix="shares/")["Contents"]
    assert any(item["Key"].endswith("/minutes.txt") for item in listed)  # not deleted

    again = alice_client.post(ADD, {"upload": handle, **expiry_fields(in_days(3))})
    assert again.status_code == 302
    assert Share.objects.get().filename == "minutes.txt"


def test_an_expiry_that_passed_during_the_upload_keeps_the_file_attached(alice_client, alice):
    handle = upload_via_service(alice, "late.txt", b"late")
    response = alice_client.post(ADD, {"upload": handle, **expiry_fields(in_days(-1 / 24))})
    assert response.context["adminform"].form.errors["expires_at"]
    assert f'value="{handle}"' in response.content.decode()


def test_the_add_page_offers_the_upload_without_a_named_file_input(alice_client, settings):
    settings.SHARELINKS_UPLOAD_ABANDON_AFTER = timedelta(days=7)
    html = alice_client.get(ADD).content.decode()
    assert 'type="file" id="id_upload" class="sharelinks-upload-file" hidden' in html
    assert 'name="upload" value=""' in html
    assert "enctype" not in html.split('id="share_form"')[0].rsplit("<form", 1)[1]
    assert "sharelinks/uploads/uppy.min.js" in html
    assert f'{UPLOAD}/"' in html  # the page for browsers without JavaScript


def test_an_upload_id_with_a_slash_still_reaches_its_route(alice_client, monkeypatch):
    """Uppy escapes the id, Django unescapes it: ids S3 makes with "/" must still route."""
    seen = {}

    def parts(**step):
        seen.update(step)
        return []

    monkeypatch.setattr("sharelinks.uploads.upload_parts", parts)
    response = alice_client.get(f"{UPLOAD}/s3/multipart/a%2Fb.c~d", {"key": "h"})
    assert response.status_code == 200
    assert seen["upload_id"] == "a/b.c~d"
    signed = alice_client.get(f"{UPLOAD}/s3/multipart/a%2Fb/7", {"key": "h"})
    assert signed.status_code == 400  # reached the part route: the handle is refused
