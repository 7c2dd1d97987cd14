"""sharelinks.aws.s3: presigned URLs never outlive the credentials that sign them."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from botocore.credentials import RefreshableCredentials
from botocore.exceptions import ClientError

from sharelinks import aws
from sharelinks.aws import clock as aws_clock
from sharelinks.aws.clock import StorageClock
from sharelinks.models import Click, ClickOutcome
from tests.credentials import install_role_credentials, role_keys, role_metadata
from tests.factories import ShareFactory
from tests.presign import verify_presigned_url
from tests.recipient import download, page_token

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
KEYS = {"access_key": "AKIDLOCALTESTING", "secret_key": "local-testing-secret"}


@pytest.fixture
def role_credentials():
    yield install_role_credentials
    aws.use_credentials(None)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def presign(expires_in: int = 60) -> str:
    return aws.presigned_get_url(
        bucket="sharelinks-test",
        key="reports/q1.pdf",
        filename="q1.pdf",
        content_type="application/pdf",
        expires_in=expires_in,
    )


@pytest.mark.parametrize(("ttl", "expected"), [(60, 60), (3600, 11 * 60 - 30)])
def test_url_lives_the_ttl_but_never_past_the_credentials_less_the_margin(
    clock, role_credentials, ttl, expected
):
    role_credentials("first", timedelta(minutes=11))
    url = verify_presigned_url(presign(ttl), **role_keys("first"))
    assert url.expires_in == expected
    assert url.expires_at <= NOW + timedelta(minutes=11) - timedelta(seconds=30)


def test_credentials_about_to_expire_are_refreshed_and_the_fresh_token_signs(
    clock, role_credentials
):
    role_credentials(
        "old", timedelta(seconds=20), refresh=lambda: role_metadata("fresh", timedelta(hours=1))
    )
    url = verify_presigned_url(presign(60), **role_keys("fresh"))
    assert url.token == "fresh-session-token"
    assert url.expires_in == 60


def test_a_refresh_that_brings_short_lived_credentials_cuts_the_url_to_them(
    clock, role_credentials
):
    role_credentials(
        "old", timedelta(seconds=20), refresh=lambda: role_metadata("brief", timedelta(seconds=45))
    )
    url = verify_presigned_url(presign(60), **role_keys("brief"))
    assert url.expires_in == 15  # 45 s left, less the 30 s margin


def test_too_little_life_even_after_a_refresh_is_unavailable(clock, role_credentials):
    role_credentials(
        "old", timedelta(seconds=20), refresh=lambda: role_metadata("brief", timedelta(seconds=34))
    )
    with pytest.raises(aws.StorageUnavailable, match="too soon to sign with"):
        presign()


def test_a_failed_refresh_of_expiring_credentials_is_unavailable(clock, role_credentials):
    role_credentials("old", timedelta(seconds=20))
    with pytest.raises(aws.StorageUnavailable, match=r"could not be refreshed.*throttled"):
        presign()


def test_margin_and_minimum_are_settings(clock, role_credentials, settings):
    settings.SHARELINKS_CREDENTIALS_MARGIN = 5
    settings.SHARELINKS_URL_TTL_MIN = 1
    role_credentials(
        "old", timedelta(seconds=20), refresh=lambda: role_metadata("brief", timedelta(seconds=8))
    )
    assert verify_presigned_url(presign(60), **role_keys("brief")).expires_in == 3


def test_no_known_expiry_leaves_the_ttl_alone(clock, monkeypatch, settings):
    # Lambda hands its role to the code as environment variables, token included, with no
    # expiry: only the short TTL limits the URL.
    monkeypatch.setenv("AWS_SESSION_TOKEN", "lambda-session-token")
    aws.client_reset()
    try:
        url = presign(3600)
        status = aws.credential_status()
    finally:
        monkeypatch.delenv("AWS_SESSION_TOKEN")
        aws.client_reset()
    info = verify_presigned_url(
        url,
        access_key="AKIDLOCALTESTING",
        secret_key="local-testing-secret",
        token="lambda-session-token",
    )
    assert info.expires_in == 3600
    assert (status.method, status.temporary, status.expiry) == ("env", True, None)


def test_the_url_is_signed_with_the_very_credentials_whose_expiry_was_checked(
    clock, role_credentials, monkeypatch
):
    # Another thread refreshes the credentials between this click's signature and its
    # expiry check: the URL shows other keys than were checked, so it is made again.
    role_credentials(
        "old", timedelta(minutes=16), refresh=lambda: role_metadata("fresh", timedelta(hours=1))
    )
    checks = []
    real_last_signer = aws.client._last_signer

    def refreshed_meanwhile():
        if not checks:
            clock.shift(timedelta(minutes=7))  # 9 minutes left: botocore must refresh
            aws.get_session().get_credentials().get_frozen_credentials()
        checks.append(real_last_signer())
        return checks[-1]

    monkeypatch.setattr(aws.s3, "_last_signer", refreshed_meanwhile)
    url = verify_presigned_url(presign(60), **role_keys("fresh"))
    assert [expiry for _, expiry in checks] == [NOW + timedelta(minutes=7, hours=1)] * 2
    assert url.signed_at == NOW + timedelta(minutes=7)


def test_static_keys_are_long_lived_without_expiry():
    status = aws.credential_status()
    assert (status.method, status.temporary, status.expiry) == ("env", False, None)
    assert status.access_key == "AKIDLOCALTESTING"


def test_role_status_says_temporary_with_its_expiry(clock, role_credentials):
    role_credentials("first", timedelta(hours=1), method="iam-role")
    status = aws.credential_status()
    assert (status.method, status.temporary) == ("iam-role", True)
    assert status.expiry == NOW + timedelta(hours=1)
    assert status.remaining() == 3600


def test_one_client_and_one_credentials_object_serve_every_presign(role_credentials):
    credentials = role_credentials("first", timedelta(hours=1))
    client = aws.get_client()
    for _ in range(3):
        presign()
    assert aws.get_client() is client
    assert aws.get_session().get_credentials() is credentials


@pytest.mark.django_db
def test_click_when_credentials_cannot_be_refreshed_is_503_and_not_counted(
    client, clock, role_credentials
):
    share = ShareFactory()
    token = page_token(client.get(share.path))  # the page was opened while all was well
    role_credentials("old", timedelta(seconds=20))
    response = client.post(share.path, {"token": token})
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    share.refresh_from_db()
    assert share.download_count == 0
    outcomes = list(Click.objects.filter(share=share).order_by("pk").values_list("outcome"))
    assert outcomes == [(ClickOutcome.VIEWED,), (ClickOutcome.UNAVAILABLE,)]


@pytest.mark.django_db
def test_click_after_a_refresh_redirects_with_the_fresh_token(client, clock, role_credentials):
    share = ShareFactory()
    role_credentials(
        "old", timedelta(seconds=20), refresh=lambda: role_metadata("fresh", timedelta(hours=1))
    )
    response = download(client, share.path)
    assert response.status_code == 303
    assert verify_presigned_url(response["Location"], **role_keys("fresh")).expires_in == 60
    share.refresh_from_db()
    assert share.download_count == 1


def test_credentials_shorter_than_botocores_refresh_window_still_sign(clock, role_credentials):
    # A 900 s AssumeRole session is always inside botocore's 15-minute advisory window, so
    # every read refreshes (an STS call): a click must read them once, when signing.
    issued = []

    def refresh() -> dict:
        issued.append(f"s{len(issued)}")
        return role_metadata(issued[-1], timedelta(seconds=890))

    role_credentials("first", timedelta(seconds=890), refresh=refresh)
    url = verify_presigned_url(presign(60), **role_keys(issued[-1]))
    assert url.expires_in == 60
    assert len(issued) == 1  # one refresh, the signature's; the check reads without one


@pytest.mark.parametrize("role", [False, True])
def test_the_built_in_presigner_makes_botocores_url(clock, role_credentials, settings, role):
    if role:
        role_credentials("first", timedelta(hours=1))
    settings.SHARELINKS_PRESIGNER = "botocore"
    by_botocore = presign()
    settings.SHARELINKS_PRESIGNER = "builtin"
    assert presign() == by_botocore


@pytest.fixture
def storage_clock(monkeypatch):
    """The process's storage clock replaced by a fresh one, on a client made for the test."""

    def install(clock: aws_clock.StorageClock) -> aws_clock.StorageClock:
        monkeypatch.setattr(aws_clock, "storage_clock", clock)
        aws.client_reset()  # the next client registers the replacement
        return clock

    yield install
    aws.client_reset()


def test_the_shared_client_learns_the_storages_clock_from_a_404_head(storage_clock):
    lagging = storage_clock(StorageClock(wall=lambda: datetime.now(UTC).timestamp() - 180))
    assert aws.object_head(bucket="sharelinks-test", key="no/such/object") is None
    assert lagging.skew_seconds() == pytest.approx(180, abs=1.5)


def test_urls_are_dated_by_the_storages_clock(clock, storage_clock, settings):
    skewed = storage_clock(StorageClock())
    skewed.observe("Mon, 02 Mar 2026 09:03:00 GMT", received_at=NOW.timestamp(), round_trip=0)
    url = verify_presigned_url(presign(60), **KEYS, now=NOW + timedelta(minutes=3, seconds=30))
    assert url.signed_at == NOW + timedelta(minutes=3)  # 180 .. 181 s ahead: 180.5
    settings.SHARELINKS_PRESIGNER = "botocore"  # botocore dates by this server's clock
    assert verify_presigned_url(presign(60), **KEYS, now=NOW).signed_at == NOW


def test_an_unknown_presigner_is_unavailable_not_a_crash(settings):
    settings.SHARELINKS_PRESIGNER = "v2"
    with pytest.raises(aws.StorageUnavailable, match="SHARELINKS_PRESIGNER='v2'"):
        presign()


class RefreshedWhileRead(RefreshableCredentials):
    """botocore's role credentials, refreshed by another thread between the moment the
    app reads the set to sign with and the moment it reads their expiry -- `races` times."""

    races = 0
    reads = 0

    @property
    def _expiry_time(self):
        if self._racing:
            self._racing = False
            type(self).races -= 1
            self._set_from_data(role_metadata(f"fresh{self.races}", timedelta(hours=2)))
            self._publish_refresh()
            self._staged_expiry_time = None
        return self.__dict__["_expiry"]

    @_expiry_time.setter
    def _expiry_time(self, value):
        self.__dict__["_expiry"] = value

    def get_frozen_credentials(self):
        frozen = super().get_frozen_credentials()
        type(self).reads += 1
        self._racing = self.races > 0
        return frozen


@pytest.fixture
def racing_credentials():
    def install(races: int) -> None:
        RefreshedWhileRead.races, RefreshedWhileRead.reads = races, 0
        credentials = RefreshedWhileRead.create_from_metadata(
            role_metadata("old", timedelta(hours=1)), refresh_using=None, method="assume-role"
        )
        credentials._racing = False
        aws.use_credentials(credentials)

    yield install
    aws.use_credentials(None)


def test_a_refresh_between_reading_the_keys_and_their_expiry_never_mixes_the_two(
    clock, racing_credentials
):
    racing_credentials(races=1)
    status = aws.credential_status()
    # Read again: the fresh keys with their own expiry, never the old keys with the new one.
    assert (status.access_key, status.expiry) == ("ASIAFRESH0", NOW + timedelta(hours=2))
    assert RefreshedWhileRead.reads == 2


def test_credentials_refreshed_at_every_read_are_unavailable_after_three_tries(
    clock, racing_credentials
):
    racing_credentials(races=5)
    with pytest.raises(aws.StorageUnavailable) as raised:
        aws.credential_status()
    assert str(raised.value) == "the credentials were refreshed three times while being read"
    assert RefreshedWhileRead.reads == 3


def test_exactly_the_minimum_life_left_still_signs_for_that_long(clock, role_credentials):
    role_credentials(
        "old", timedelta(seconds=20), refresh=lambda: role_metadata("brief", timedelta(seconds=35))
    )
    assert verify_presigned_url(presign(60), **role_keys("brief")).expires_in == 5


def test_sts_refusing_the_refresh_while_signing_is_unavailable_not_an_error(
    clock, role_credentials
):
    def sts_refuses():
        raise ClientError(
            {"Error": {"Code": "AccessDenied", "Message": "not authorized"}}, "AssumeRole"
        )

    role_credentials("old", timedelta(seconds=20), refresh=sts_refuses)
    with pytest.raises(aws.StorageUnavailable) as raised:
        presign()
    assert str(raised.value) == (
        "signing: the AWS credentials could not be refreshed: An error occurred (AccessDenied) "
        "when calling the AssumeRole operation: not authorized"
    )
