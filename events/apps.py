from django.apps import AppConfig


class EventsConfig(AppConfig):
    """Events of cities and twinnings, and the announcements of city offices."""

    name = "events"

    def ready(self):
        from . import receivers  # noqa: F401 (bumps the data versions of events)
