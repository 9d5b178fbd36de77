"""What staff read for their account on the admin's pages, the sign-in page first (see
``core.labels``)."""

from django.utils.translation import gettext_lazy as _

from core.labels import relabel

from .models import User


def apply() -> None:
    relabel(
        User,
        name=_("user"),
        plural=_("users"),
        fields={
            "email": _("Email address"),
            "display_name": _("Name shown"),
            "language": _("Language"),
            "time_zone": _("Time zone"),
        },
    )
