"""Fill the bench's database with shares and people, survey it, write the request files.

Run by `benchmarks.click` in its own process, with the same environment as the server
(so the S3 emulator is reachable):
    python -m benchmarks.fill --to 200000 --fresh 100000 --requests DIR
Migrates, makes the owner, adds shares until there are --to of them (share_plan: every
10th sent to two people, its general link off; of the others up to --fresh never
downloaded, the rest downloaded once before), runs the presence survey once as the
periodic job would, then writes one file per endpoint of benchmarks.endpoints with a line
per link of its pool. Prints a JSON summary, timings included. With --survey-only it only
runs the survey again (the bench does so when the last one is older than the job's
interval, as production would, so clicks never outlive it).

Rows go in with COPY on PostgreSQL and one executemany on SQLite: 200,000 shares and their
people take seconds, not minutes. Counts stay consistent as the app keeps them: a share's
download count is its people's plus its general link's.
"""

import argparse
import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

BUCKET = "sharelinks-bench"
KEY = "reports/figures.pdf"
OWNER = "bench-owner"
OWNER_EMAIL = "owner@example.com"
SHARE_LIFETIME = timedelta(days=60)
PEOPLE_EVERY = 10  # every 10th share added is sent to people (its general link off)
PERSON_COUNTS = (1, 0)  # the downloads of each such share's two people before the bench
PERSON_FIELDS = ("share", "code", "name", "address", "download_count", "created_at",
                 "first_download_at", "last_download_at")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--to", type=int, default=0, help="shares in the table afterwards")
    parser.add_argument("--fresh", type=int, default=0, help="of the new ones, never downloaded")
    parser.add_argument("--requests", type=Path, help="directory for the request files")
    parser.add_argument(
        "--survey-only", action="store_true", help="only the presence survey, as its job reruns it"
    )
    args = parser.parse_args()
    if not args.survey_only and (args.to <= 0 or args.requests is None):
        parser.error("--to and --requests are needed, unless --survey-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    import django
    from django.core.management import call_command

    django.setup()
    started = time.monotonic()
    if args.survey_only:
        surveyed = survey()
        json.dump(
            {"survey": surveyed, "survey_s": round(time.monotonic() - started, 1)}, sys.stdout
        )
        return
    call_command("migrate", verbosity=0)
    migrated = time.monotonic()
    added, people = shares_add(total=args.to, fresh=args.fresh)
    filled = time.monotonic()
    surveyed = survey()
    survey_done = time.monotonic()
    pools = requests_write(args.requests)
    summary = {
        "added": added,
        "people": people,
        "pools": pools,
        "survey": surveyed,
        "migrate_s": round(migrated - started, 1),
        "fill_s": round(filled - migrated, 1),
        "survey_s": round(survey_done - filled, 1),
        "files_s": round(time.monotonic() - survey_done, 1),
    }
    json.dump(summary, sys.stdout)


def share_plan(n: int, fresh: int) -> tuple[int, bool]:
    """(download count, sent to people) of the n-th share a fill adds.

    Every PEOPLE_EVERY-th share goes to people, its general link off, and counts what they
    downloaded; of the others, every other one is fresh while any are due (never
    downloaded: a click on it is a first download), and the rest were downloaded once.
    """
    if n % PEOPLE_EVERY == PEOPLE_EVERY - 1:  # odd: the fresh shares keep their number
        return sum(PERSON_COUNTS), True
    return (0 if n % 2 == 0 and n // 2 < fresh else 1), False


def shares_add(*, total: int, fresh: int) -> tuple[int, int]:
    """Add shares until there are `total` (see share_plan), and the people of those sent
    to people; (shares added, people added)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Max
    from django.utils import timezone

    from sharelinks.models import Share

    owner, _ = get_user_model().objects.get_or_create(
        username=OWNER, defaults={"email": OWNER_EMAIL, "is_staff": True}
    )
    missing = total - Share.objects.count()
    if missing <= 0:
        return 0, 0
    now = timezone.now()
    # The defaults a share is made with (notify on the first download, no limit), one object.
    template = Share(
        owner=owner,
        bucket=BUCKET,
        key=KEY,
        filename="figures.pdf",
        content_type="application/pdf",
        size=4,
        created_at=now,
        expires_at=now + SHARE_LIFETIME,
    )
    fields, values = _template(template)
    code_at = fields.index(Share._meta.get_field("code"))
    count_at = fields.index(Share._meta.get_field("download_count"))
    general_at = fields.index(Share._meta.get_field("general_link"))
    new_code = Share._meta.get_field("code").get_default
    rows = []
    for n in range(missing):
        row = list(values)
        row[code_at] = new_code()
        row[count_at], sent = share_plan(n, fresh)
        row[general_at] = not sent
        rows.append(row)
    last = Share.objects.aggregate(last=Max("pk"))["last"] or 0
    _insert(Share, fields, rows)
    sent_to_people = Share.objects.filter(pk__gt=last, general_link=False).order_by("pk")
    people = people_add(list(sent_to_people.values_list("pk", flat=True)), now)
    return missing, people


def people_add(share_ids: list[int], now) -> int:
    """Each share's people (PERSON_COUNTS: one downloaded once, one never); how many."""
    from sharelinks.models import Recipient

    fields, values = _template(Recipient(share_id=0, name="", address="", created_at=now))
    at = {name: fields.index(Recipient._meta.get_field(name)) for name in PERSON_FIELDS}
    new_code = Recipient._meta.get_field("code").get_default
    rows = []
    for share_id in share_ids:
        for k, count in enumerate(PERSON_COUNTS, start=1):
            row = list(values)
            row[at["share"]], row[at["code"]] = share_id, new_code()
            row[at["name"]], row[at["address"]] = f"Person {k}", f"person{k}@example.com"
            row[at["download_count"]] = count
            for name in ("first_download_at", "last_download_at"):
                row[at[name]] = values[at["created_at"]] if count else None
            rows.append(row)
    _insert(Recipient, fields, rows)
    return len(rows)


def _template(instance) -> tuple[list, list]:
    """The model's columns (no primary key) and the instance's values, ready for the database."""
    from django.db import connection

    fields = [field for field in instance._meta.concrete_fields if not field.primary_key]
    values = [f.get_db_prep_save(getattr(instance, f.attname), connection) for f in fields]
    return fields, values


def _insert(model, fields: list, rows: list[list]) -> None:
    """Rows in one transaction: COPY on PostgreSQL, one executemany elsewhere; then ANALYZE,
    as autovacuum would soon, so the server plans for the full table."""
    from django.db import connection, transaction

    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(fields))
            insert = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 -- our names
            cursor.executemany(insert, rows)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")


def survey() -> dict:
    """The presence survey, as the periodic job runs it: clicks then trust it for every
    share made before it and ask S3 nothing (sharelinks.presence)."""
    from sharelinks import presence

    report = presence.presence_survey()
    if BUCKET not in report.listed or report.missing:
        raise RuntimeError(f"the presence survey did not vouch for every share: {report}")
    return report.as_dict()


def requests_write(directory: Path) -> dict[str, int]:
    """One file per endpoint, a line per link of its pool; returns the size of each pool."""
    from django.utils.module_loading import import_string

    from benchmarks import endpoints
    from sharelinks.models import Recipient, RecipientState, Share

    general = Share.objects.filter(general_link=True)  # else the share's code answers 410
    pools = {
        endpoints.DOWNLOADED: general.filter(download_count__gt=0),
        endpoints.FRESH: general.filter(download_count=0),
        endpoints.ANY: general,
        endpoints.PEOPLE: Recipient.objects.filter(
            download_count__gt=0, state=RecipientState.ACTIVE
        ),
    }
    directory.mkdir(parents=True, exist_ok=True)
    sizes = {}
    for endpoint in endpoints.ENDPOINTS:
        if endpoint.pool is None:
            lines = [endpoints.request_line(endpoint)]
        elif endpoint.token:  # a function of the share or person: it may read any field
            token = import_string(endpoint.token)
            links = pools[endpoint.pool].order_by().iterator(chunk_size=10_000)
            lines = [endpoints.request_line(endpoint, li.code, token(li)) for li in links]
        else:
            codes = pools[endpoint.pool].order_by().values_list("code", flat=True)
            lines = [endpoints.request_line(endpoint, code) for code in codes.iterator(10_000)]
        (directory / f"{endpoints.slug(endpoint)}.tsv").write_text(endpoints.requests_text(lines))
        sizes[endpoint.name] = len(lines) if endpoint.pool else 0
    return sizes


if __name__ == "__main__":
    main()
