from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    """Events of cities and twinnings, and the announcements of city offices."""

    name = "events"
    verbose_name = _("Events")

    def ready(self):
        from . import labels, receivers  # noqa: F401 (receivers bump the data versions of events)

        labels.apply()
