"""Cursor connections over querysets, paged by keyset: one query for the page, one more only
for ``totalCount``.

**Keyset, not offset.** A cursor holds the sort key of the row it stands for: the value of
every column of the list's order, down to the primary key that makes the order total. The
next page is the rows that sort after those values, ``WHERE (a, b, id) > (x, y, z)`` in the
order's own directions, so an event announced or deleted between two fetches moves no other
row across the page boundary: nothing is repeated and nothing is skipped, whatever the order.
(An offset counts rows, and one inserted before the boundary pushes the boundary's row onto
the next page again.)

Row-value comparisons are not portable (SQLite has them, but not with mixed directions, and
Django has no lookup for them), so the condition is spelled as an OR-chain of Q objects:
``a > x OR (a = x AND b > y) OR (a = x AND b = y AND id > z)``, with directions and nulls
taken into account key by key. It is preceded by the bound ``a >= x`` on the leading key,
which the OR-chain implies but which the database can use as an index range: the events feed
walks ``event_feed_order`` (``starts_at, id``) from the cursor on and stops after a page,
instead of reading every row before it.

**The order** is read from the queryset itself (its ``order_by``, or the model's default):
plain fields and annotations (the feed's ``distance_km``), ascending or descending, with their
nulls placement. The primary key is appended when the order does not end with it. A nullable
key with no placement stated gets PostgreSQL's (nulls after every value ascending, before them
descending) written into the query, so that the SQL and the condition agree on every database
(SQLite places them the other way).

**Cursors** are opaque: URL-safe base64 of ``[version, signature, [values]]``. The signature is
a digest of the list's connection type and of its order (the keys, their directions and nulls,
and the expression of an annotated key, which holds the feed's ``near`` point), so a cursor of
another list or order, or of a distance from another point, is refused rather than read as
something else. Values are typed by the key's column: integers within PostgreSQL's bigint
range, datetimes as ISO 8601 in UTC, floats as exact hexadecimal (``float.hex``) so that
``distance_km`` comes back bit for bit and compares with the database's own value as equal,
text within the column's length. Anything else (bad base64, bad JSON, a wrong type or count, a
number out of range, a datetime that cannot be, NaN or infinity, a huge string, NUL or a lone
surrogate in text) is ``INVALID_CURSOR`` naming the argument, before the database sees it.

The page is fetched with one extra row to learn whether there is a next page without counting;
``hasPreviousPage`` is true on every page reached with a cursor (Relay lets a forward-paging
server answer it cheaply); ``totalCount`` runs a COUNT only when the client selects it.
"""

import base64
import datetime
import hashlib
import json
import math
import re
from dataclasses import dataclass
from typing import Any

import graphene
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db.models import F, Q
from django.db.models.expressions import OrderBy
from django.utils.translation import gettext_noop

from core.integers import MAX_BIGINT, MIN_BIGINT
from graphql_server.cache_policy import TypePolicy, cache_policy
from graphql_server.errors import ApiErrorCode, UserInputError

from .arguments import TextArgument, TextLimit

CURSOR_VERSION = 1
# Text keys without a max_length (TextField) are bounded all the same.
MAX_TEXT_KEY = 1_000

_CURSOR_TEXT = re.compile(r"[A-Za-z0-9_-]+")
_UTC = datetime.UTC
_ZERO = datetime.timedelta(0)


class CountableConnection(graphene.relay.Connection):
    """A Relay connection with ``totalCount``."""

    class Meta:
        abstract = True

    total_count = graphene.Int(required=True, description="How many items match, on all pages.")

    @staticmethod
    def resolve_total_count(root, info):
        return root.count()


def connection_cache_policies(node_type, *, areas) -> tuple[TypePolicy, TypePolicy]:
    """What the response cache may keep of the connection of ``node_type`` (a countable one)
    and of its edges (graphql_server.cache_policy): all of it, showing the data ``areas`` its
    nodes show."""
    connection = node_type._meta.connection
    return (
        cache_policy(connection, areas=areas, public=("pageInfo", "edges", "totalCount")),
        cache_policy(connection.Edge, areas=areas, public=("node", "cursor")),
    )


# What the response cache may keep of a page's bounds (graphql_server.cache_policy).
CACHE_POLICIES = (
    cache_policy(
        graphene.relay.PageInfo,
        public=("hasNextPage", "hasPreviousPage", "startCursor", "endCursor"),
    ),
)


def connection_args() -> dict:
    """The arguments every list takes: a page size and the cursor to continue after."""
    return {
        "first": graphene.Int(
            description=(
                f"Page size, {settings.GRAPHQL_DEFAULT_PAGE_SIZE} by default, at most "
                f"{settings.GRAPHQL_MAX_PAGE_SIZE}."
            )
        ),
        "after": TextArgument(
            max_length=TextLimit.CURSOR, description="The `endCursor` of the previous page."
        ),
    }


def page_size(first: int | None, field: str = "first") -> int:
    """The size of the requested page, or a UserInputError saying what is wrong."""
    size = settings.GRAPHQL_DEFAULT_PAGE_SIZE if first is None else first
    if not 0 <= size <= settings.GRAPHQL_MAX_PAGE_SIZE:
        raise UserInputError(
            gettext_noop("%(field)s must be between 0 and %(limit)s."),
            ApiErrorCode.INVALID_PAGE_SIZE,
            field,
            params={"field": field, "limit": settings.GRAPHQL_MAX_PAGE_SIZE},
        )
    return size


class InvalidCursor(ValueError):
    """A cursor that is not one of this list and order."""


def cursor_fits(cursor) -> bool:
    """Whether ``cursor`` is text within ``GRAPHQL_MAX_CURSOR_LENGTH`` (0: of any length): the
    only cursors decoded, by every list and the chat alike. A page's cursor is a few dozen
    characters, one holding a city's name up to a few hundred; anything longer is refused
    before it is decoded. (``TextArgumentsMiddleware`` refuses such an argument before its
    resolver runs; this holds wherever else a cursor is read.)"""
    limit = TextLimit.CURSOR.characters
    return isinstance(cursor, str) and (not limit or len(cursor) <= limit)


def invalid_cursor(field: str) -> UserInputError:
    return UserInputError(
        gettext_noop("%(field)s is not a cursor of this list."),
        ApiErrorCode.INVALID_CURSOR,
        field,
        params={"field": field},
    )


# --- Values of keys in cursors ---------------------------------------------------------------
# Each kind of column has a pair: the JSON value a cursor holds for a Python value, and back,
# refusing anything that the first would not have produced or that the database cannot hold.


def _dump_int(value: int) -> int:
    return value


def _load_int(value: Any, limit: int | None) -> int:
    if type(value) is not int or not MIN_BIGINT <= value <= MAX_BIGINT:
        raise InvalidCursor("not an integer the database holds")
    return value


def _dump_float(value: float) -> str:
    return float(value).hex()


def _load_float(value: Any, limit: int | None) -> float:
    if not isinstance(value, str) or len(value) > 32:
        raise InvalidCursor("not a float")
    try:
        number = float.fromhex(value)
    except (ValueError, OverflowError) as error:
        raise InvalidCursor("not a float") from error
    if not math.isfinite(number):
        raise InvalidCursor("not a finite float")
    return number


def _dump_datetime(value: datetime.datetime) -> str:
    return value.astimezone(_UTC).isoformat()


def _load_datetime(value: Any, limit: int | None) -> datetime.datetime:
    if not isinstance(value, str) or len(value) > 40:
        raise InvalidCursor("not a datetime")
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError as error:
        raise InvalidCursor("not a datetime") from error
    if moment.tzinfo is None or moment.utcoffset() != _ZERO:
        raise InvalidCursor("not a datetime in UTC")
    return moment


def _dump_date(value: datetime.date) -> str:
    return value.isoformat()


def _load_date(value: Any, limit: int | None) -> datetime.date:
    if not isinstance(value, str) or len(value) != 10:
        raise InvalidCursor("not a date")
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise InvalidCursor("not a date") from error


def _dump_text(value: str) -> str:
    return value


def _load_text(value: Any, limit: int | None) -> str:
    if not isinstance(value, str) or len(value) > (limit or MAX_TEXT_KEY) or "\x00" in value:
        raise InvalidCursor("not a text the column holds")
    try:
        value.encode()
    except UnicodeEncodeError as error:  # a lone surrogate, which no database can store
        raise InvalidCursor("not valid Unicode") from error
    return value


# Django's internal field types, by the kind of value a cursor holds for them.
_KINDS = {
    "int": (
        (
            *("AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField"),
            *("SmallIntegerField", "PositiveIntegerField", "PositiveBigIntegerField"),
            "PositiveSmallIntegerField",
        ),
        _dump_int,
        _load_int,
    ),
    "float": (("FloatField",), _dump_float, _load_float),
    "datetime": (("DateTimeField",), _dump_datetime, _load_datetime),
    "date": (("DateField",), _dump_date, _load_date),
    "text": (("CharField", "TextField", "SlugField", "EmailField"), _dump_text, _load_text),
}
_KIND_OF_TYPE = {name: kind for kind, (types, _, _) in _KINDS.items() for name in types}


# --- The order of a list ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SortKey:
    """One column of a list's order: a field of the model or an annotation of the queryset."""

    name: str
    descending: bool
    nullable: bool
    # Where nulls sort: after every value (True) or before. Only read for a nullable key.
    nulls_last: bool
    kind: str
    max_length: int | None
    # What tells this key apart in the order's signature (an annotation's expression).
    identity: str

    def order_by(self) -> OrderBy:
        """The ordering expression, with the nulls placement explicit where there can be
        nulls (and nothing more where there cannot, so that the SQL stays what an index
        serves)."""
        if not self.nullable:
            return OrderBy(F(self.name), descending=self.descending)
        return OrderBy(
            F(self.name),
            descending=self.descending,
            nulls_first=None if self.nulls_last else True,
            nulls_last=True if self.nulls_last else None,
        )

    def dump(self, value):
        if value is None:
            if not self.nullable:
                raise ImproperlyConfigured(f"{self.name} is null but not nullable.")
            return None
        return _KINDS[self.kind][1](value)

    def load(self, value):
        if value is None:
            if not self.nullable:
                raise InvalidCursor(f"{self.name} cannot be null")
            return None
        return _KINDS[self.kind][2](value, self.max_length)

    def equal(self, value) -> Q:
        """Rows whose key is ``value``."""
        if value is None:
            return Q(**{f"{self.name}__isnull": True})
        return Q(**{self.name: value})

    def after(self, value) -> Q | None:
        """Rows whose key sorts strictly after ``value``; None when none can."""
        if value is None:
            return None if self.nulls_last else Q(**{f"{self.name}__isnull": False})
        beyond = Q(**{f"{self.name}__{'lt' if self.descending else 'gt'}": value})
        return beyond | Q(**{f"{self.name}__isnull": True}) if self._nulls_after else beyond

    def at_or_after(self, value) -> Q | None:
        """Rows whose key sorts at or after ``value``, as an index can range over it; None
        when every row does."""
        if value is None:
            return Q(**{f"{self.name}__isnull": True}) if self.nulls_last else None
        bound = Q(**{f"{self.name}__{'lte' if self.descending else 'gte'}": value})
        return bound | Q(**{f"{self.name}__isnull": True}) if self._nulls_after else bound

    @property
    def _nulls_after(self) -> bool:
        return self.nullable and self.nulls_last


def _ordering_items(queryset) -> list:
    query = queryset.query
    if query.order_by:
        items = list(query.order_by)
    elif query.default_ordering:
        items = list(query.get_meta().ordering)
    else:
        items = []
    if not items:
        raise ImproperlyConfigured(f"A list of {query.model.__name__} needs an order to page by.")
    if not query.standard_ordering:
        raise ImproperlyConfigured("A reversed queryset cannot be paged by keyset; order it.")
    return items


def _parse_item(item) -> tuple[str, bool, bool | None]:
    """(name, descending, nulls_last or None when unstated) of an ordering item."""
    if isinstance(item, str):
        if item == "?" or "__" in item or "." in item:
            raise ImproperlyConfigured(f"Cannot page by the ordering {item!r}.")
        return item.removeprefix("-"), item.startswith("-"), None
    if isinstance(item, F):
        return item.name, False, None
    if isinstance(item, OrderBy) and isinstance(item.expression, F):
        nulls = True if item.nulls_last else False if item.nulls_first else None
        return item.expression.name, item.descending, nulls
    raise ImproperlyConfigured(f"Cannot page by the ordering {item!r}: order by a field name.")


def _sort_key(queryset, name: str, descending: bool, nulls_last: bool | None) -> SortKey:
    meta = queryset.model._meta
    annotation = queryset.query.annotations.get(name)
    if annotation is not None:
        field, identity = annotation.output_field, f"{name}={annotation!r}"
    else:
        try:
            field = meta.pk if name == "pk" else meta.get_field(name)
        except FieldDoesNotExist as error:
            raise ImproperlyConfigured(f"Cannot page by {name!r}: no such field.") from error
        if field.is_relation or not field.concrete:
            raise ImproperlyConfigured(f"Cannot page by {name!r}: order by a column.")
        name = identity = field.attname
    kind = _KIND_OF_TYPE.get(field.get_internal_type())
    if kind is None:
        raise ImproperlyConfigured(f"Cannot page by {name!r}: its type has no cursor form.")
    nullable = bool(field.null)
    return SortKey(
        name=name,
        descending=descending,
        nullable=nullable,
        # Unstated: as PostgreSQL sorts nulls, after every value ascending, before descending.
        nulls_last=(not descending) if nulls_last is None else nulls_last,
        kind=kind,
        max_length=getattr(field, "max_length", None),
        identity=identity,
    )


class Keyset:
    """The order of a list as keys, and what pages by it: cursors, the condition after one,
    and the queryset ordered and loading every key."""

    def __init__(self, queryset, list_name: str):
        keys = [_sort_key(queryset, *_parse_item(item)) for item in _ordering_items(queryset)]
        pk = queryset.model._meta.pk.attname
        if not any(key.name == pk for key in keys):
            keys.append(_sort_key(queryset, pk, False, None))
        # Keys after the primary key can never decide an order: they are left out.
        self.keys = keys[: [key.name for key in keys].index(pk) + 1]
        order = ",".join(
            f"{key.identity}:{'desc' if key.descending else 'asc'}"
            f"{':nulls-last' if key.nulls_last else ':nulls-first' if key.nullable else ''}"
            for key in self.keys
        )
        digest = hashlib.sha256(f"{list_name}|{order}".encode()).digest()[:9]
        self.signature = base64.urlsafe_b64encode(digest).decode()

    def ordered(self, queryset):
        """``queryset`` in the keys' order, loading every key's column (a list that reads
        only the selected columns would otherwise read a key row by row)."""
        queryset = queryset.order_by(*(key.order_by() for key in self.keys))
        names, defer = queryset.query.deferred_loading
        columns = {key.name for key in self.keys if key.name not in queryset.query.annotations}
        if defer and names & columns:
            queryset = queryset.defer(None).defer(*(names - columns))
        elif not defer and names and not columns <= names:
            queryset = queryset.only(*names, *columns)
        return queryset

    def cursor(self, row) -> str:
        """The cursor of ``row``, a row of the list."""
        values = [key.dump(getattr(row, key.name)) for key in self.keys]
        text = json.dumps(
            [CURSOR_VERSION, self.signature, values], separators=(",", ":"), ensure_ascii=False
        )
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    def values(self, cursor) -> list:
        """The key values inside ``cursor``; InvalidCursor if it is not one of this list."""
        if not cursor_fits(cursor):
            raise InvalidCursor("too long")
        if not _CURSOR_TEXT.fullmatch(cursor):
            raise InvalidCursor("not URL-safe base64")
        try:
            text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            data = json.loads(text, parse_constant=_no_constant)
        except (ValueError, RecursionError) as error:
            raise InvalidCursor("not a cursor") from error
        if not (
            isinstance(data, list)
            and len(data) == 3
            and type(data[0]) is int
            and data[0] == CURSOR_VERSION
            and data[1] == self.signature
            and isinstance(data[2], list)
            and len(data[2]) == len(self.keys)
        ):
            raise InvalidCursor("a cursor of another list, order or version")
        return [key.load(value) for key, value in zip(self.keys, data[2], strict=True)]

    def after(self, values: list) -> Q:
        """Rows that sort after the row with these key values: the leading key's bound, and
        the OR-chain that decides ties key by key."""
        chain, equal = [], Q()
        for key, value in zip(self.keys, values, strict=True):
            beyond = key.after(value)
            if beyond is not None:
                chain.append(equal & beyond)
            equal &= key.equal(value)
        if not chain:
            return Q(pk__in=[])
        condition = chain[0]
        for part in chain[1:]:
            condition |= part
        bound = self.keys[0].at_or_after(values[0])
        return condition if bound is None else bound & condition


def _no_constant(name: str):
    raise InvalidCursor(f"{name} is not a value")


class PageEdge:
    """An edge of a page: its node, the cursor encoded only when asked for.

    graphene's Edge types check nothing of their objects, and constructing its ObjectType per
    row (and a cursor per row, selected or not) cost more than the rest of an edge."""

    __slots__ = ("keyset", "node")

    def __init__(self, node, keyset: Keyset):
        self.node = node
        self.keyset = keyset

    @property
    def cursor(self) -> str:
        return self.keyset.cursor(self.node)


def paginate(queryset, connection_type, first=None, after=None, after_fetch=None):
    """One page of ``queryset``, in its order, as an instance of ``connection_type``: the
    rows after the cursor ``after`` (see the module's docstring).

    ``after_fetch(rows)``, when given, loads what nested fields need for the whole page at
    once (what ``prefetch_related`` cannot express).
    """
    keyset = Keyset(queryset, connection_type._meta.name)
    size = page_size(first)
    page = keyset.ordered(queryset)
    if after is not None:
        try:
            values = keyset.values(after)
        except InvalidCursor:
            raise invalid_cursor("after") from None
        page = page.filter(keyset.after(values))
    rows = list(page[: size + 1]) if size else []
    has_next = len(rows) > size
    rows = rows[:size]
    if after_fetch and rows:
        after_fetch(rows)
    edges = [PageEdge(row, keyset) for row in rows]
    connection = connection_type(
        edges=edges,
        page_info=graphene.relay.PageInfo(
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
            has_previous_page=after is not None,
            has_next_page=has_next,
        ),
    )
    # totalCount counts lazily, on the same filtered queryset: every page's rows.
    connection.count = queryset.count
    return connection
