"""The integers the databases hold, for every check that keeps a number no row can have from
reaching a query.

Primary keys are BigAutoFields, and every integer a cursor carries is a bigint column's: a
number past this range makes the database raise (SQLite overflows, PostgreSQL refuses it)
instead of finding nothing. IDs, cursors and URLs are checked against it first.
"""

# PostgreSQL's bigint and SQLite's INTEGER: a BigAutoField's range.
MIN_BIGINT = -(2**63)
MAX_BIGINT = 2**63 - 1
# Digits of the largest: longer text cannot be one, and is refused before ``int()`` reads it.
MAX_BIGINT_DIGITS = len(str(MAX_BIGINT))
