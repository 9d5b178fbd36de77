"""Times on the admin's pages, shown as the clocks of the place they belong to show them, each
labelled with its zone.

Left to itself the admin shows a datetime in the active time zone (the server's, UTC) with no
label, so office staff read an event in Moscow, planned from Aktau, at an hour that is neither
city's. Every ModelAdmin of the project mixes in ``ZonedTimesMixin``: it says which zone each
row's times belong to (``time_zone_of``) and shows every datetime field it lists or displays
read-only as ``2031-05-04 19:00 (Europe/Moscow, UTC+03:00)`` (``core.wall_clock``). Times that
are typed have form fields of their own that read them in a zone (the event form).
"""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.db import models
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from .wall_clock import UTC_NAME, wall_clock, zone_or_utc

# A datetime field ``name`` is shown through the display ``name + ZONED_SUFFIX``.
ZONED_SUFFIX = "_in_zone"


def _zoned_display(model_admin, field: models.DateTimeField):
    # Read when shown: the apps name their fields (core.labels) after the admin is built.
    @admin.display(
        description=lazy(lambda: capfirst(field.verbose_name), str)(), ordering=field.name
    )
    def display(obj):
        value = getattr(obj, field.attname)
        if value is None:
            return model_admin.get_empty_value_display()
        return wall_clock(value, model_admin.time_zone_of(obj))

    display.__name__ = field.name + ZONED_SUFFIX
    return display


class DateSafeChangeList(ChangeList):
    """The admin's list, with a date drill-down (``date_hierarchy``) to a day or year past
    what a date can hold (``?created_at__year=9999&…day=31``: Django computes the next day)
    answered as any other wrong filter (the list again, saying so) rather than a 500."""

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as error:
            raise IncorrectLookupParameters(error) from error


class ZonedTimesMixin:
    """Shows a ModelAdmin's (or inline's) datetimes in the zone of their row, with its name.

    ``time_zone_of(obj)`` names the zone (UTC unless a subclass knows better: an event's venue,
    a city's own zone). Each datetime field named in ``list_display``, ``readonly_fields`` or
    the fieldsets (unless the form declares a field for it and the user may edit it) is
    replaced by a display of the same label and sort order that shows it in that zone; a
    subclass that builds its fieldsets itself passes them through ``zoned_fieldsets``. The
    change history page shows its times in the object's zone and says which. Editable
    datetimes need a form field of the form's own that reads them in a zone: the admin's would
    read them in the server's, so it is never made.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Attributes of the instance, made once: the admin finds a display by name
        # (readonly and list columns compare names), so it is the same one on every request.
        for field in self.model._meta.concrete_fields:
            if isinstance(field, models.DateTimeField):
                setattr(self, field.name + ZONED_SUFFIX, _zoned_display(self, field))

    def time_zone_of(self, obj) -> str:
        """The IANA name of the zone ``obj``'s times are shown in."""
        return UTC_NAME

    def get_changelist(self, request, **kwargs):
        return DateSafeChangeList

    def zoned(self, names, keep=frozenset()):
        """``names`` (field names, possibly nested in rows) with each datetime field but those
        in ``keep`` replaced by its display in the row's zone."""
        if isinstance(names, str):
            zoned = names + ZONED_SUFFIX
            return zoned if names not in keep and hasattr(self, zoned) else names
        if isinstance(names, list | tuple):
            return type(names)(self.zoned(name, keep) for name in names)
        return names

    def editable(self, request, obj=None) -> bool:
        """Whether the page offers ``obj``'s fields to edit (a subclass may keep some objects
        to read only, beyond the user's permission)."""
        return obj is None or self.has_change_permission(request, obj)

    def zoned_fieldsets(self, fieldsets, request, obj=None):
        """Fieldsets with their datetime fields shown in the row's zone, but for those the
        form declares a field for, while the user may edit them."""
        keep = frozenset(self.form.declared_fields) if self.editable(request, obj) else frozenset()
        return [
            (title, {**options, "fields": self.zoned(options["fields"], keep)})
            for title, options in fieldsets
        ]

    def get_list_display(self, request):
        return self.zoned(super().get_list_display(request))

    def get_readonly_fields(self, request, obj=None):
        return self.zoned(super().get_readonly_fields(request, obj))

    def get_fieldsets(self, request, obj=None):
        return self.zoned_fieldsets(super().get_fieldsets(request, obj), request, obj)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.DateTimeField):
            # The admin's own field would read it in the server's zone: it is left out of the
            # form (shown read-only if listed), unless the form declares a field that reads it
            # in the row's zone, as the event form does.
            return None
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def history_view(self, request, object_id, extra_context=None):
        # The log's times, in the object's zone, under a line that names it.
        obj = self.get_object(request, unquote(object_id))
        zone = zone_or_utc(self.time_zone_of(obj)) if obj is not None else UTC_NAME
        extra_context = {
            "subtitle": _("Times in %(zone)s") % {"zone": zone},
            **(extra_context or {}),
        }
        with timezone.override(zone):
            response = super().history_view(request, object_id, extra_context)
            # Rendered here, while the zone is active (a TemplateResponse renders lazily).
            if hasattr(response, "render"):
                response.render()
            return response
