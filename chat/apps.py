from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    """The chat of events: rooms, messages, reactions, moderation and who is in a room now.
    Built on the events app (a room is an event's), which knows nothing of it."""

    name = "chat"
    verbose_name = _("Chat")
    label = "chat"

    def ready(self):
        from . import labels, personal  # noqa: F401 (declares what the chat holds of a person)

        labels.apply()
