"""The presence survey's record per bucket, and the broken-share check every 5 minutes.

The check now lists buckets (1,000 keys a request) instead of HEADing a batch, so clicks
trust what it found; run every 5 minutes, a deleted file gets its page within about 5
minutes plus one listing. The schedule is moved only where it is still the 15 minutes 0003
registered: an interval staff changed in the admin stays as they left it.
"""

from django.db import migrations, models
from django.utils import timezone

NAME = "sharelinks: check shared objects"
DESCRIPTION = (
    "Lists the buckets of active shares (1,000 keys a request; HEADs where listing is not "
    "allowed); flags shares whose file is missing and clears files put back."
)


def _reschedule(apps, every: int, description: str | None) -> None:
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    was = 15 if every == 5 else 5
    task = task_model.objects.filter(
        name=NAME, interval__every=was, interval__period="minutes"
    ).first()
    if task is None:
        return
    task.interval = interval_model.objects.get_or_create(every=every, period="minutes")[0]
    if description is not None:
        task.description = description
    task.save(update_fields=["interval", "description"])
    # What PeriodicTasks.update_changed() does: a running beat reloads its schedule.
    apps.get_model("django_celery_beat", "PeriodicTasks").objects.update_or_create(
        ident=1, defaults={"last_update": timezone.now()}
    )


def every_5_minutes(apps, schema_editor):
    _reschedule(apps, 5, DESCRIPTION)


def every_15_minutes(apps, schema_editor):
    _reschedule(apps, 15, None)


class Migration(migrations.Migration):
    dependencies = [
        ("sharelinks", "0011_abort_uploads_schedule"),
        ("django_celery_beat", "0018_improve_crontab_helptext"),
    ]

    operations = [
        migrations.CreateModel(
            name="BucketSurvey",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("bucket", models.CharField(max_length=63, unique=True, verbose_name="bucket")),
                ("listed_at", models.DateTimeField(verbose_name="listing began")),
                ("objects_listed", models.PositiveIntegerField(default=0, verbose_name="objects listed")),
                ("shares_checked", models.PositiveIntegerField(default=0, verbose_name="shares checked")),
            ],
            options={"verbose_name": "bucket survey", "verbose_name_plural": "bucket surveys"},
        ),
        migrations.RunPython(every_5_minutes, every_15_minutes),
    ]
