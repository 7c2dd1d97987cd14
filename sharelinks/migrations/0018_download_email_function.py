"""The owner's email about a download, written by a function the click's statement calls
only when that email is due (PostgreSQL only).

The statement that counts a download at once (sharelinks.express) wrote the email row with
an INSERT of its own, which PostgreSQL sets up on every run whether or not it inserts: it
opened and locked the outbox and its nine indexes on every click, for an email due on a
share's first download only -- about a seventh of the statement's CPU on the server, and
a migration holding the outbox stopped every click. Called from a CASE, the function runs,
and touches the outbox, only when an email is due; PL/pgSQL plans its INSERT once per
connection. It runs inside the click's own
statement, so the row still exists exactly when the count does, and the outbox's unique
constraints (ON CONFLICT DO NOTHING) still keep "first" once when two first clicks race.
Its foreign keys are checked at commit, as Django declares them (deferred), when the click
row the statement wrote is there.

The table and column names are those of this migration's time: a later change to the
outbox's columns must replace the function too (tests/test_counting.py runs it).
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import migrations

FUNCTION = "sharelinks_download_email"


def _create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return  # the ORM writes the email row elsewhere (sharelinks.counting)
    quote = schema_editor.quote_name
    delivery = apps.get_model("sharelinks", "Delivery")._meta.db_table
    user = get_user_model()  # a historical model cannot name its email field
    email = user._meta.get_field(user.get_email_field_name()).column
    schema_editor.execute(f"""
CREATE OR REPLACE FUNCTION {FUNCTION}(
    about_share bigint, owner bigint, about_person bigint, about_click bigint,
    email_kind text, at timestamptz
) RETURNS bigint LANGUAGE plpgsql VOLATILE AS $body$
DECLARE
    written bigint;
BEGIN
    INSERT INTO {quote(delivery)} (share_id, kind, recipient, recipient_name, message,
        sender_id, person_id, click_id, status, attempts, last_error, created_at, due_at)
    SELECT about_share, email_kind, u.{quote(email)}, '', '', NULL, about_person,
        about_click, 'pending', 0, '', at, at
    FROM {quote(user._meta.db_table)} u
    WHERE u.{quote(user._meta.pk.column)} = owner AND u.{quote(email)} <> ''
    ON CONFLICT DO NOTHING
    RETURNING id INTO written;
    RETURN written;
END
$body$""")  # noqa: S608 -- table and column names of the models, no value


def _drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"DROP FUNCTION IF EXISTS {FUNCTION}(bigint, bigint, bigint, bigint, text, timestamptz)"
        )


class Migration(migrations.Migration):
    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("sharelinks", "0017_delivery_claimed_unless_pending"),
    ]

    operations = [migrations.RunPython(_create, _drop, elidable=False)]
