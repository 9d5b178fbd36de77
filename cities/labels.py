"""What office staff read for cities, twinnings and offices on the admin's pages (see
``core.labels``)."""

from django.utils.translation import gettext_lazy as _

from core.labels import relabel

from .models import City, CityOffice, OfficeMembership, Twinning


def apply() -> None:
    relabel(City, name=_("city"), plural=_("cities"), fields={"name": _("Name")})
    relabel(
        Twinning,
        name=_("twinning"),
        plural=_("twinnings"),
        fields={"agreement_title": _("Agreement title")},
    )
    relabel(
        CityOffice,
        name=_("city office"),
        plural=_("city offices"),
        fields={"name": _("Name"), "city": _("City")},
    )
    relabel(
        OfficeMembership,
        name=_("role in the office"),
        plural=_("roles in the office"),
        fields={"user": _("Person"), "role": _("Role")},
    )
