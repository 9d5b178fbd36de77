from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Users (app users signed in with Firebase, and office staff), tokens and preferences."""

    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from . import checks, labels, personal, receivers  # noqa: F401 (registers them)

        labels.apply()
