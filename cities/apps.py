from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CitiesConfig(AppConfig):
    """Cities, their twinnings and their city offices."""

    name = "cities"
    verbose_name = _("Cities")

    def ready(self):
        from . import labels, receivers  # noqa: F401 (receivers bump the data versions of cities)

        labels.apply()
