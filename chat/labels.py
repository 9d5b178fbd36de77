"""What moderators read for chat reports and mutes on the admin's pages (see
``core.labels``)."""

from django.utils.translation import gettext_lazy as _

from core.labels import relabel

from .models import ChatMute, ChatReport


def apply() -> None:
    relabel(
        ChatReport,
        name=_("reported chat message"),
        plural=_("reported chat messages"),
        fields={
            "event": _("Event"),
            "message": _("Message"),
            "reporter": _("Reported by"),
            "reason": _("Reason given"),
            "status": _("Status"),
            "created_at": _("Reported"),
            "resolved_by": _("Settled by"),
            "resolved_at": _("Settled"),
        },
    )
    relabel(
        ChatMute,
        name=_("muted person"),
        plural=_("muted people"),
        fields={
            "event": _("Event"),
            "user": _("Person"),
            "until": _("Muted until"),
            "reason": _("Reason"),
            "muted_by": _("Muted by"),
            "created_at": _("Muted"),
        },
    )
