"""Shared fixtures: a real S3-compatible server over HTTP, settings pointing at it, factories.

The S3 server is moto's, run in a thread on 127.0.0.1 and spoken to over real HTTP, so the
app's boto3 client, django-storages and the presigned redirects all go through the network
code they use in production. moto does not check signatures; tests/presign.py does.
"""

import os
from pathlib import Path

import pytest

# One Ceph RADOS Gateway for the whole run, shared by every module that asks for it.
from tests.rgw.fixtures import rgw  # noqa: F401

# Made-up keys for the local emulator only; set before any boto3 session exists, and the
# user's own AWS config files are hidden so they cannot leak into a test.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "AKIDLOCALTESTING",
        "AWS_SECRET_ACCESS_KEY": "local-testing-secret",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
)
os.environ.pop("AWS_SESSION_TOKEN", None)
os.environ.pop("AWS_PROFILE", None)

TEST_BUCKET = "sharelinks-test"
BASE_URL = "https://files.example.com"


@pytest.fixture(scope="session")
def s3_server():
    """A moto S3 server on a free loopback port for the whole run; yields its URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="session", autouse=True)
def s3_settings(s3_server):
    """Point the app at the emulator for the whole run, and create the bucket once.

    Set once on the settings object rather than per test: each change resets the app's
    shared client, and a new boto3 session costs a quarter of a second.
    """
    from django.conf import settings

    settings.AWS_S3_ENDPOINT_URL = s3_server
    settings.AWS_STORAGE_BUCKET_NAME = TEST_BUCKET
    settings.AWS_S3_REGION_NAME = "us-east-1"
    settings.AWS_S3_ADDRESSING_STYLE = "path"
    settings.SHARELINKS_BASE_URL = BASE_URL
    # A click's email inside the request, so a test reads it right after the response;
    # tests/mail/test_handoff.py runs the mail thread that production uses.
    settings.SHARELINKS_MAIL_AFTER_ANSWER = False
    from sharelinks.conf import app_settings

    app_settings.forget()  # set directly, without setting_changed: read them afresh
    from sharelinks import aws, uploads

    aws.client._reset_on_setting_change(setting="AWS_S3_ENDPOINT_URL")
    aws.bucket_create(TEST_BUCKET)
    # Browser tests run on a random port: any origin may upload here. The emulator allows
    # every origin anyway, but exposes a part's ETag to scripts only when a rule says so;
    # the radosgw suite proves the real rule (sharelinks.uploads.cors_rules) per origin.
    aws.bucket_cors_set(uploads.cors_rules("*"), TEST_BUCKET)
    return settings


@pytest.fixture
def s3_client(s3_settings):
    """The app's own shared S3 client (same endpoint, same credentials)."""
    from sharelinks import aws

    return aws.get_client()


@pytest.fixture
def put_object(s3_client):
    """Store bytes in the test bucket: put_object(key, body, content_type=...)."""

    def put(key: str, body: bytes, content_type: str = "application/octet-stream") -> str:
        s3_client.put_object(Bucket=TEST_BUCKET, Key=key, Body=body, ContentType=content_type)
        return key

    return put


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """One SQLite test database per process, named when its test session starts.

    project/settings.py names the file after the process that read the settings, so
    processes forked after that (mutmut runs each mutant in such a fork, two at a time)
    would share one file and see each other's rows.
    """
    from django.conf import settings

    for database in settings.DATABASES.values():
        name = database.get("TEST", {}).get("NAME")
        if database["ENGINE"] == "django.db.backends.sqlite3" and name:
            database["TEST"]["NAME"] = str(Path(name).with_name(f"test-db-{os.getpid()}.sqlite3"))


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """PBKDF2's deliberate slowness is for attackers, not for a test suite."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def plain_static_files(settings):
    """Admin pages name static files; without collectstatic there is no manifest to ask."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: ids repeat across tests, cached answers must not."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def fresh_failure_memory():
    """Each test starts with a cache that is tried, and nothing remembered about S3's answers.

    A test that breaks the cache would otherwise leave it skipped (sharelinks.softcache)
    for the next ten seconds of the run, and /healthz would report another test's S3 outage.
    The storage's clock starts over too: a test that moves this clock while S3 answers
    would otherwise teach it an offset that dates every later test's URLs.
    """
    from sharelinks import softcache
    from sharelinks.aws import clock, watch

    softcache.forget()
    watch.forget()
    clock.forget()
    yield
    softcache.forget()


def pytest_runtest_setup(item):
    """`postgres` tests need TEST_DATABASE_URL (and run in the pass whose database it is)."""
    if item.get_closest_marker("postgres") and not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("TEST_DATABASE_URL is not set: no PostgreSQL to test against")


@pytest.fixture
def hang_guard():
    """Fail the run loudly (every thread's traceback, then exit) if a test hangs for 2 min.

    The fault tests expect an answer within seconds; should a bound be lost, this ends the
    run instead of leaving it waiting forever. No timing is asserted by it.
    """
    import faulthandler

    faulthandler.dump_traceback_later(120, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture
def pg_proxy(transactional_db, hang_guard):
    """This test process's PostgreSQL connection, rerouted through a FaultProxy; yields it.

    Needs the PostgreSQL pass (DATABASE_URL=$TEST_DATABASE_URL): the click under test must
    use the connection Django makes, with the OPTIONS settings.py gives it.
    """
    from django.db import connection

    from tests.faults import FaultProxy

    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass (DATABASE_URL=$TEST_DATABASE_URL)")
    params = connection.settings_dict
    saved = params["HOST"], params["PORT"]
    target = (params["HOST"] or "127.0.0.1", int(params["PORT"] or 5432))
    with FaultProxy(target) as proxy:
        connection.close()
        params["HOST"], params["PORT"] = "127.0.0.1", proxy.port
        try:
            yield proxy
        finally:
            connection.close()
            params["HOST"], params["PORT"] = saved


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run a job and then its on-commit publishes, as after a real commit (eager Celery)."""

    def run(job, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return job(*args, **kwargs)

    return run


@pytest.fixture(autouse=True)
def broker_not_known_down():
    """Each test starts with no memory of a broker that failed in an earlier test: the
    publish backs off process-wide for a while after a failure (sharelinks.mail.dispatch)."""
    from sharelinks.mail import dispatch

    dispatch._broker_down_until = 0.0
