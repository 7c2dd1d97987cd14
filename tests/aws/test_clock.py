"""sharelinks.aws.clock: the storage's time, learned from the Date of its responses."""

import time
from datetime import UTC, datetime
from email.utils import formatdate

import boto3
import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError

from sharelinks.aws.clock import MAX_ROUND_TRIP, StorageClock
from tests.conftest import TEST_BUCKET


def _client(endpoint: str):
    return boto3.session.Session(region_name="us-east-1").client("s3", endpoint_url=endpoint)


def _lagging(seconds: float) -> StorageClock:
    """A clock on a server whose own time runs `seconds` behind the storage's."""
    return StorageClock(wall=lambda: time.time() - seconds)


def test_a_404_head_teaches_a_lagging_server_the_storages_time(s3_server):
    clock = _lagging(180)
    client = _client(s3_server)
    clock.register(client)
    with pytest.raises(ClientError) as raised:
        client.head_object(Bucket=TEST_BUCKET, Key="no/such/object")
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert clock.skew_seconds() == pytest.approx(180, abs=1.5)
    assert abs((clock.now() - datetime.now(UTC)).total_seconds()) < 1.5


def test_successful_answers_teach_a_server_that_runs_ahead(s3_server, put_object):
    put_object("clock/present.txt", b"x")
    clock = _lagging(-240)
    client = _client(s3_server)
    clock.register(client)
    client.head_object(Bucket=TEST_BUCKET, Key="clock/present.txt")
    assert clock.skew_seconds() == pytest.approx(-240, abs=1.5)


def test_a_session_passes_the_hook_to_the_clients_it_makes(s3_server):
    clock = _lagging(60)
    core = botocore.session.get_session()
    clock.register(core)
    client = core.create_client("s3", region_name="us-east-1", endpoint_url=s3_server)
    client.list_buckets()
    assert clock.skew_seconds() == pytest.approx(60, abs=1.5)


def test_an_unreachable_storage_teaches_nothing():
    clock = StorageClock()
    client = boto3.session.Session(region_name="us-east-1").client(
        "s3", endpoint_url="http://127.0.0.1:9", config=Config(retries={"max_attempts": 1})
    )  # the discard port: nothing listens
    clock.register(client)
    with pytest.raises(EndpointConnectionError):
        client.head_object(Bucket=TEST_BUCKET, Key="k")
    assert clock.skew_seconds() == 0.0


def _date(epoch: float) -> str:
    return formatdate(epoch, usegmt=True)


def test_one_answer_places_the_storages_time_within_its_round_trip():
    clock = StorageClock(wall=lambda: 820.0)
    # Sent at 819.8, back at 820 local time; the storage wrote "1000" (1000.0 to 1000.999).
    assert clock.observe(_date(1000), received_at=820.0, round_trip=0.2)
    assert clock.skew_seconds() == pytest.approx((180 + 181.2) / 2)
    assert clock.now() == datetime.fromtimestamp(820 + 180.6, UTC)


def test_more_answers_narrow_the_estimate_below_the_headers_resolution():
    clock = StorageClock()
    clock.observe(_date(1000), received_at=820.0, round_trip=0.0)  # 180 .. 181
    clock.observe(_date(2000), received_at=1819.6, round_trip=0.0)  # 180.4 .. 181.4
    assert clock.skew_seconds() == pytest.approx(180.7)


def test_a_stepped_clock_is_followed_at_once():
    clock = StorageClock()
    clock.observe(_date(1000), received_at=820.0, round_trip=0.0)
    clock.observe(_date(2000), received_at=2000.0 - 30, round_trip=0.0)  # now 30 .. 31
    assert clock.skew_seconds() == pytest.approx(30.5)


def test_clocks_that_agree_within_what_s3_can_tell_are_not_corrected():
    clock = StorageClock()
    clock.observe(_date(1000), received_at=1000.7, round_trip=0.1)  # -0.7 .. 0.4
    assert clock.skew_seconds() == 0.0
    clock.observe(_date(2000), received_at=2000.2, round_trip=0.0)  # -0.2 .. 0.8
    assert clock.skew_seconds() == 0.0
    clock.observe(_date(3000), received_at=2999.9, round_trip=0.0)  # 0.1 .. 1.1: proven ahead
    assert clock.skew_seconds() == pytest.approx(0.25)  # within 0.1 .. 0.4


@pytest.mark.parametrize(
    ("date", "received_at", "round_trip"),
    [
        (_date(1000), 1000 + 2 * 86400, 0.1),  # two days off
        (_date(1000), 1000, MAX_ROUND_TRIP + 1),  # too slow to say when
        ("yesterday-ish", 1000, 0.1),  # not a date
        ("", 1000, 0.1),  # no Date at all
    ],
)
def test_absurd_or_uncertain_answers_are_ignored(date, received_at, round_trip):
    clock = StorageClock()
    clock.observe(_date(5000), received_at=4990.0, round_trip=0.0)  # 10 .. 11
    assert not clock.observe(date, received_at=received_at, round_trip=round_trip)
    assert clock.skew_seconds() == pytest.approx(10.5)


def test_a_large_change_is_logged_for_the_operator(caplog):
    StorageClock().observe(_date(1000), received_at=700.0, round_trip=0.0)
    assert "the storage's clock is +300.5 s from this server's" in caplog.text
