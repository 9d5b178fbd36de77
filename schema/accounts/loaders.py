"""The queries behind the viewer's fields.

Each list loads what its selected nested fields need for all its items at once, as the
top-level lists do, so that a viewer following a hundred cities costs the queries of one.
"""

from graphql_relay import to_global_id

from accounts.export import export_account
from accounts.models import UserBlock
from cities.models import City, OfficeMembership, Twinning
from core.ratelimit import RateLimited
from events.models import Rsvp
from graphql_server.errors import RateLimitedError

from ..cities.loaders import attach_city_lists
from ..core.ids import parse_id
from ..core.selection import below, is_selected
from ..events.resolvers import after_events_fetched, event_joins, prefetch_twinning_events


def followed_cities(user, paths: frozenset[str]):
    queryset = City.objects.filter(follows__user=user).order_by("name_en", "id")
    if is_selected(paths, "offices"):
        queryset = queryset.prefetch_related("offices")
    cities = list(queryset)
    attach_city_lists(cities, paths)
    return cities


def followed_twinnings(user, paths: frozenset[str]):
    queryset = (
        Twinning.objects.filter(follows__user=user)
        .select_related("city_a", "city_b")
        .order_by("id")
    )
    return prefetch_twinning_events(queryset, paths)


def rsvps(user, paths: frozenset[str]):
    event_paths = below(paths, "event")
    joins = ["event", *(f"event__{join}" for join in event_joins(event_paths))]
    items = list(
        Rsvp.objects.filter(user=user)
        .select_related(*joins)
        .order_by("event__starts_at", "event_id")
    )
    if items:
        after_events_fetched([item.event for item in items], event_paths, user)
    return items


def memberships(user):
    return (
        OfficeMembership.objects.filter(user=user)
        .select_related("office", "office__city")
        .order_by("office_id", "role")
    )


def account_export(user) -> dict:
    """Everything held about the viewer (``accounts.export``); past ``ACCOUNT_EXPORT_RATE`` a
    RATE_LIMITED error (with ``retryAfter``) at the field, which is null."""
    try:
        return export_account(user)
    except RateLimited as error:
        raise RateLimitedError(error.retry_after) from error


def blocked_users(user):
    """The people ``user`` blocks, newest first (the model's order), each with their name (and
    the accounts deleted since, without one)."""
    return UserBlock.objects.filter(blocker=user).select_related("blocked__avatar")


# What the ID of a block of an account deleted since names (``BlockedUser.id``): the block,
# for there is no user any more. Its key is the block's, never the account's pseudonym, which
# two people who blocked the same person would otherwise see alike.
DELETED_ACCOUNT = "DeletedAccount"


def blocked_user_id(block: UserBlock) -> str:
    """``BlockedUser.id``: the User ID of the person blocked, or the block's own ID once their
    account is deleted."""
    if block.of_deleted_account:
        return to_global_id(DELETED_ACCOUNT, str(block.pk))
    return to_global_id("User", str(block.blocked_id))


def deleted_account_block(global_id: str) -> int | None:
    """The key of the block an ID of ``blocked_user_id`` names for a deleted account, else
    None (a User ID, or nothing)."""
    return parse_id(global_id, DELETED_ACCOUNT)
