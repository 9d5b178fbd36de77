"""The admin's page of reported events and announcements, for the moderators and publishers of
the offices that publish them: each office sees the reports of its own events and announcements
only (superusers every one), and settles them with the actions, through the same services as
everything else. Times are shown in the zone of what is reported: an event's venue, an
announcement's city."""

from django.contrib import admin
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from accounts.admin_people import person_column
from cities.permissions import MODERATING_ROLES
from events.admin import ServiceAdmin

from . import services
from .models import Report
from .permissions import can_settle


class ReportAdmin(ServiceAdmin):
    """Reports of the events and announcements of the offices the user moderates for; nothing
    is added or deleted here, and a report changes only through the actions."""

    office_roles_needed = MODERATING_ROLES
    list_display = ("created_at", "subject_shown", "reason", "excerpt", "status")
    list_filter = ("status", "reason")
    list_select_related = ("event", "announcement__city", "reporter", "resolved_by")
    readonly_fields = (
        "subject_shown",
        "event",
        "announcement",
        "reason",
        "details",
        "status",
        "created_at",
        "resolved_by_shown",
        "resolved_at",
    )
    fields = readonly_fields
    reporter_shown = person_column("reporter", _("Reporter"))
    resolved_by_shown = person_column("resolved_by", _("Resolved by"))

    # The office reads what is wrong with its event or announcement, not who said so: the
    # reporter is the operators' to see (superusers), by name and tag.
    def get_list_display(self, request):
        shown = super().get_list_display(request)
        return (*shown, "reporter_shown") if request.user.is_superuser else shown

    def get_fields(self, request, obj=None):
        fields = tuple(super().get_fields(request, obj))
        return (*fields, "reporter_shown") if request.user.is_superuser else fields

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        return (*readonly, "reporter_shown") if request.user.is_superuser else readonly

    def lookup_allowed(self, lookup, value, request=None):
        # Nor by filtering the list by a person (?reporter=<id>), whose ID the app shows.
        if lookup.split("__")[0] in ("reporter", "resolved_by") and not (
            request is not None and request.user.is_superuser
        ):
            return False
        return super().lookup_allowed(lookup, value, request)

    actions = ("resolve_reports", "dismiss_reports")

    def time_zone_of(self, obj) -> str:
        if obj.event_id is not None:
            return obj.event.timezone
        return obj.announcement.city.timezone

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("event", "announcement__city")
        if request.user.is_superuser:
            return queryset
        return queryset.of_offices(self.staff_offices(request))

    def _settles(self, request, obj) -> bool:
        """Whether the user settles ``obj``, or for the list any office's reports at all."""
        if obj is None:
            return request.user.is_superuser or bool(self.staff_offices(request))
        return can_settle(request.user, obj)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._settles(request, obj)

    def has_change_permission(self, request, obj=None):
        # The list's actions need it; a report's own page is to read (nothing on it is
        # edited: a report changes through the actions only).
        if obj is not None:
            return False
        return super().has_change_permission(request, obj) and self._settles(request, obj)

    @admin.display(description=_("What is reported"))
    def subject_shown(self, obj):
        if obj.event_id is not None:
            return _("Event: %(title)s") % {"title": obj.event}
        return _("Announcement: %(title)s") % {"title": obj.announcement}

    @admin.display(description=_("What they wrote"))
    def excerpt(self, obj):
        return Truncator(obj.details).chars(80) if obj.details else "—"

    def _settle(self, request, queryset, action, verb, done):
        self.run_for_each(
            request,
            queryset,
            lambda report: services.settle_report(request.user, report, action),
            verb,
            done,
        )

    @admin.action(
        permissions=["change"],
        description=_("Mark selected reports resolved (the office has dealt with them)"),
    )
    def resolve_reports(self, request, queryset):
        self._settle(request, queryset, services.SettleAction.RESOLVE, _("resolve"), _("Resolved"))

    @admin.action(permissions=["change"], description=_("Dismiss selected reports"))
    def dismiss_reports(self, request, queryset):
        self._settle(request, queryset, services.SettleAction.DISMISS, _("dismiss"), _("Dismissed"))


admin.site.register(Report, ReportAdmin)
