"""The click log's index by recipient, built without blocking clicks.

On PostgreSQL a plain CREATE INDEX takes a lock that stops every INSERT into the click
table -- every click -- until it is done; CREATE INDEX CONCURRENTLY does not, but cannot run
inside a transaction, hence atomic = False. Other databases get a plain index.
"""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class AddIndexWithoutBlocking(AddIndexConcurrently):
    """AddIndexConcurrently on PostgreSQL, AddIndex elsewhere."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.add_index(model, self.index)
        return None

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.remove_index(model, self.index)
        return None


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
