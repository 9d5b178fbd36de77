from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Users (app users signed in with Firebase, and office staff), tokens and preferences."""

    name = "accounts"

    def ready(self):
        from . import checks, receivers  # noqa: F401 (registers the checks and receivers)
