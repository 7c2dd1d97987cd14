"""Fill the bench's database with shares and write the request files wrk reads.

Run by `benchmarks.click` in its own process, with the same environment as the server:
    python -m benchmarks.fill --to 200000 --fresh 100000 --requests DIR
Migrates, makes the owner, adds shares until there are --to of them (--fresh of the new
ones never downloaded, the rest downloaded once before), then writes one file per endpoint
of benchmarks.endpoints with a line per share of its pool. Prints a JSON summary.

Rows go in with COPY on PostgreSQL and one executemany on SQLite: 200,000 shares take
seconds, not minutes.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--to", type=int, required=True, help="shares in the table afterwards")
    parser.add_argument("--fresh", type=int, default=0, help="of the new ones, never downloaded")
    parser.add_argument("--requests", type=Path, required=True, help="directory for wrk's files")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    import django
    from django.core.management import call_command

    django.setup()
    started = time.monotonic()
    call_command("migrate", verbosity=0)
    migrated = time.monotonic()
    added = shares_add(total=args.to, fresh=args.fresh)
    filled = time.monotonic()
    pools = requests_write(args.requests)
    summary = {
        "added": added,
        "pools": pools,
        "migrate_s": round(migrated - started, 1),
        "fill_s": round(filled - migrated, 1),
        "files_s": round(time.monotonic() - filled, 1),
    }
    json.dump(summary, sys.stdout)


def shares_add(*, total: int, fresh: int) -> int:
    """Add shares until there are `total`; every other new one is fresh while any are due."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from sharelinks.models import Share

    owner, _ = get_user_model().objects.get_or_create(
        username=OWNER, defaults={"email": OWNER_EMAIL, "is_staff": True}
    )
    missing = total - Share.objects.count()
    if missing <= 0:
        return 0
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
    fields = [field for field in Share._meta.concrete_fields if not field.primary_key]
    values = [
        field.get_db_prep_save(getattr(template, field.attname), connection) for field in fields
    ]
    code_at = fields.index(Share._meta.get_field("code"))
    count_at = fields.index(Share._meta.get_field("download_count"))
    new_code = Share._meta.get_field("code").get_default
    rows = []
    for n in range(missing):
        row = list(values)
        row[code_at] = new_code()
        row[count_at] = 0 if n % 2 == 0 and n // 2 < fresh else 1
        rows.append(row)
    table = connection.ops.quote_name(Share._meta.db_table)
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
        cursor.execute(f"ANALYZE {table}")  # as autovacuum would soon: plans for the full table
    return missing


def requests_write(directory: Path) -> dict[str, int]:
    """One file per endpoint, a line per share of its pool; returns the size of each pool."""
    from django.utils.module_loading import import_string

    from benchmarks import endpoints
    from sharelinks.models import Share

    pools = {
        endpoints.DOWNLOADED: Share.objects.filter(download_count__gt=0),
        endpoints.FRESH: Share.objects.filter(download_count=0),
        endpoints.ANY: Share.objects.all(),
    }
    directory.mkdir(parents=True, exist_ok=True)
    sizes = {}
    for endpoint in endpoints.ENDPOINTS:
        if endpoint.pool is None:
            lines = [endpoints.request_line(endpoint)]
        elif endpoint.token:  # a function of the share: it may read any field
            token = import_string(endpoint.token)
            shares = pools[endpoint.pool].order_by().iterator(chunk_size=10_000)
            lines = [endpoints.request_line(endpoint, s.code, token(s)) for s in shares]
        else:
            codes = pools[endpoint.pool].order_by().values_list("code", flat=True)
            lines = [endpoints.request_line(endpoint, code) for code in codes.iterator(10_000)]
        (directory / f"{endpoints.slug(endpoint)}.tsv").write_text(endpoints.requests_text(lines))
        sizes[endpoint.name] = len(lines) if endpoint.pool else 0
    return sizes


if __name__ == "__main__":
    main()
