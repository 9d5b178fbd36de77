from django.apps import AppConfig


class EventsConfig(AppConfig):
    """Events of cities and twinnings, and the announcements of city offices."""

    name = "events"

    def ready(self):
        from . import labels, receivers  # noqa: F401 (receivers bump the data versions of events)

        labels.apply()
