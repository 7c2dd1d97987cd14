"""`manage.py createshare`: the link on stdout, or one clear line on stderr and nothing made."""

import subprocess
import sys
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from sharelinks.models import Share
from tests.conftest import BASE_URL, TEST_BUCKET
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("createshare", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def owner():
    return UserFactory(username="maria")


def test_uploads_a_file_and_prints_only_the_link(tmp_path, owner, s3_client):
    report = tmp_path / "Q3 report.pdf"
    report.write_bytes(b"%PDF quarterly")
    out = run("--file", str(report), "--owner", "maria", "--expires", "36h")
    share = Share.objects.get()
    assert out == f"{BASE_URL}/s/{share.code}\n"
    assert share.filename == "Q3 report.pdf"
    assert share.key.startswith("shares/")
    assert share.key.endswith("/Q3 report.pdf")
    assert (share.size, share.content_type) == (14, "application/pdf")
    stored = s3_client.get_object(Bucket=TEST_BUCKET, Key=share.key)["Body"].read()
    assert stored == b"%PDF quarterly"
    lifetime = share.expires_at - timezone.now()
    assert timedelta(hours=35, minutes=59) < lifetime <= timedelta(hours=36)


def test_shares_an_existing_key_with_limit_name_and_note(owner, put_object):
    put_object("exports/2026.csv", b"a,b\n1,2\n", "text/csv")
    run(
        *("--bucket", TEST_BUCKET, "--key", "exports/2026.csv", "--owner", "maria"),
        *("--filename", "Données 2026.csv", "--max-downloads", "3", "--note", "for audit"),
    )
    share = Share.objects.get()
    assert (share.filename, share.max_downloads, share.note) == ("Données 2026.csv", 3, "for audit")
    assert (share.size, share.content_type, share.owner) == (8, "text/csv", owner)


def test_default_lifetime_is_seven_days(owner, put_object):
    put_object("a.txt", b"a")
    run("--key", "a.txt", "--owner", "maria")
    lifetime = Share.objects.get().expires_at - timezone.now()
    assert timedelta(days=6, hours=23) < lifetime <= timedelta(days=7)


def test_an_iso_moment_is_accepted(owner, put_object):
    put_object("a.txt", b"a")
    moment = (timezone.now() + timedelta(days=10)).replace(microsecond=0)
    run("--key", "a.txt", "--owner", "maria", "--expires", moment.isoformat())
    assert Share.objects.get().expires_at == moment


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--key", "missing.pdf", "--owner", "maria"],
            "There is no object s3://sharelinks-test/missing.pdf",
        ),
        (["--key", "a.txt", "--owner", "maria", "--expires", "2001-01-01T00:00"], "in the future"),
        (["--key", "a.txt", "--owner", "maria", "--expires", "91d"], "at most 90 days"),
        (["--key", "a.txt", "--owner", "maria", "--expires", "soon"], "use a duration"),
        (["--key", "a.txt", "--owner", "maria", "--expires", "9999999999d"], "any date"),
        (["--key", "a.txt", "--owner", "maria", "--expires", "999999999d"], "any date"),
        (["--bucket", "other", "--key", "a.txt", "--owner", "maria"], "SOURCE_BUCKETS"),
        (["--key", "a.txt", "--owner", "nobody"], "'nobody': no such user"),
        (["--file", "/nonexistent/x.pdf", "--owner", "maria"], "No such file or directory"),
        (["--key", "a.txt", "--owner", "maria", "--max-downloads", "0"], "1 or more"),
        # Bytes that are not UTF-8 reach Python as lone surrogates (a Latin-1 shell).
        (["--key", "caf\udce9.txt", "--owner", "maria"], "--key: not UTF-8 text"),
        (["--key", "a.txt", "--owner", "maria", "--note", "caf\udce9"], "--note: not UTF-8"),
        (["--key", "a.txt", "--owner", "maria", "--recipient", "\udce9@x.jp"], "--recipient"),
    ],
)
def test_bad_input_fails_with_one_clear_message_and_creates_nothing(
    args, message, owner, put_object
):
    put_object("a.txt", b"a")
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not Share.objects.exists()


def test_missing_base_url_fails_before_creating(owner, put_object, settings):
    settings.SHARELINKS_BASE_URL = ""
    put_object("a.txt", b"a")
    with pytest.raises(CommandError, match="SHARELINKS_BASE_URL"):
        run("--key", "a.txt", "--owner", "maria")
    assert not Share.objects.exists()


def test_as_a_process_it_exits_non_zero_with_one_line_on_stderr(tmp_path):
    # A real process: what a shell script sees. Its database is a fresh SQLite file.
    env = {
        "PATH": "/usr/bin:/bin",
        "SHARELINKS_DATA_DIR": str(tmp_path),
        "AWS_STORAGE_BUCKET_NAME": TEST_BUCKET,
        "SHARELINKS_BASE_URL": BASE_URL,
        # The embedded console mail backend is for development; with DEBUG off every
        # command would print sharelinks.W005 first.
        "DEBUG": "true",
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], env=env, check=True)
    result = subprocess.run(
        [sys.executable, "manage.py", "createshare", "--key", "x", "--owner", "ghost"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == ["CommandError: --owner 'ghost': no such user"]
