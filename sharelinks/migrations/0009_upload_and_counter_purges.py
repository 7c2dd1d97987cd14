"""Register the two new periodic jobs with django-celery-beat, once (as 0003 does).

Uploads past their retention are deleted hourly; spent throttle counters nightly at 04:10
(in the TIME_ZONE of this migrate). Staff change or disable either in the admin;
`manage.py maintenance purge-uploads purge-counters` runs the same jobs.
"""

from django.db import migrations
from django.utils import timezone

JOBS = {
    "sharelinks: delete uploads past retention": (
        "sharelinks.tasks.uploads_purge",
        ("hours", 1),
        "Deletes uploaded files whose shares all ended SHARELINKS_UPLOAD_RETENTION ago.",
    ),
    "sharelinks: purge throttle counters": (
        "sharelinks.tasks.counters_purge",
        {"minute": "10", "hour": "4"},
        "Deletes sign-in and share-password failure counters whose window has ended.",
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
    # A running beat reloads its schedule (see 0003).
    apps.get_model("django_celery_beat", "PeriodicTasks").objects.update_or_create(
        ident=1, defaults={"last_update": timezone.now()}
    )


def unregister(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=JOBS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("sharelinks", "0008_share_uploaded"),
        ("django_celery_beat", "0018_improve_crontab_helptext"),
    ]

    operations = [migrations.RunPython(register, unregister)]
