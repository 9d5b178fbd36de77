from django.apps import AppConfig


class EventsConfig(AppConfig):
    """Events of cities and twinnings, and the announcements of city offices."""

    name = "events"

    def ready(self):
        from . import receivers  # noqa: F401 (bumps the data versions of events)
        from .push import kinds, registry  # noqa: F401 (each notification kind's entry)
        from .push import receivers as push_receivers  # noqa: F401 (the topic-sync receivers)

        # A notification kind registered in part stops the start-up, not a push later.
        registry.verify()
