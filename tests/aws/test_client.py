"""sharelinks.aws.client and .config: how long the clients wait, and credentials found late."""

import time

import pytest
from botocore.credentials import CredentialResolver

from sharelinks import aws
from sharelinks.aws import config
from tests.faults import FaultProxy


def test_the_web_client_waits_seconds_as_the_settings_say():
    meta = aws.get_client().meta.config
    assert (meta.connect_timeout, meta.read_timeout) == (2, 2)
    assert meta.retries == {"total_max_attempts": 2, "mode": "standard"}


def test_background_work_and_the_doctor_wait_longer_on_the_same_credentials():
    web, background = aws.get_client(), aws.get_client(background=True)
    meta = background.meta.config
    assert (meta.connect_timeout, meta.read_timeout) == (5, 30)
    assert meta.retries["total_max_attempts"] == 4
    assert background is not web
    assert background._request_signer._credentials is web._request_signer._credentials


def test_changing_a_timeout_rebuilds_the_client(settings):
    before = aws.get_client()
    settings.SHARELINKS_S3_READ_TIMEOUT = 7
    after = aws.get_client()
    assert after is not before
    assert after.meta.config.read_timeout == 7


def test_the_documented_worst_case_of_the_defaults():
    # docs/timeouts.md: 2 attempts x (2 s connect + 2 s read) + at most 1 s of backoff.
    assert config.web_worst_case() == 9.0
    assert config.backoff_bound(1) == 0.0
    assert config.backoff_bound(4) == 7.0


def test_a_silent_s3_fails_the_web_request_as_unavailable(settings, hang_guard):
    settings.SHARELINKS_S3_READ_TIMEOUT = 1
    with FaultProxy(mode="hold") as silent:
        settings.AWS_S3_ENDPOINT_URL = silent.url("http")
        with pytest.raises(aws.StorageUnavailable, match="Read timeout"):
            aws.object_head(bucket="sharelinks-test", key="reports/q1.pdf")


@pytest.fixture
def chain_runs(monkeypatch):
    """How many times the credential chain has been asked."""
    runs = []
    real = CredentialResolver.load_credentials

    def counted(self):
        runs.append(1)
        return real(self)

    monkeypatch.setattr(CredentialResolver, "load_credentials", counted)
    return runs


@pytest.fixture
def no_credentials(monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    aws.client_reset()
    yield monkeypatch
    monkeypatch.undo()
    aws.client_reset()


def test_a_process_that_found_no_credentials_looks_again_after_a_while(no_credentials, chain_runs):
    no_credentials.setattr(aws.client, "CREDENTIALS_RETRY", 0.3)
    assert aws.credential_status() is None
    no_credentials.setenv("AWS_ACCESS_KEY_ID", "AKIDLOCALTESTING")  # the role arrives
    no_credentials.setenv("AWS_SECRET_ACCESS_KEY", "local-testing-secret")
    for _ in range(5):  # within the interval: still none, and the chain is not asked
        assert aws.credential_status() is None
    assert len(chain_runs) == 1
    time.sleep(0.4)
    assert aws.credential_status().access_key == "AKIDLOCALTESTING"
    assert len(chain_runs) == 2


def test_a_click_without_credentials_is_unavailable_and_says_so(no_credentials):
    with pytest.raises(aws.StorageUnavailable, match="no AWS credentials"):
        aws.presigned_get_url(
            bucket="sharelinks-test", key="k", filename="k", content_type="", expires_in=60
        )
    assert aws.watch.credentials_problem()[0].startswith("no AWS credentials")
