"""The click log keeps one index by share: click_share_recent (share, -at) serves every
query by share and the cascade, so the foreign key's own index on share alone goes.

That index cost one more insert in every click's statement. Django's AlterField would
drop and re-add the foreign key, and re-adding it checks every click row under a lock that
stops clicks; only the index is dropped here, and on PostgreSQL concurrently (outside a
transaction, hence atomic = False), so clicks go on meanwhile.
"""

from django.db import migrations, models


def _index_name(schema_editor, model) -> str:
    # The name Django gave the foreign key's index when it created the table.
    return schema_editor._create_index_name(model._meta.db_table, ["share_id"])


def drop_index(apps, schema_editor):
    model = apps.get_model("sharelinks", "Click")
    name = schema_editor.quote_name(_index_name(schema_editor, model))
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {name}")


def create_index(apps, schema_editor):
    model = apps.get_model("sharelinks", "Click")
    name = _index_name(schema_editor, model)
    field = model._meta.get_field("share")
    schema_editor.execute(schema_editor._create_index_sql(model, fields=[field], name=name))


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("sharelinks", "0012_bucket_survey"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="click",
                    name="share",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=models.deletion.CASCADE,
                        related_name="clicks",
                        to="sharelinks.share",
                        verbose_name="share",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop_index, create_index)],
        ),
    ]
