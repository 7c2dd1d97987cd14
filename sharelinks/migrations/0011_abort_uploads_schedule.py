"""Register the job that aborts unfinished browser uploads with django-celery-beat, once.

Like 0003: a data migration, so a schedule staff changed or disabled in the admin stays as
they left it. Hourly is plenty: an upload is abandoned only after UPLOAD_ABANDON_AFTER
(7 days by default), and each run is one ListMultipartUploads under the upload prefix.
"""

from django.db import migrations
from django.utils import timezone

NAME = "sharelinks: abort unfinished uploads"
TASK = "sharelinks.tasks.uploads_abort_stale"
DESCRIPTION = (
    "Aborts multipart uploads from the admin started more than "
    "SHARELINKS_UPLOAD_ABANDON_AFTER ago, so S3 stops keeping their parts."
)


def register(apps, schema_editor):
    interval = apps.get_model("django_celery_beat", "IntervalSchedule").objects.get_or_create(
        every=1, period="hours"
    )[0]
    apps.get_model("django_celery_beat", "PeriodicTask").objects.get_or_create(
        name=NAME, defaults={"task": TASK, "description": DESCRIPTION, "interval": interval}
    )
    # What PeriodicTasks.update_changed() does: a running beat reloads its schedule.
    apps.get_model("django_celery_beat", "PeriodicTasks").objects.update_or_create(
        ident=1, defaults={"last_update": timezone.now()}
    )


def unregister(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("sharelinks", "0010_click_outcome_labels"),
        ("django_celery_beat", "0018_improve_crontab_helptext"),
    ]

    operations = [migrations.RunPython(register, unregister)]
