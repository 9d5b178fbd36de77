from django.apps import AppConfig


class CitiesConfig(AppConfig):
    """Cities, their twinnings and their city offices."""

    name = "cities"

    def ready(self):
        from . import receivers  # noqa: F401 (bumps the data versions of cities)
