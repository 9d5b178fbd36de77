from django.apps import AppConfig


class ChatConfig(AppConfig):
    """The chat of events: rooms, messages, reactions, moderation and who is in a room now.
    Built on the events app (a room is an event's), which knows nothing of it."""

    name = "chat"
    label = "chat"

    def ready(self):
        from . import labels

        labels.apply()
