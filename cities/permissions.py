"""Who acts for which city office, and in what role."""

from collections import defaultdict

from .models import OfficeMembership

Role = OfficeMembership.Role
EDITING_ROLES = frozenset({Role.EDITOR, Role.PUBLISHER})
PUBLISHING_ROLES = frozenset({Role.PUBLISHER})
# Who moderates the chat of an office's events: its moderators, and its publishers, who answer
# for what the office's events show.
MODERATING_ROLES = frozenset({Role.MODERATOR, Role.PUBLISHER})

_CACHE = "_office_roles"


def office_roles(user) -> dict[int, frozenset[str]]:
    """The user's roles by office id, loaded once per user object (one request)."""
    if not user or not user.is_authenticated:
        return {}
    if not hasattr(user, _CACHE):
        roles = defaultdict(set)
        for office_id, role in OfficeMembership.objects.filter(user=user).values_list(
            "office_id", "role"
        ):
            roles[office_id].add(role)
        setattr(user, _CACHE, {office: frozenset(r) for office, r in roles.items()})
    return getattr(user, _CACHE)


def has_role(user, office_ids, roles=None) -> bool:
    """Whether ``user`` holds one of ``roles`` (any role when None) in one of ``office_ids``;
    superusers hold every role everywhere."""
    if not user or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    held = office_roles(user)
    return any(
        held.get(office_id) and (roles is None or held[office_id] & roles)
        for office_id in office_ids
    )


def forget_roles(user) -> None:
    """Drop the cached roles after memberships change."""
    if hasattr(user, _CACHE):
        delattr(user, _CACHE)
