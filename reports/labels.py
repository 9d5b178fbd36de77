"""What moderators read for reports on the admin's pages (see ``core.labels``)."""

from django.utils.translation import gettext_lazy as _

from core.labels import relabel

from .models import Report


def apply() -> None:
    relabel(
        Report,
        name=_("reported event or announcement"),
        plural=_("reported events and announcements"),
        fields={
            "event": _("Event"),
            "announcement": _("Announcement"),
            "reporter": _("Reported by"),
            "reason": _("Reason"),
            "details": _("What they wrote"),
            "status": _("Status"),
            "created_at": _("Reported"),
            "resolved_by": _("Settled by"),
            "resolved_at": _("Settled"),
        },
    )
