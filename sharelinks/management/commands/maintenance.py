"""`manage.py maintenance <job>`: the periodic jobs, for operators who run no celery beat."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sharelinks import mail, maintenance, retention, uploads

JOBS = {
    "sweep-outbox": "publish again the emails left pending (broker down, worker died)",
    "remind-expiring": "email owners whose shares expire within SHARELINKS_EXPIRY_REMINDER",
    "purge-clicks": "delete click rows older than SHARELINKS_CLICK_RETENTION_DAYS",
    "check-objects": "HEAD shared objects and flag shares whose file is missing",
    "purge-uploads": "delete uploaded files whose shares all ended SHARELINKS_UPLOAD_RETENTION ago",
    "purge-counters": "delete sign-in and password throttle counters whose window ended",
    "abort-uploads": "abort browser uploads unfinished after SHARELINKS_UPLOAD_ABANDON_AFTER",
}


class Command(BaseCommand):
    help = "Run sharelinks' periodic jobs once (celery beat runs them on its own schedule)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "jobs",
            nargs="+",
            choices=[*JOBS, "all"],
            metavar="JOB",
            help="; ".join(f"{name}: {what}" for name, what in JOBS.items()) + "; or all",
        )
        parser.add_argument("--limit", type=int, help="check-objects: objects to HEAD in this run")

    def handle(self, *args, jobs: list[str], limit: int | None, **options) -> None:
        for job in JOBS if "all" in jobs else dict.fromkeys(jobs):
            self.stdout.write(f"{job}: {self._run(job, limit)}")

    def _run(self, job: str, limit: int | None) -> str:
        if job == "sweep-outbox":
            return f"{mail.deliveries_sweep()} emails published again"
        if job == "remind-expiring":
            return f"{maintenance.expiry_reminders_queue()} reminders queued"
        if job == "purge-clicks":
            return f"{maintenance.clicks_purge()} clicks deleted"
        if job == "purge-uploads":
            report = retention.uploads_purge()
            return f"{report.deleted} files deleted, {report.kept} kept, {report.errors} errors"
        if job == "purge-counters":
            return f"{maintenance.counters_purge()} counters deleted"
        if job == "abort-uploads":
            try:
                return f"{uploads.uploads_abort_stale()} unfinished uploads aborted"
            except ValidationError as err:
                raise CommandError(f"abort-uploads: {' '.join(err.messages)}") from err
        report = maintenance.objects_check(limit=limit)
        return ", ".join(f"{value} {name}" for name, value in report.as_dict().items())
