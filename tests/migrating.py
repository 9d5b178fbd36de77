"""Moving the test database along its migrations, and writing rows no model would write: for
tests of what a deploy does to data stored before it."""

import contextlib

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

# The events app before the window of times was enforced (events.0006).
BEFORE_THE_WINDOW = ("events", "0005_event_feed_order_index")

# Before push's models moved from the events app to the notifications app: unapplying the
# notifications app unapplies the events migration that took the models out (it depends on
# notifications.0001), and leaves every other app as it is.
BEFORE_NOTIFICATIONS_MOVED = ("notifications", None)

# Times outside the window, as each database can store them. PostgreSQL keeps times Python
# cannot read (year 10000, 1 BC, infinity); SQLite keeps text, in which Python's extremes are the
# furthest. Each pair is a start and an end two (or three) hours later.
if connection.vendor == "postgresql":
    FAR_FUTURE = ("10000-01-01 13:59:00+00", "10000-01-01 15:59:00+00")
    FAR_PAST = ("0001-12-31 10:00:00+00 BC", "0001-12-31 12:00:00+00 BC")
    EARLY = ("1999-06-01 10:00:00+00", "1999-06-01 13:00:00+00")
    LATE = "2150-06-01 10:00:00+00"
    # Only raw SQL stores these, and psycopg cannot read them back either.
    ENDLESS = ("-infinity", "infinity")
else:
    FAR_FUTURE = ("9999-12-31 20:00:00", "9999-12-31 22:00:00")
    FAR_PAST = ("0001-01-01 00:00:00", "0001-01-01 02:00:00")
    EARLY = ("1999-06-01 10:00:00", "1999-06-01 13:00:00")
    LATE = "2150-06-01 10:00:00"
    ENDLESS = None


def migrate(*targets) -> None:
    """Migrate the test database to ``targets`` ((app, migration) pairs), or to the latest."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(list(targets) or executor.loader.graph.leaf_nodes())


def models_at(target):
    """The historical models of the database's state at ``target``, to write rows whose
    table does not yet have the columns of today's models."""
    executor = MigrationExecutor(connection)
    return executor.loader.project_state(target).apps


def saved_then(target, obj):
    """``obj``, built by a factory (the rows it refers to saved), written through the historical
    model at ``target`` with the columns that model has: a row as a deploy of then would have
    stored it, whatever columns today's model added since. Returns ``obj``, with its key."""
    model = models_at(target).get_model(obj._meta.label)
    names = [field.attname for field in model._meta.concrete_fields if not field.primary_key]
    row = model.objects.create(**{name: getattr(obj, name) for name in names})
    obj.pk, obj._state.adding = row.pk, False
    return obj


@contextlib.contextmanager
def factories_at(target, *factories):
    """While inside, ``factories`` (factory-boy classes) write their rows through the
    historical models at ``target`` (``saved_then``): a test makes rows in a database migrated
    back as it makes them today, without the columns added since."""

    def create(cls, model_class, *args, **kwargs):
        return saved_then(target, model_class(*args, **kwargs))

    originals = {factory: factory.__dict__.get("_create") for factory in factories}
    for factory in factories:
        factory._create = classmethod(create)
    try:
        yield
    finally:
        for factory, original in originals.items():
            if original is None:
                del factory._create
            else:
                factory._create = original


def models_applied():
    """The historical models of the migrations the database has applied now (each app where
    the last ``migrate`` left it)."""
    executor = MigrationExecutor(connection)
    graph, applied = executor.loader.graph, executor.loader.applied_migrations
    # The last applied migration of each app: what no other applied migration of it follows.
    last = [
        key
        for key in applied
        if key in graph.node_map
        and not any(
            child.key[0] == key[0] and child.key in applied
            for child in graph.node_map[key].children
        )
    ]
    return executor.loader.project_state(last).apps


def set_columns(table: str, pk: int, **columns) -> None:
    """Write ``columns`` of one row in raw SQL: values the ORM would refuse or (on PostgreSQL)
    could not even write. The table and column names are the caller's own."""
    assignments = ", ".join(f"{column} = %s" for column in columns)
    sql = f"UPDATE {table} SET {assignments} WHERE id = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*columns.values(), pk])
