"""The job that aborts abandoned browser uploads: beat task, command, and what it leaves alone."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from sharelinks import aws, tasks, uploads
from tests.conftest import TEST_BUCKET
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def pending_ids(s3_client) -> set[str]:
    found = s3_client.list_multipart_uploads(Bucket=TEST_BUCKET).get("Uploads", [])
    return {item["UploadId"] for item in found}


def initiated(s3_client, upload_id: str):
    found = s3_client.list_multipart_uploads(Bucket=TEST_BUCKET)["Uploads"]
    return next(item["Initiated"] for item in found if item["UploadId"] == upload_id)


def test_uploads_older_than_the_window_are_aborted(s3_client):
    started = uploads.upload_start(owner=UserFactory(), name="left behind.iso")
    began = initiated(s3_client, started.upload_id)

    assert uploads.uploads_abort_stale(now=began + timedelta(days=7, seconds=1)) >= 1
    assert started.upload_id not in pending_ids(s3_client)


def test_uploads_within_the_window_are_left_to_finish(s3_client, settings):
    settings.SHARELINKS_UPLOAD_ABANDON_AFTER = timedelta(days=2)
    owner = UserFactory()
    started = uploads.upload_start(owner=owner, name="still going.iso")
    began = initiated(s3_client, started.upload_id)

    uploads.uploads_abort_stale(now=began + timedelta(days=1, hours=23))
    assert started.upload_id in pending_ids(s3_client)
    uploads.upload_abort(owner=owner, handle=started.handle, upload_id=started.upload_id)


def test_uploads_outside_the_upload_prefix_are_not_touched(s3_client):
    other = s3_client.create_multipart_upload(Bucket=TEST_BUCKET, Key="exports/nightly.tar")
    uploads.uploads_abort_stale(now=timezone.now() + timedelta(days=365 * 30))
    assert other["UploadId"] in pending_ids(s3_client)
    s3_client.abort_multipart_upload(
        Bucket=TEST_BUCKET, Key="exports/nightly.tar", UploadId=other["UploadId"]
    )


def test_an_abort_s3_refuses_is_left_for_the_next_run(monkeypatch):
    old = timezone.now() - timedelta(days=30)
    pending = [
        aws.PendingUpload("shares/a/x.bin", "refused", old),
        aws.PendingUpload("shares/b/y.bin", "fine", old),
        aws.PendingUpload("shares/c/z.bin", "young", timezone.now()),
    ]
    monkeypatch.setattr(aws, "multipart_pending", lambda **kwargs: pending)
    aborted = []

    def abort(*, bucket, key, upload_id):
        if upload_id == "refused":
            raise aws.StorageError("S3 answered 403 AccessDenied")
        aborted.append(upload_id)
        return True

    monkeypatch.setattr(aws, "multipart_abort", abort)
    assert uploads.uploads_abort_stale() == 1
    assert aborted == ["fine"]


def test_the_beat_task_and_the_command_run_the_job(capsys, monkeypatch):
    monkeypatch.setattr(uploads, "uploads_abort_stale", lambda: 3)
    assert tasks.uploads_abort_stale() == 3
    call_command("maintenance", "abort-uploads")
    assert "abort-uploads: 3 unfinished uploads aborted" in capsys.readouterr().out


def test_the_command_names_the_storage_failure(settings):
    settings.AWS_STORAGE_BUCKET_NAME = "sharelinks-no-such-bucket"
    with pytest.raises(Exception, match="abort-uploads: ") as failure:
        call_command("maintenance", "abort-uploads")
    assert type(failure.value).__name__ == "CommandError"


def test_beat_runs_the_job_hourly():
    from django_celery_beat.models import PeriodicTask

    job = PeriodicTask.objects.get(task="sharelinks.tasks.uploads_abort_stale")
    assert (job.interval.every, job.interval.period, job.enabled) == (1, "hours", True)
