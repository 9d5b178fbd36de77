"""Who may moderate an event's chat. The services and the admin call this, so the API and the
admin apply the same rule."""

from cities.permissions import MODERATING_ROLES, has_role
from events.models import Event
from events.permissions import acting_offices


def can_moderate_chat(user, event: Event) -> bool:
    """Moderators and publishers of the offices acting for the event delete any message of its
    chat, mute people there and handle reports; other offices' staff do not."""
    return has_role(user, acting_offices(event), MODERATING_ROLES)
