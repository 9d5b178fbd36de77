"""Migration operations for PostgreSQL's own ways (SQLite has no trigram indexes, and builds every
index at once)."""

from django.db import migrations


def trigram_index(table: str, column: str, name: str) -> migrations.RunPython:
    """A GIN trigram index on ``table.column`` on PostgreSQL; nothing on other databases.

    It serves ``LIKE '%…%'`` and trigram similarity on folded search text (core.search).
    """

    def create(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f'CREATE INDEX IF NOT EXISTS "{name}" '
                f'ON "{table}" USING gin ("{column}" gin_trgm_ops)'
            )

    def drop(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')

    return migrations.RunPython(create, drop, elidable=False)


class AddIndexConcurrently(migrations.AddIndex):
    """``AddIndex`` that builds the index without locking the table against writes on
    PostgreSQL (``CREATE INDEX CONCURRENTLY``: the events table takes an RSVP's recount at any
    moment), and as usual elsewhere. Its migration must say ``atomic = False``: PostgreSQL
    builds such an index outside a transaction."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.add_index(model, self.index, concurrently=True)
        return None

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.remove_index(model, self.index, concurrently=True)
        return None
