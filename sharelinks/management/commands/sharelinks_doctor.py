"""`manage.py sharelinks_doctor`: what the signing set-up really is, in words, with fixes."""

from itertools import groupby

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sharelinks.doctor import Finding, examine

LABEL_WIDTH = 18


class Command(BaseCommand):
    help = (
        "Report the credential source and its expiry, what a directly presigned 7-day URL "
        "would really live, the S3 endpoint and bucket, the signer, and (--key) a live "
        "download. Exits non-zero, naming the fix, when something is wrong."
    )
    # The doctor reports the system checks itself: it must still run when they fail.
    requires_system_checks = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--key", help="also presign this object, GET it and count its bytes")

    def handle(self, *args, key: str | None = None, **options) -> None:
        findings = examine(key=key)
        for section, items in groupby(findings, key=lambda finding: finding.section):
            self.stdout.write(section)
            for finding in items:
                self._write(finding)
        broken = [finding for finding in findings if finding.broken]
        if broken:
            fixes = "\n".join(f"  {f.label}: {f.fix}" for f in broken)
            raise CommandError(f"{len(broken)} problem(s) found; fix:\n{fixes}")
        self.stdout.write(self.style.SUCCESS("No problems found."))

    def _write(self, finding: Finding) -> None:
        first, *rest = finding.text.splitlines() or [""]
        line = f"  {finding.label:<{LABEL_WIDTH}} {first}"
        self.stdout.write(self.style.ERROR(line) if finding.broken else line)
        for more in rest:
            self.stdout.write(f"  {'':<{LABEL_WIDTH}} {more}")
        if finding.fix:
            advice = "fix" if finding.broken else "hint"
            self.stdout.write(f"  {'':<{LABEL_WIDTH}} {advice}: {finding.fix}")
