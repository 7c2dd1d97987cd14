"""The CORS rule browser uploads need, how a bucket's rules are judged, and the doctor's line."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from sharelinks import aws, uploads
from tests.conftest import BASE_URL, TEST_BUCKET

ORIGIN = BASE_URL


def rule(**changes) -> dict:
    return {**uploads.cors_rules(ORIGIN)[0], **changes}


def test_the_rule_allows_put_from_the_admin_and_exposes_the_etag():
    assert uploads.cors_rules(ORIGIN, "http://localhost:8000") == [
        {
            "AllowedOrigins": [ORIGIN, "http://localhost:8000"],
            "AllowedMethods": ["PUT"],
            "AllowedHeaders": ["*"],
            "ExposeHeaders": ["ETag"],
            "MaxAgeSeconds": 3600,
        }
    ]
    assert uploads.cors_problem(ORIGIN, uploads.cors_rules(ORIGIN)) == ""


@pytest.mark.parametrize(
    ("rules", "problem"),
    [
        ([], "the bucket has no CORS rules"),
        ([rule(AllowedOrigins=["https://other.example.com"])], "no CORS rule allows PUT from"),
        ([rule(AllowedMethods=["GET"])], "no CORS rule allows PUT from"),
        ([rule(ExposeHeaders=[])], "does not expose ETag"),
        ([rule(ExposeHeaders=["x-amz-request-id"]), rule()], "does not expose ETag"),
    ],
    ids=["none", "other origin", "no PUT", "no ETag", "first match lacks ETag"],
)
def test_rules_that_stop_an_upload_are_named(rules, problem):
    assert problem in uploads.cors_problem(ORIGIN, rules)


@pytest.mark.parametrize("allowed", ["*", "https://*.example.com", "https://files.example.com"])
def test_wildcard_origins_count(allowed):
    assert uploads.cors_problem(ORIGIN, [rule(AllowedOrigins=[allowed])]) == ""


@pytest.fixture
def bucket_rules(s3_client):
    """Change the test bucket's CORS rules for one test; the suite's own come back after."""
    saved = aws.bucket_cors()
    yield (
        lambda rules: (
            aws.bucket_cors_set(rules)
            if rules
            else s3_client.delete_bucket_cors(Bucket=TEST_BUCKET)
        )
    )
    aws.bucket_cors_set(saved)


def doctor() -> tuple[str, str]:
    out = StringIO()
    try:
        call_command("sharelinks_doctor", stdout=out)
    except CommandError as failure:
        return out.getvalue(), str(failure)
    return out.getvalue(), ""


def test_the_doctor_reports_a_bucket_browsers_can_upload_to():
    report, error = doctor()
    assert f"CORS               allows PUT from {ORIGIN} and exposes ETag" in report
    assert error == ""


def test_the_doctor_gives_the_command_that_sets_the_missing_rule(bucket_rules):
    bucket_rules([])
    report, error = doctor()
    assert "CORS               the bucket has no CORS rules" in report
    command = f"aws s3api put-bucket-cors --bucket {TEST_BUCKET} --cors-configuration '"
    assert command in error
    configuration = json.loads(error.split(command)[1].split("'")[0])
    assert configuration == {"CORSRules": uploads.cors_rules(ORIGIN)}


def test_the_doctor_names_a_rule_that_hides_the_etag(bucket_rules):
    bucket_rules([rule(ExposeHeaders=[])])
    report, error = doctor()
    assert "does not expose ETag: uploads fail after the first part" in report
    assert "put-bucket-cors" in error


def test_without_the_admins_origin_the_doctor_says_what_it_could_not_check(settings):
    settings.SHARELINKS_BASE_URL = ""
    report, _ = doctor()
    assert "CORS               not checked: SHARELINKS_BASE_URL" in report
