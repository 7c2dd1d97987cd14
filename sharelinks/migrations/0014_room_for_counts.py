"""Room on each page of the share and person tables, so a download's count is a HOT update.

Every download rewrites its share's row (and its person's): the count and the time of the
last download. PostgreSQL keeps such an update on the row's own page, touching no index
("heap-only tuple"), only where that page has room. Rows are written until a page is full
(fillfactor 100), so a table filled by creating shares had room for about a quarter of
its downloads; the rest each inserted into all five of the share table's indexes. Pages
filled to 90% leave room for the next versions of their rows, whose old versions
PostgreSQL then prunes on the page. The setting takes effect for pages written from now
on: an existing table gets the room as its rows are updated, or at once by rewriting it
(VACUUM FULL, or pg_repack without a lock). Other databases have no such setting.
"""

from django.db import migrations

TABLES = ("sharelinks_share", "sharelinks_recipient")


def _set(schema_editor, setting: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {schema_editor.quote_name(table)} {setting}")


def leave_room(apps, schema_editor):
    _set(schema_editor, "SET (fillfactor = 90)")


def fill_pages(apps, schema_editor):
    _set(schema_editor, "RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("sharelinks", "0013_click_share_index_once"),
    ]

    operations = [migrations.RunPython(leave_room, fill_pages)]
