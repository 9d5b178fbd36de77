"""Migration operations that only apply on PostgreSQL (SQLite has no trigram indexes)."""

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
