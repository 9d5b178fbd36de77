"""A fingerprint of the database's content, read by the test while the server runs apart.

Per table, the number of rows and a hash of the rows in primary-key order: two fingerprints
differ exactly when a row was inserted, deleted or changed. The server's database is a SQLite
file of its own on the embedded default (read here with the sqlite3 module, read-only), and
the test database on PostgreSQL (read through the test's connection, where the hash is
computed by PostgreSQL itself). A few hundred rows: a few milliseconds either way, and nothing
when the database says nothing was committed since the last fingerprint (SQLite's
``PRAGMA data_version`` changes when another connection commits; two equal PostgreSQL
snapshots see the same committed transactions), which is most cases.

What is left out: SQLite's own bookkeeping (``sqlite_sequence``) and, on PostgreSQL,
sequences, which are not content (a refused insert may use up a number). Writes a refused
request may make on purpose are not left out of the fingerprint but allowed where they are
made (``ALLOWED_WRITES``), so that they are allowed nowhere else.
"""

import hashlib
import sqlite3
from pathlib import Path

# Writes a refused request makes on purpose, by (mutation, payload error code): the tables
# they may change. Everything else a refused request changes is a failure.
ALLOWED_WRITES = {
    # A reused refresh token revokes every session of its sign-in (refresh-token rotation's
    # theft detection), and says TOKEN_REUSED: the point of the refusal is that write.
    ("tokenRefresh", "TOKEN_REUSED"): frozenset({"accounts_refreshtoken"}),
}
# Not in the database at all, so not in the fingerprint: sign-in failure counts and every rate
# limit (the cache), chat presence and websocket connection slots (the cache), persisted
# queries and kept responses (the cache).

Fingerprint = dict[str, tuple[int, str]]


def changes(before: Fingerprint, after: Fingerprint) -> dict[str, str]:
    """The tables whose content differs, each with its row counts before → after."""
    changed = {}
    for table in sorted(before.keys() | after.keys()):
        if before.get(table) != after.get(table):
            count_before = before.get(table, (0, ""))[0]
            count_after = after.get(table, (0, ""))[0]
            changed[table] = f"{count_before} → {count_after} rows"
    return changed


class SQLiteContent:
    """Fingerprints of a SQLite file another process writes."""

    def __init__(self, path: Path):
        self.path = path
        self._connection = None
        self._last = None

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            self._connection = sqlite3.connect(
                f"file:{self.path}?mode=ro", uri=True, timeout=20, isolation_level=None
            )
        return self._connection

    def tables(self) -> dict[str, str]:
        connection = self._connect()
        names = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        order = {}
        for name in names:
            keys = [
                row[1]
                for row in sorted(
                    connection.execute(f'PRAGMA table_info("{name}")'), key=lambda r: r[5]
                )
                if row[5]
            ]
            order[name] = ", ".join(f'"{key}"' for key in keys) or "rowid"
        return order

    def fingerprint(self) -> Fingerprint:
        connection = self._connect()
        version = connection.execute("PRAGMA data_version").fetchone()[0]
        if self._last is not None and self._last[0] == version:
            return self._last[1]
        result = {}
        # One read transaction: every table as of the same moment.
        connection.execute("BEGIN")
        try:
            for table, order in self.tables().items():
                digest = hashlib.sha256()
                count = 0
                query = f'SELECT * FROM "{table}" ORDER BY {order}'  # noqa: S608 (catalogue names)
                for row in connection.execute(query):
                    digest.update(repr(row).encode("utf-8", "surrogatepass"))
                    count += 1
                result[table] = (count, digest.hexdigest())
        finally:
            connection.execute("COMMIT")
        self._last = (version, result)
        return result

    def ids(self, table: str) -> list[int]:
        query = f'SELECT id FROM "{table}"'  # noqa: S608 (a table name of the test's own)
        return [row[0] for row in self._connect().execute(query)]

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class PostgresContent:
    """Fingerprints of the PostgreSQL database the test shares with the server."""

    def __init__(self, connection):
        self.connection = connection
        self._query = None
        self._last = None

    def _build_query(self) -> str:
        with self.connection.cursor() as cursor:
            tables = self.connection.introspection.table_names(cursor)
            parts = []
            for table in tables:
                keys = self.connection.introspection.get_primary_key_columns(cursor, table)
                order = ", ".join(f't."{key}"' for key in keys or []) or "t::text"
                parts.append(
                    f"SELECT '{table}', count(*), "  # noqa: S608 (names from the catalogue)
                    f"md5(coalesce(string_agg(t::text, E'\\n' ORDER BY {order}), '')) "
                    f'FROM "{table}" t'
                )
        return " UNION ALL ".join(parts)

    def fingerprint(self) -> Fingerprint:
        if self._query is None:
            self._query = self._build_query()
        with self.connection.cursor() as cursor:
            # Equal snapshots (first running ID, next ID, the ones running) see the same
            # committed transactions: nothing was written meanwhile.
            cursor.execute("SELECT txid_current_snapshot()::text")
            (marker,) = cursor.fetchone()
            if self._last is not None and self._last[0] == marker:
                return self._last[1]
            cursor.execute(self._query)
            result = {table: (count, digest) for table, count, digest in cursor.fetchall()}
        self._last = (marker, result)
        return result

    def ids(self, table: str) -> list[int]:
        with self.connection.cursor() as cursor:
            cursor.execute(f'SELECT id FROM "{table}"')  # noqa: S608 (the test's own name)
            return [row[0] for row in cursor.fetchall()]

    def close(self) -> None:
        pass
