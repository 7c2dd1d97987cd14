"""GET /healthz: each part by name, 503 only when this process should leave the rotation.

The choice it specifies (docs/timeouts.md): a broken database connection or unusable
credentials are this process's own trouble and take it out (503); a cache, S3 or clock
problem is shared by every host and only shows as "degraded" (200), so the balancer never
drops them all at once.
"""

import time

import pytest
from django.db import DatabaseError

from sharelinks import aws
from sharelinks.aws import clock
from sharelinks.aws import health as aws_health
from tests.factories import ShareFactory
from tests.faults import FaultProxy, closed_port, redis_cache

pytestmark = pytest.mark.django_db


def healthz(client):
    response = client.get("/healthz")
    assert response["Cache-Control"] == "no-store"
    return response.status_code, response.json()


def test_all_well_is_200_and_names_every_part(client):
    ShareFactory()  # an S3 request (the upload): storage has answered this process
    status, body = healthz(client)
    assert status == 200
    assert body == {
        "status": "ok",
        "database": "ok",
        "credentials": "ok",
        "cache": "ok",
        "storage": "ok",
        "clock": "ok",
        "clock_skew_seconds": 0.0,
    }


def test_before_any_s3_request_storage_is_unknown_not_a_failure(client):
    status, body = healthz(client)
    assert (status, body["status"], body["storage"]) == (200, "ok", "unknown")


def test_without_the_database_it_is_503(client, monkeypatch):
    # Stopping the test database is not possible from inside a test; the cursor failing as
    # it does when PostgreSQL is down stands in (tests/test_click_faults.py holds a real one).
    def refuse(*args, **kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr("sharelinks.health.connection.cursor", refuse)
    status, body = healthz(client)
    assert (status, body["status"], body["database"]) == (503, "unavailable", "unavailable")


@pytest.mark.postgres
def test_a_database_that_holds_the_connection_is_503_within_the_probe_deadline(client, pg_proxy):
    assert healthz(client)[0] == 200
    pg_proxy.hold()
    status, body = healthz(client)
    assert (status, body["database"]) == (503, "unavailable")


@pytest.mark.parametrize("fault", ["refused", "held"])
def test_a_cache_outage_is_degraded_but_200(client, settings, fault):
    with FaultProxy(mode="hold") as held:
        port = closed_port() if fault == "refused" else held.port
        settings.CACHES = redis_cache(f"redis://127.0.0.1:{port}/1")
        status, body = healthz(client)
    assert (status, body["status"], body["cache"]) == (200, "degraded", "degraded")
    assert body["database"] == "ok"


def test_an_unreachable_s3_is_degraded_but_200(client, settings):
    settings.AWS_S3_ENDPOINT_URL = f"http://127.0.0.1:{closed_port()}"
    settings.SHARELINKS_S3_ATTEMPTS = 1
    with pytest.raises(aws.StorageUnavailable):
        aws.object_head(bucket="sharelinks-test", key="any")
    status, body = healthz(client)
    assert (status, body["status"], body["storage"]) == (200, "degraded", "degraded")


def test_s3_answering_again_clears_it(client, settings, put_object):
    real = settings.AWS_S3_ENDPOINT_URL
    settings.AWS_S3_ENDPOINT_URL = f"http://127.0.0.1:{closed_port()}"
    settings.SHARELINKS_S3_ATTEMPTS = 1
    with pytest.raises(aws.StorageUnavailable):
        aws.object_head(bucket="sharelinks-test", key="any")
    settings.AWS_S3_ENDPOINT_URL = real
    assert aws.object_head(bucket="sharelinks-test", key="any") is None  # a 404 is an answer
    assert healthz(client)[1]["storage"] == "ok"


def test_a_storage_clock_far_from_this_one_is_degraded_and_says_how_far(client, monkeypatch):
    monkeypatch.setattr(clock.storage_clock, "_offset", -187.34)
    status, body = healthz(client)
    assert (status, body["clock"], body["clock_skew_seconds"]) == (200, "degraded", -187.3)


def wait_for_recheck():
    for _ in range(100):
        if not aws_health._recheck_lock.locked():
            return
        time.sleep(0.05)
    raise AssertionError("the credential recheck did not finish")


def test_no_credentials_is_503_and_found_again_later(client, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setattr(aws.client, "CREDENTIALS_RETRY", 0.2)
    aws.client_reset()
    try:
        # The first probe of a fresh process looks for them in the background.
        assert healthz(client)[1]["credentials"] == "ok"
        wait_for_recheck()
        status, body = healthz(client)
        assert (status, body["status"], body["credentials"]) == (503, "unavailable", "unavailable")
        monkeypatch.undo()  # the keys are back, as a role is once the instance has one
        monkeypatch.setattr(aws.client, "CREDENTIALS_RETRY", 0.2)
        time.sleep(0.3)
        healthz(client)  # due: looks again, in the background
        wait_for_recheck()
        status, body = healthz(client)
        assert (status, body["credentials"]) == (200, "ok")
    finally:
        monkeypatch.undo()
        aws.client_reset()


def test_credentials_that_failed_to_sign_are_503(client, monkeypatch):
    from sharelinks.aws import watch

    ShareFactory()
    watch.credentials_failed("the AWS credentials could not be refreshed: throttled")
    status, body = healthz(client)
    assert (status, body["credentials"]) == (503, "unavailable")
    watch.credentials_worked()
    assert healthz(client)[0] == 200


def test_the_body_names_no_host_or_error_text(client, settings):
    # /healthz answers anyone before host validation: it says which part, never where.
    settings.CACHES = redis_cache(f"redis://cache.internal.example:{closed_port()}/1")
    response = client.get("/healthz")
    assert b"internal" not in response.content
    assert b"Error" not in response.content
