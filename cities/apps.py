from django.apps import AppConfig


class CitiesConfig(AppConfig):
    """Cities, their twinnings and their city offices."""

    name = "cities"
