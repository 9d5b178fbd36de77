"""What a user may do with an event or announcement. The services call these, so the API and
the admin apply the same rules."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_noop

from cities.permissions import EDITING_ROLES, PUBLISHING_ROLES, has_role

from .models import Event, EventCohost


def acting_offices(event: Event) -> set[int]:
    """The offices that act for an event: its organiser and any co-host that accepted."""
    accepted = {
        cohost.office_id
        for cohost in event.cohosts.all()
        if cohost.status == EventCohost.Status.ACCEPTED
    }
    return {event.office_id, *accepted}


def can_see_drafts_of(user, event: Event) -> bool:
    return has_role(user, acting_offices(event))


def can_see_attendance(user, event: Event) -> bool:
    """Who is coming (and who agreed to be named) is for the staff of the offices acting for
    the event, in any role, and superusers: the same people who see its drafts."""
    return can_see_drafts_of(user, event)


def can_edit_event(user, event: Event) -> bool:
    return has_role(user, acting_offices(event), EDITING_ROLES)


def can_publish_event(user, event: Event) -> bool:
    return has_role(user, acting_offices(event), PUBLISHING_ROLES)


def can_create_event(user, office_id: int) -> bool:
    return has_role(user, [office_id], EDITING_ROLES)


def can_post_for(user, office_id: int) -> bool:
    """Announcements are posted, edited and deleted by the office's publishers."""
    return has_role(user, [office_id], PUBLISHING_ROLES)


def can_invite_cohost(user, event: Event) -> bool:
    """Only the organising office invites (a co-host does not invite further co-hosts)."""
    return has_role(user, [event.office_id], PUBLISHING_ROLES)


def require(allowed: bool, message: str = gettext_noop("You may not do this.")) -> None:
    """Raise PermissionDenied unless ``allowed``."""
    if not allowed:
        raise PermissionDenied(message)
