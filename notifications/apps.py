from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """Push notifications: the outbox, who hears of what, delivery through FCM with retries."""

    name = "notifications"
    verbose_name = _("Push notifications")

    def ready(self):
        # Importing ``kinds`` registers each kind's entry, importing ``tasks`` each job's task,
        # importing ``personal`` what push holds of a person (accounts.personal_data).
        from . import broker, kinds, labels, personal, receivers, registry, tasks  # noqa: F401

        # A kind or a job registered in part stops the start-up, not a push later.
        registry.verify()
        broker.verify()
        # Each kind's notification is made when the domain signal its entry names is sent.
        receivers.connect_kinds()
        # The names operators read on the admin's pages.
        labels.apply()
