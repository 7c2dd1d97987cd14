"""sharelinks.aws.sigv4: the built-in presigner makes botocore's URL, byte for byte."""

import string
from datetime import UTC, datetime
from functools import cache
from types import SimpleNamespace

import botocore.session
import pytest
import requests
import time_machine
from botocore.config import Config
from botocore.credentials import (
    CredentialProvider,
    CredentialResolver,
    Credentials,
    ReadOnlyCredentials,
)
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sharelinks import aws
from sharelinks.aws import sigv4
from sharelinks.disposition import content_disposition
from tests.conftest import TEST_BUCKET
from tests.presign import verify_presigned_url

REGIONS = ["us-east-1", "eu-west-1", "ap-northeast-1", "us-west-2", "sa-east-1", "aws-global"]
ENDPOINTS = [None, "http://127.0.0.1:9000", "https://s3.example.com"]
STYLES = [None, "path", "virtual"]
NOW = datetime(2026, 3, 2, 9, 0, 7, 250000, tzinfo=UTC)

# One credentials object behind every client below: each example sets the keys it signs with.
_credentials = Credentials("AKIDEXAMPLE", "secret")


class _Given(CredentialProvider):
    METHOD = "given"

    def load(self):
        return _credentials


def _session(provider: CredentialProvider) -> botocore.session.Session:
    core = botocore.session.Session()
    core.register_component("credential_provider", CredentialResolver([provider]))
    return core


_core = _session(_Given())


@cache
def _client(region: str, endpoint: str | None, style: str | None):
    # One session, one client per configuration: making them is the slow part of the test.
    config = Config(signature_version="s3v4", s3={"addressing_style": style} if style else {})
    return _core.create_client("s3", region_name=region, endpoint_url=endpoint, config=config)


_label = st.text(string.ascii_lowercase + string.digits + "-", min_size=1, max_size=12).filter(
    lambda label: label[0] != "-" and label[-1] != "-"
)
buckets = st.one_of(
    st.lists(_label, min_size=1, max_size=3).map(".".join).filter(lambda b: 3 <= len(b) <= 63),
    st.sampled_from(["my.bucket", "a.b.c", "192.168.1.1", "bucket--x", "xn--bcher-kva", "ab"]),
)
# Reserved and awkward characters, emoji, a combining accent, wide and no-break spaces.
_awkward = [*"/+ ~%?#&=;:@!$'()*,[]\\\"<>{}|^`.", "😀", "e\u0301", "\u3000", "\u00a0", "é"]
keys = st.lists(st.characters() | st.sampled_from(_awkward), min_size=1, max_size=30).map("".join)
tokens = st.none() | st.text(string.ascii_letters + string.digits + "+/=", min_size=1, max_size=400)
content_types = st.none() | st.sampled_from(["", "application/pdf", "text/plain; charset=utf-8"])
dispositions = st.none() | st.text(max_size=30).map(content_disposition)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    region=st.sampled_from(REGIONS),
    endpoint=st.sampled_from(ENDPOINTS),
    style=st.sampled_from(STYLES),
    bucket=buckets,
    key=keys,
    access_key=st.from_regex(r"(AKIA|ASIA)[A-Z0-9]{16}", fullmatch=True),
    secret_key=st.text(string.ascii_letters + string.digits + "+/", min_size=40, max_size=40),
    token=tokens,
    content_type=content_types,
    disposition=dispositions,
    expires_in=st.integers(1, 604800),
    signed_at=st.datetimes(datetime(2000, 1, 1), datetime(2099, 12, 31), timezones=st.just(UTC)),
)
@example(  # a lone surrogate: no UTF-8 key, which botocore refuses and so must the signer
    region="us-east-1", endpoint=None, style=None, bucket="my.bucket", key="\ud800",
    access_key="AKIA0000000000000000", secret_key="0" * 40, token=None, content_type=None,
    disposition=None, expires_in=1, signed_at=datetime(2000, 1, 1, tzinfo=UTC),
)  # fmt: skip
def test_the_built_in_url_is_botocores_byte_for_byte(
    region, endpoint, style, bucket, key, access_key, secret_key, token, content_type,
    disposition, expires_in, signed_at,
):  # fmt: skip
    client = _client(region, endpoint, style)
    _credentials.access_key, _credentials.secret_key, _credentials.token = (
        access_key,
        secret_key,
        token,
    )
    params = {"Bucket": bucket, "Key": key}
    if disposition is not None:
        params["ResponseContentDisposition"] = disposition
    if content_type is not None:
        params["ResponseContentType"] = content_type

    def built_in() -> str:
        endpoint_ = sigv4.resolve_endpoint(client, bucket)
        assert endpoint_ is not None
        return sigv4.presign_get(
            ReadOnlyCredentials(access_key, secret_key, token),
            endpoint_,
            key,
            expires_in=expires_in,
            signed_at=signed_at,
            disposition=disposition,
            content_type=content_type,
        )

    try:
        with time_machine.travel(signed_at, tick=False):
            expected = client.generate_presigned_url(
                "get_object", Params=params, ExpiresIn=expires_in
            )
    except Exception as err:  # botocore refuses the bucket, endpoint or key: so must we
        with pytest.raises(type(err)):
            built_in()
        return
    built_in_url = built_in()
    assert built_in_url == expected


def test_the_presign_verifier_accepts_built_in_urls():
    endpoint = sigv4.resolve_endpoint(_client("eu-west-1", None, None), "sharelinks-test")
    url = sigv4.presign_get(
        ReadOnlyCredentials("ASIAROLE", "role-secret", "role-token"),
        endpoint,
        "reports/résumé q1.pdf",
        expires_in=60,
        signed_at=NOW,
        disposition=content_disposition("résumé q1.pdf"),
        content_type="application/pdf",
    )
    info = verify_presigned_url(
        url, access_key="ASIAROLE", secret_key="role-secret", token="role-token", now=NOW
    )
    assert (info.region, info.expires_in, info.signed_at) == (
        "eu-west-1",
        60,
        NOW.replace(microsecond=0),
    )
    assert info.disposition == content_disposition("résumé q1.pdf")


def test_a_rotated_secret_signs_with_its_own_key_not_a_cached_one():
    endpoint = sigv4.resolve_endpoint(_client("eu-west-1", None, None), "sharelinks-test")
    for secret in ("first-secret", "rotated-secret", "first-secret"):
        url = sigv4.presign_get(
            ReadOnlyCredentials("ASIAROLE", secret, "t"),
            endpoint,
            "k",
            expires_in=60,
            signed_at=NOW,
        )
        verify_presigned_url(url, access_key="ASIAROLE", secret_key=secret, token="t", now=NOW)


def test_resolving_an_endpoint_reads_no_credentials():
    class Unreadable(Credentials):
        def get_frozen_credentials(self):
            raise AssertionError("the dry run must stop before botocore reads credentials")

    class Given(CredentialProvider):
        METHOD = "given"

        def load(self):
            return Unreadable("AKID", "secret")

    client = _session(Given()).create_client(
        "s3", region_name="eu-west-1", config=Config(signature_version="s3v4")
    )
    endpoint = sigv4.resolve_endpoint(client, "my-bucket")
    assert endpoint.url_prefix == "https://my-bucket.s3.amazonaws.com/"
    assert (endpoint.host, endpoint.region) == ("my-bucket.s3.amazonaws.com", "eu-west-1")


def test_urls_botocore_would_not_sign_with_sigv4_are_left_to_it():
    sigv2 = _core.create_client(
        "s3", region_name="us-east-1", config=Config(signature_version="s3")
    )
    assert sigv4.resolve_endpoint(sigv2, "my-bucket") is None


def test_each_bucket_is_resolved_once_until_its_lifetime_ends(monkeypatch):
    calls = []
    real = sigv4.resolve_endpoint
    monkeypatch.setattr(sigv4, "resolve_endpoint", lambda c, b: calls.append(b) or real(c, b))
    client = _client("eu-west-1", None, None)
    cached = sigv4.BucketEndpoints(client)
    assert cached.get("one-bucket") is cached.get("one-bucket")
    cached.get("other-bucket")
    assert calls == ["one-bucket", "other-bucket"]
    expiring = sigv4.BucketEndpoints(client, ttl=0)
    expiring.get("one-bucket")
    expiring.get("one-bucket")
    assert calls[2:] == ["one-bucket", "one-bucket"]


def test_a_redirect_for_a_bucket_makes_it_resolve_again(monkeypatch):
    # S3 redirects a request for a bucket in another region; botocore learns the region and
    # its URLs change, so the cached endpoint must go. (botocore's own needs-retry handler
    # is called directly: no local S3 server redirects.)
    calls = []
    real = sigv4.resolve_endpoint
    monkeypatch.setattr(sigv4, "resolve_endpoint", lambda c, b: calls.append(b) or real(c, b))
    cached = sigv4.BucketEndpoints(_client("eu-west-1", None, None))
    request_dict = {"context": {"s3_redirect": {"bucket": "moved-bucket"}}}
    cached.get("moved-bucket")
    for status in (200, 403, 404, 301):
        answer = (SimpleNamespace(status_code=status), {})
        cached._forget_redirected(request_dict=request_dict, response=answer)
        cached.get("moved-bucket")
    assert calls == ["moved-bucket", "moved-bucket"]  # once at first, once after the 301


def test_a_built_in_url_fetches_the_object_from_a_real_s3_server(s3_client, put_object):
    key = "dir/a b+c~%?#😀e\u0301.txt"
    put_object(key, b"contents", content_type="text/plain")
    credentials = aws.get_session().get_credentials().get_frozen_credentials()
    url = sigv4.presign_get(
        credentials,
        sigv4.resolve_endpoint(s3_client, TEST_BUCKET),
        key,
        expires_in=60,
        signed_at=datetime.now(UTC),
        disposition=content_disposition("a b😀.txt"),
    )
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    assert response.content == b"contents"
    assert response.headers["Content-Disposition"] == content_disposition("a b😀.txt")
