"""Cursor connections over querysets: one query for the page, one more only for totalCount.

Cursors are opaque offsets (graphql-relay's ``arrayconnection:N``). The page is fetched with
one extra row to learn whether there is a next page without counting; ``totalCount`` runs a
COUNT only when the client selects it.
"""

import graphene
from django.conf import settings
from graphql_relay import cursor_to_offset, offset_to_cursor

from .errors import ApiErrorCode, UserInputError


class CountableConnection(graphene.relay.Connection):
    """A Relay connection with ``totalCount``."""

    class Meta:
        abstract = True

    total_count = graphene.Int(required=True, description="How many items match, on all pages.")

    @staticmethod
    def resolve_total_count(root, info):
        return root.count()


def connection_args() -> dict:
    """The arguments every list takes: a page size and the cursor to continue after."""
    return {
        "first": graphene.Int(
            description=(
                f"Page size, {settings.GRAPHQL_DEFAULT_PAGE_SIZE} by default, at most "
                f"{settings.GRAPHQL_MAX_PAGE_SIZE}."
            )
        ),
        "after": graphene.String(description="The `endCursor` of the previous page."),
    }


def page_bounds(first: int | None, after: str | None) -> tuple[int, int]:
    """The offset and size of the requested page, or a UserInputError saying what is wrong."""
    size = settings.GRAPHQL_DEFAULT_PAGE_SIZE if first is None else first
    if not 0 <= size <= settings.GRAPHQL_MAX_PAGE_SIZE:
        raise UserInputError(
            f"first must be between 0 and {settings.GRAPHQL_MAX_PAGE_SIZE}.",
            ApiErrorCode.INVALID_PAGE_SIZE,
            "first",
        )
    offset = 0
    if after is not None:
        position = cursor_to_offset(after)
        if position is None or position < 0:
            raise UserInputError(
                "after is not a cursor of this list.", ApiErrorCode.INVALID_CURSOR, "after"
            )
        offset = position + 1
    return offset, size


class PageEdge:
    """An edge of a page: its node and its position, the cursor encoded only when asked for.

    graphene's Edge types check nothing of their objects, and constructing its ObjectType per
    row (and a cursor per row, selected or not) cost more than the rest of an edge."""

    __slots__ = ("node", "offset")

    def __init__(self, node, offset: int):
        self.node = node
        self.offset = offset

    @property
    def cursor(self) -> str:
        return offset_to_cursor(self.offset)


def paginate(queryset, connection_type, first=None, after=None, after_fetch=None):
    """One page of ``queryset`` as an instance of ``connection_type``.

    ``after_fetch(rows)``, when given, loads what nested fields need for the whole page at
    once (what ``prefetch_related`` cannot express).
    """
    offset, size = page_bounds(first, after)
    rows = list(queryset[offset : offset + size + 1]) if size else []
    has_next = len(rows) > size
    rows = rows[:size]
    if after_fetch and rows:
        after_fetch(rows)
    edges = [PageEdge(row, offset + index) for index, row in enumerate(rows)]
    connection = connection_type(
        edges=edges,
        page_info=graphene.relay.PageInfo(
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
            has_previous_page=offset > 0,
            has_next_page=has_next,
        ),
    )
    # totalCount counts lazily, on the same filtered queryset.
    connection.count = queryset.count
    return connection
