"""Uploads without JavaScript: a presigned POST form straight to S3, back to the admin."""

import base64
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import time_machine
from django.core.exceptions import ValidationError

from sharelinks import aws, uploads
from sharelinks.models import Share
from tests.credentials import install_role_credentials
from tests.factories import UserFactory

ADD = "/admin/sharelinks/share/add/"
PAGE = "/admin/sharelinks/share/upload/"
RETURNED = "http://testserver/admin/sharelinks/share/upload/returned/"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def policy_of(post: dict) -> dict:
    return json.loads(base64.b64decode(post["fields"]["policy"]))


def post_to_s3(post: dict, name: str, body: bytes) -> requests.Response:
    """What the browser sends when the person presses Upload: the fields, then the file."""
    return requests.post(
        post["url"], data=post["fields"], files={"file": (name, body)},
        allow_redirects=False, timeout=30,
    )  # fmt: skip


def test_the_policy_confines_the_key_the_size_and_the_way_back():
    owner = UserFactory()
    post = uploads.upload_form(owner=owner, return_url=RETURNED)

    key = post["fields"]["key"]
    assert key.startswith("shares/")
    assert key.endswith("/${filename}")
    prefix = key.removesuffix("${filename}")
    conditions = policy_of(post)["conditions"]
    assert ["starts-with", "$key", prefix] in conditions
    assert ["content-length-range", 1, uploads.POST_MAX_SIZE] in conditions
    redirect = post["fields"]["success_action_redirect"]
    assert {"success_action_redirect": redirect} in conditions
    assert redirect.startswith(RETURNED + "?ticket=")
    assert post["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256"


def test_the_form_expires_with_the_credentials_that_signed_it(settings):
    settings.SHARELINKS_UPLOAD_FORM_TTL = 3600
    with time_machine.travel(NOW, tick=False):
        install_role_credentials("former", timedelta(minutes=11))
        try:
            post = uploads.upload_form(owner=UserFactory(), return_url=RETURNED)
        finally:
            aws.use_credentials(None)
    assert post["expires_at"] == NOW + timedelta(minutes=11, seconds=-30)
    assert policy_of(post)["expiration"].startswith("2026-03-02T09:10:30")
    assert post["fields"]["x-amz-security-token"] == "former-session-token"


def test_a_person_without_javascript_uploads_then_shares(admin_client, admin_user, s3_client):
    page = admin_client.get(PAGE)
    assert page.status_code == 200
    post = page.context["post"]
    html = page.content.decode()
    assert f'action="{post["url"]}"' in html
    assert 'name="file"' in html
    assert "csrfmiddlewaretoken" not in html.split(f'action="{post["url"]}"')[1]

    sent = post_to_s3(post, "Board pack.pdf", b"%PDF-1.4 board")
    assert sent.status_code == 303
    back = urlsplit(sent.headers["Location"])
    assert parse_qs(back.query)["key"][0].endswith("/Board pack.pdf")

    returned = admin_client.get(f"{back.path}?{back.query}")
    assert returned.status_code == 302
    assert returned.url.startswith(ADD + "?upload=")
    add = admin_client.get(returned.url)
    assert "Uploaded and attached: <strong>Board pack.pdf</strong> (14" in add.content.decode()

    handle = parse_qs(urlsplit(returned.url).query)["upload"][0]
    expiry = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%d")
    saved = admin_client.post(
        ADD, {"upload": handle, "expires_at_0": expiry, "expires_at_1": "12:00:00"}
    )
    assert saved.status_code == 302
    share = Share.objects.get()
    assert (share.filename, share.size, share.owner) == ("Board pack.pdf", 14, admin_user)


def test_s3_naming_a_key_outside_the_tickets_prefix_is_refused():
    owner = UserFactory()
    post = uploads.upload_form(owner=owner, return_url=RETURNED)
    ticket = parse_qs(urlsplit(post["fields"]["success_action_redirect"]).query)["ticket"][0]
    prefix = post["fields"]["key"].removesuffix("${filename}")
    for key in ["reports/ceo.pdf", prefix, prefix + "sub/dir.pdf"]:
        with pytest.raises(ValidationError) as refused:
            uploads.upload_form_returned(owner=owner, ticket=ticket, key=key)
        assert refused.value.code == "upload_invalid"
    with pytest.raises(ValidationError) as refused:
        uploads.upload_form_returned(owner=UserFactory(), ticket=ticket, key=prefix + "a.pdf")
    assert refused.value.code == "upload_not_yours"
    with pytest.raises(ValidationError) as refused:
        uploads.upload_form_returned(owner=owner, ticket=ticket, key=prefix + "never-sent.pdf")
    assert refused.value.code == "upload_gone"


def test_a_bad_return_goes_back_to_the_upload_page_saying_why(admin_client):
    response = admin_client.get(PAGE + "returned/?ticket=forged&key=shares/x/a.pdf", follow=True)
    assert response.redirect_chain[-1][0] == PAGE
    assert "This upload was not made here" in response.content.decode()
