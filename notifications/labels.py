"""What operators read for push notifications on the admin's pages (see ``core.labels``)."""

from django.utils.translation import gettext_lazy as _

from core.labels import relabel

from .models import Notification


def apply() -> None:
    relabel(
        Notification,
        name=_("push notification"),
        plural=_("push notifications"),
        fields={
            "kind": _("Kind"),
            "state": _("State"),
            "drop_reason": _("Why it was not sent"),
            "path": _("Sent"),
            "audience_size": _("People to reach"),
            "recipient": _("For"),
            "created_at": _("Created"),
        },
    )
