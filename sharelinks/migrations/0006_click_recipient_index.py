"""The click log's index by recipient, built without blocking clicks.

On PostgreSQL a plain CREATE INDEX takes a lock that stops every INSERT into the click
table -- every click -- until it is done; CREATE INDEX CONCURRENTLY does not, but cannot run
inside a transaction, hence atomic = False. Other databases get a plain index.
"""

from django.db import migrations, models

from sharelinks.migrations._without_blocking import AddIndexWithoutBlocking


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("sharelinks", "0005_personal_links"),
    ]

    operations = [
        AddIndexWithoutBlocking(
            model_name="click",
            index=models.Index(fields=["recipient", "-at"], name="click_recipient_recent"),
        ),
    ]
