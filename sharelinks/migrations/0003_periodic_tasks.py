"""Register sharelinks' periodic jobs with django-celery-beat, once.

A data migration rather than a post_migrate handler: it runs exactly once per database, so
a schedule that staff changed or disabled in the admin stays as they left it. A handler
running on every migrate would have to guess whether a missing row was deleted on purpose.
Deleting or disabling is done in the admin; `manage.py maintenance` runs the same jobs.
The nightly purge runs at 03:30 in the TIME_ZONE of the first migrate (UTC unless set): the
crontab's own time zone field takes CELERY_TIMEZONE then, and staff change it in the admin.
"""

from django.db import migrations
from django.utils import timezone

EVERY_MINUTE = ("minutes", 1)
EVERY_15_MINUTES = ("minutes", 15)

# name: (task, interval or crontab, description)
JOBS = {
    "sharelinks: sweep the email outbox": (
        "sharelinks.tasks.outbox_sweep",
        EVERY_MINUTE,
        "Publishes again emails left pending (broker down at save time, worker died).",
    ),
    "sharelinks: expiry reminders": (
        "sharelinks.tasks.expiry_reminders_queue",
        EVERY_15_MINUTES,
        "Emails owners once when a share expires within SHARELINKS_EXPIRY_REMINDER.",
    ),
    "sharelinks: check shared objects": (
        "sharelinks.tasks.objects_check",
        EVERY_15_MINUTES,
        "HEADs a batch of shared objects; flags shares whose file is missing.",
    ),
    "sharelinks: purge old clicks": (
        "sharelinks.tasks.clicks_purge",
        {"minute": "30", "hour": "3"},
        "Deletes click rows older than SHARELINKS_CLICK_RETENTION_DAYS, nightly.",
    ),
}


def register(apps, schema_editor):
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    crontab_model = apps.get_model("django_celery_beat", "CrontabSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, (task, when, description) in JOBS.items():
        if isinstance(when, dict):
            schedule = {"crontab": crontab_model.objects.get_or_create(
                day_of_week="*", day_of_month="*", month_of_year="*", **when
            )[0]}
        else:
            period, every = when
            schedule = {"interval": interval_model.objects.get_or_create(
                every=every, period=period
            )[0]}
        task_model.objects.get_or_create(
            name=name, defaults={"task": task, "description": description, **schedule}
        )
    # What PeriodicTasks.update_changed() does (historical models lack the method): a beat
    # already running reloads its schedule and sees the new jobs without a restart.
    apps.get_model("django_celery_beat", "PeriodicTasks").objects.update_or_create(
        ident=1, defaults={"last_update": timezone.now()}
    )


def unregister(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=JOBS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("sharelinks", "0002_outbox_and_share_health"),
        ("django_celery_beat", "0018_improve_crontab_helptext"),
    ]

    operations = [migrations.RunPython(register, unregister)]
