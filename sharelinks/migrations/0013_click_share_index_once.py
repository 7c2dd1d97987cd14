"""The click log keeps one index by share: click_share_recent (share, -at) serves every
query by share and the cascade, so the foreign key's own index on share alone goes.

That index cost one more insert in every click's statement. Django's AlterField would
drop and re-add the foreign key, and re-adding it checks every click row under a lock that
stops clicks; only the index is dropped here, and on PostgreSQL concurrently (outside a
transaction, hence atomic = False), so clicks go on meanwhile.
"""

from django.db import migrations, models

from sharelinks.migrations._without_blocking import foreign_key_indexes_dropped


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
            database_operations=[foreign_key_indexes_dropped("Click", ("share",))],
        ),
    ]
