"""`manage.py sharelinks_doctor`: an operator's report, in words, that fails with the fix."""

import socket
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from sharelinks import aws
from tests.credentials import install_role_credentials

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def doctor(*args: str) -> str:
    out = StringIO()
    call_command("sharelinks_doctor", *args, stdout=out)
    return out.getvalue()


def broken_doctor(*args: str) -> tuple[str, str]:
    out = StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("sharelinks_doctor", *args, stdout=out)
    return out.getvalue(), str(failure.value)


@pytest.fixture
def role_credentials():
    yield install_role_credentials
    aws.use_credentials(None)


def test_healthy_static_keys_with_a_live_round_trip(put_object):
    put_object("doctor/figures.pdf", b"%PDF-1.4 figures\n", "application/pdf")
    report = doctor("--key", "doctor/figures.pdf")
    assert "source             env -- environment variables" in report
    assert "long-lived access key" in report
    assert "7 days (the SigV4 limit) -- only because a standing secret signs it" in report
    assert "400 ExpiredToken" in report
    assert "signature version  s3v4" in report
    assert "addressing style   path" in report
    assert "bucket             sharelinks-test answers" in report
    assert "doctor/figures.pdf: presigned, GET 200, 17 bytes as stored" in report
    assert 'attachment; filename="figures.pdf"' in report
    assert report.rstrip().endswith("No problems found.")


def test_role_credentials_show_their_expiry_and_the_real_life_of_a_7_day_url(role_credentials):
    with time_machine.travel(NOW, tick=False):
        role_credentials("doctor", timedelta(minutes=58, seconds=20), method="iam-role")
        report = doctor()
    assert "source             iam-role -- the EC2 instance profile" in report
    assert "temporary (a session token rides in each URL)" in report
    assert "expiry             2026-03-02 09:58:20 UTC" in report
    assert "remaining          58 min 20 s" in report
    assert "would live         58 min 20 s, when the credentials expire -- not 7 days" in report
    assert "No problems found." in report


def test_no_credentials_fails_naming_the_role_fix(monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    aws.client_reset()
    try:
        report, error = broken_doctor()
    finally:
        monkeypatch.undo()
        aws.client_reset()
    assert "source             none found" in report
    assert "would live         nothing: there are no usable credentials to sign it" in report
    assert "give the server an IAM role" in error


def test_missing_bucket_fails_naming_the_setting(settings):
    settings.AWS_STORAGE_BUCKET_NAME = "sharelinks-no-such-bucket"
    report, error = broken_doctor()
    assert "bucket             sharelinks-no-such-bucket does not exist" in report
    assert "create it, or correct AWS_STORAGE_BUCKET_NAME" in error


def test_unreachable_endpoint_fails_naming_the_endpoint_setting(settings):
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.AWS_S3_ENDPOINT_URL = f"http://127.0.0.1:{port}"
    report, error = broken_doctor()
    assert f"endpoint           http://127.0.0.1:{port}" in report
    assert "Could not connect" in report
    assert "check AWS_S3_ENDPOINT_URL" in error


def test_credentials_about_to_expire_that_do_not_refresh_fail(role_credentials):
    with time_machine.travel(NOW, tick=False):
        role_credentials("doctor", timedelta(seconds=20))
        report, error = broken_doctor()
    assert "the AWS credentials could not be refreshed: sts:AssumeRole throttled" in report
    assert "source: make the credential source reachable" in error
    assert "bucket: see Credentials above" in error


def test_missing_object_in_the_round_trip_fails():
    _, error = broken_doctor("--key", "doctor/absent.pdf")
    assert "check the key 'doctor/absent.pdf'" in error


def test_failing_system_checks_are_reported_not_fatal(settings):
    settings.AWS_QUERYSTRING_AUTH = False
    report, error = broken_doctor()
    assert "sharelinks.E004" in report
    assert "Set AWS_QUERYSTRING_AUTH = True" in error


def test_a_bucket_in_another_region_than_the_signatures_is_named(s3_client, settings):
    # S3 refuses a URL signed for the wrong region; it names the right one in x-amz-bucket-region.
    s3_client.create_bucket(
        Bucket="sharelinks-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    settings.AWS_STORAGE_BUCKET_NAME = "sharelinks-eu"
    report, error = broken_doctor()
    assert "sharelinks-eu is in eu-west-1, but URLs are signed for us-east-1" in report
    assert "set AWS_S3_REGION_NAME=eu-west-1" in error


def test_long_lived_keys_on_amazon_s3_get_the_role_advice(settings):
    # Only the credential section: the rest of the report would reach for Amazon S3 itself.
    from sharelinks.doctor import credential_findings

    settings.AWS_S3_ENDPOINT_URL = None  # Amazon S3 itself; the test keys come from env
    aws.client_reset()
    try:
        findings, _status = credential_findings(NOW)
    finally:
        aws.client_reset()
    [kind] = [finding for finding in findings if finding.label == "kind"]
    assert kind.text == (
        "long-lived access key (no session token): a standing secret that never expires "
        "(sharelinks.W003)"
    )
    assert kind.fix.startswith("run under an IAM role")
    assert not kind.broken


def test_long_lived_keys_for_another_s3_compatible_store_get_no_advice():
    # Ceph or MinIO offer no roles, so keys are the only way: nothing to advise.
    report = doctor()
    assert "long-lived access key" in report
    assert "sharelinks.W003" not in report
    assert "IAM role" not in report
