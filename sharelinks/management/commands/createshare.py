"""`manage.py createshare`: share a file from a script; prints the short link and nothing else."""

import mimetypes
from datetime import datetime
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from sharelinks import links, mail, people, shares
from sharelinks.durations import DurationTooLong, parse_duration


def parse_expiry(text: str) -> datetime:
    """A duration from now ("90m", "36h", "7d") or an ISO 8601 moment (local time if naive)."""
    try:
        duration = parse_duration(text)
    except DurationTooLong as err:
        raise CommandError(f"--expires: {err}") from None
    except ValueError:
        pass
    else:
        try:
            return timezone.now() + duration
        except OverflowError:
            raise CommandError(f"--expires: {text!r} is longer than any date can reach") from None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"--expires {text!r}: use a duration (90m, 36h, 7d) or an ISO 8601 moment "
            "(2026-12-31T17:00 or 2026-12-31T17:00+01:00)"
        ) from None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _text_only(options: dict) -> None:
    """Refuse an argument the shell passed as bytes that are not UTF-8.

    Python keeps such bytes as lone surrogates, which no database, S3 key or email can
    hold: without this, a key was reported as a credentials failure and a note crashed.
    """
    for name, value in options.items():
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and not text.isascii():
                try:
                    text.encode("utf-8")
                except UnicodeEncodeError:
                    option = "--" + name.replace("_", "-")
                    raise CommandError(f"{option}: not UTF-8 text; pass it as UTF-8") from None


def _message(err: ValidationError) -> str:
    return " ".join(err.messages)


class Command(BaseCommand):
    help = "Share an uploaded file or an existing S3 object; print its short link."

    def add_arguments(self, parser: CommandParser) -> None:
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--file", help="upload this local file and share it")
        source.add_argument("--key", help="share this existing object (see --bucket)")
        parser.add_argument("--bucket", help="bucket of --key (default AWS_STORAGE_BUCKET_NAME)")
        parser.add_argument("--expires", help="90m, 36h, 7d, 30d or an ISO 8601 moment")
        parser.add_argument("--filename", help="name the recipient's download is saved under")
        parser.add_argument("--max-downloads", type=int, help="refuse downloads after this many")
        parser.add_argument("--owner", help="username of the owning staff member")
        parser.add_argument("--note", default="", help="a note for staff")
        parser.add_argument(
            "--recipient", action="append", default=[], metavar="ADDRESS",
            help="a person to give a link of their own (repeat; 'Name <address>' accepted); "
            "prints one line per person: the address, a tab, their link",
        )  # fmt: skip
        parser.add_argument(
            "--no-email", action="store_true", help="with --recipient: make the links, send nothing"
        )

    def handle(self, *args, **options) -> None:
        _text_only(options)
        if options["bucket"] and not options["key"]:
            raise CommandError("--bucket goes with --key")
        if options["max_downloads"] is not None and options["max_downloads"] < 1:
            raise CommandError("--max-downloads must be 1 or more")
        owner = self._owner(options["owner"])
        expires_at = parse_expiry(options["expires"]) if options["expires"] else None
        common = {
            "owner": owner,
            "expires_at": expires_at,
            "max_downloads": options["max_downloads"],
            "note": options["note"],
        }
        try:
            addressees = mail.recipients_clean(options["recipient"]) if options["recipient"] else []
        except ValidationError as err:
            raise CommandError(f"--recipient: {_message(err)}") from None
        if addressees:
            common["general_link"] = False  # each person has their own link
        try:
            # Fail before creating anything when the link could not be printed.
            links.share_url_base()
            if options["file"]:
                share = self._upload(Path(options["file"]), options["filename"], common)
            else:
                share = shares.share_create(
                    bucket=options["bucket"],
                    key=options["key"],
                    filename=options["filename"],
                    **common,
                )
        except ValidationError as err:
            raise CommandError(_message(err)) from None
        except ImproperlyConfigured as err:
            raise CommandError(str(err)) from None
        if not addressees:
            self.stdout.write(links.share_url(share))
            return
        self._people(share, addressees, owner, email=not options["no_email"])

    def _people(self, share, addressees: list, owner, *, email: bool) -> None:
        """One line per person: the bare normalised address, a tab, their own link.

        Emailed one by one, so a failure names its address (the share and the links made
        so far stay: the command can be run again for the rest with `Send link…`).
        """
        for addressee in addressees:
            try:
                if email:
                    queued = mail.share_send_link(share=share, recipients=[addressee], sender=owner)
                    person = queued[0].person if queued else None
                else:
                    person = None
                if person is None:
                    person, _ = people.person_add(
                        share=share, address=addressee.address, name=addressee.name
                    )
            except ValidationError as err:
                raise CommandError(f"{addressee.address}: {_message(err)}") from None
            except Exception as err:  # the broker or the mail server: name who was not sent
                raise CommandError(
                    f"{addressee.address}: the email could not be queued: {err}"
                ) from err
            self.stdout.write(f"{person.address}\t{links.share_url(person)}")

    def _owner(self, username: str | None):
        users = get_user_model().objects
        if username:
            try:
                return users.get(username=username)
            except users.model.DoesNotExist:
                raise CommandError(f"--owner {username!r}: no such user") from None
        superusers = list(users.filter(is_superuser=True, is_active=True)[:2])
        if len(superusers) != 1:
            raise CommandError("name the owning staff member with --owner USERNAME")
        return superusers[0]

    def _upload(self, path: Path, filename: str | None, common: dict):
        filename = filename or path.name
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        try:
            handle = path.open("rb")
        except OSError as err:
            raise CommandError(f"--file {str(path)!r}: {err.strerror}") from None
        with handle:
            return shares.share_create_from_upload(
                content=handle, filename=filename, content_type=content_type, **common
            )
