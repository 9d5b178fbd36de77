from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """App users' reports of events and announcements, settled by the moderators of the office
    that publishes them. Built on the events app, which knows nothing of it."""

    name = "reports"
    verbose_name = _("Reports")
    label = "reports"

    def ready(self):
        # ``personal`` declares what the app holds of a person (accounts.personal_data).
        from . import labels, personal  # noqa: F401

        labels.apply()
