"""The email rows' indexes by sender, person and click cover only the rows that have one.

Most rows lack one or two of them (an owner's email has no sender, a general link's
download no person, a link email no click), and each such row wrote an entry for "none"
into the foreign key's own index: an index insert per email that no lookup reads (a lookup
or a deletion by sender, person or click always names one). Partial indexes replace them,
each built before the old one is dropped, all without blocking: Django's AlterField would
drop and re-add each foreign key, re-checking every row under a lock.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from sharelinks.migrations._without_blocking import AddIndexWithoutBlocking

FIELDS = ("sender", "person", "click")


def _old_index(schema_editor, model, name: str) -> str:
    # The name Django gave the foreign key's index when it created the table.
    column = model._meta.get_field(name).column
    return schema_editor._create_index_name(model._meta.db_table, [column])


def drop_old_indexes(apps, schema_editor):
    model = apps.get_model("sharelinks", "Delivery")
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    for name in FIELDS:
        index = schema_editor.quote_name(_old_index(schema_editor, model, name))
        schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {index}")


def create_old_indexes(apps, schema_editor):
    model = apps.get_model("sharelinks", "Delivery")
    for name in FIELDS:
        field = model._meta.get_field(name)
        index = _old_index(schema_editor, model, name)
        schema_editor.execute(schema_editor._create_index_sql(model, fields=[field], name=index))


def _where_set(name: str) -> models.Index:
    return models.Index(
        condition=models.Q((f"{name}__isnull", False)), fields=[name], name=f"delivery_{name}"
    )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("sharelinks", "0015_click_personal_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="delivery",
                    name="click",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to="sharelinks.click",
                        verbose_name="click",
                    ),
                ),
                migrations.AlterField(
                    model_name="delivery",
                    name="person",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="deliveries",
                        to="sharelinks.recipient",
                        verbose_name="person",
                    ),
                ),
                migrations.AlterField(
                    model_name="delivery",
                    name="sender",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="sent by",
                    ),
                ),
                *(migrations.AddIndex(model_name="delivery", index=_where_set(name)) for name in FIELDS),
            ],
            database_operations=[
                *(
                    AddIndexWithoutBlocking(model_name="delivery", index=_where_set(name))
                    for name in FIELDS
                ),
                migrations.RunPython(drop_old_indexes, create_old_indexes),
            ],
        ),
    ]
