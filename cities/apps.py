from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CitiesConfig(AppConfig):
    """Cities, their twinnings and their city offices."""

    name = "cities"
    verbose_name = _("Cities")

    def ready(self):
        # Receivers bump the data versions of cities; ``personal`` declares what the app holds
        # of a person (accounts.personal_data).
        from . import labels, personal, receivers  # noqa: F401

        labels.apply()
