"""Index operations that never stop clicks: CONCURRENTLY on PostgreSQL, plain elsewhere.

On PostgreSQL a plain CREATE or DROP INDEX on the click table takes a lock that stops every
INSERT into it -- every click -- until it is done; the CONCURRENTLY forms do not, but cannot
run inside a transaction, so a migration using these sets atomic = False. Other databases
get the plain operation. (A module of helpers: the leading underscore keeps Django's
migration loader from reading it as a migration.)
"""

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations


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


class RemoveIndexWithoutBlocking(RemoveIndexConcurrently):
    """RemoveIndexConcurrently on PostgreSQL, RemoveIndex elsewhere."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            index = from_state.models[app_label, self.model_name_lower].get_index_by_name(self.name)
            schema_editor.remove_index(model, index)
        return None

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            index = to_state.models[app_label, self.model_name_lower].get_index_by_name(self.name)
            schema_editor.add_index(model, index)
        return None


def foreign_key_indexes_dropped(model_name: str, fields: tuple[str, ...]) -> migrations.RunPython:
    """Drop the indexes Django made for these foreign keys of the model (concurrently on
    PostgreSQL); undone by making them again.

    For a migration whose state sets db_index=False on them: Django's AlterField would drop
    and re-add each foreign key instead, re-checking every row under a lock.
    """

    def names(apps, schema_editor):
        model = apps.get_model("sharelinks", model_name)
        for name in fields:
            field = model._meta.get_field(name)
            # The name Django gave the foreign key's index when it created the table.
            yield (
                model,
                field,
                schema_editor._create_index_name(model._meta.db_table, [field.column]),
            )

    def drop(apps, schema_editor):
        concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
        for _, _, index in names(apps, schema_editor):
            schema_editor.execute(
                f"DROP INDEX {concurrently}IF EXISTS {schema_editor.quote_name(index)}"
            )

    def create(apps, schema_editor):
        for model, field, index in names(apps, schema_editor):
            schema_editor.execute(
                schema_editor._create_index_sql(model, fields=[field], name=index)
            )

    return migrations.RunPython(drop, create)
