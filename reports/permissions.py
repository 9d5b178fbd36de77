"""Who settles a report: the moderators and publishers of the office that publishes what it
is about (its organising office only, not the co-hosts of an event), and superusers. The
services and the admin call this, so both apply the same rule."""

from cities.permissions import MODERATING_ROLES, has_role

from .models import Report


def can_settle(user, report: Report) -> bool:
    """Whether ``user`` may read and settle ``report`` (its event or announcement loaded)."""
    return has_role(user, [report.office_id], MODERATING_ROLES)
