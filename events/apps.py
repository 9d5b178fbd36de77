from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    """Events of cities and twinnings, and the announcements of city offices."""

    name = "events"
    verbose_name = _("Events")

    def ready(self):
        # Receivers bump the data versions of events; ``personal`` declares what the app holds
        # of a person (accounts.personal_data).
        from . import labels, personal, receivers  # noqa: F401

        labels.apply()
