from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """App users' reports of events and announcements, settled by the moderators of the office
    that publishes them. Built on the events app, which knows nothing of it."""

    name = "reports"
    verbose_name = _("Reports")
    label = "reports"

    def ready(self):
        from . import labels

        labels.apply()
