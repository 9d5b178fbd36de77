"""The admin's "Who is coming" page of an event, and its two CSV files.

Mixed into the event's ModelAdmin: its URLs sit under the event's own
(``…/events/event/<id>/attendance/``), and the change page links to it (``who_is_coming``).
Only the staff of the offices acting for the event (organiser, accepted co-host) and
superusers see it (``permissions.can_see_attendance``); others get 404 for an event they
cannot see at all, 403 for one they can. People are named only when they agreed to be listed;
times are the venue's, with the zone's name.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.integers import MAX_BIGINT, MAX_BIGINT_DIGITS
from core.spreadsheets import csv_response
from core.wall_clock import wall_clock, zone_or_utc

from . import attendance, permissions
from .models import Event, Rsvp

ANSWERS = {
    Rsvp.Status.GOING: _("Going"),
    Rsvp.Status.INTERESTED: _("Interested"),
    Rsvp.Status.WAITLISTED: _("On the waitlist"),
}


def _name(user) -> str:
    return user.display_name or str(_("(no name given)"))


class AttendanceAdminMixin:
    """Adds the "Who is coming" page and its CSV files to the event's ModelAdmin."""

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}_attendance"
        view = self.admin_site.admin_view
        # Before the admin's own: its ``<path:object_id>/`` would take these too.
        return [
            path(
                "<path:object_id>/attendance/",
                view(self.attendance_view),
                name=prefix,
            ),
            path(
                "<path:object_id>/attendance/attendees.csv",
                view(self.attendees_csv_view),
                name=f"{prefix}_attendees_csv",
            ),
            path(
                "<path:object_id>/attendance/daily-counts.csv",
                view(self.daily_counts_csv_view),
                name=f"{prefix}_daily_csv",
            ),
            *super().get_urls(),
        ]

    def _url(self, suffix: str, event: Event) -> str:
        name = f"admin:{self.opts.app_label}_{self.opts.model_name}_attendance{suffix}"
        return reverse(name, args=[event.pk], current_app=self.admin_site.name)

    @admin.display(description=_("Who is coming"))
    def who_is_coming(self, obj):
        """The change page's link to the page."""
        if obj is None or obj.pk is None:
            return "—"
        return format_html(
            '<a class="button" href="{}">{}</a>', self._url("", obj), _("See who is coming")
        )

    def attended_event(self, request, object_id) -> Event:
        """The event of the URL, if the user may see who is coming to it."""
        text = str(object_id)
        if not text.isdigit() or len(text) > MAX_BIGINT_DIGITS or int(text) > MAX_BIGINT:
            raise Http404
        event = (
            Event.objects.visible_to(request.user)
            .select_related("office")
            .filter(pk=int(text))
            .first()
        )
        if event is None:
            raise Http404
        if not permissions.can_see_attendance(request.user, event):
            raise PermissionDenied
        return event

    def attendance_view(self, request, object_id):
        event = self.attended_event(request, object_id)
        zone = zone_or_utc(event.timezone)
        days = attendance.daily_counts(event)
        highest = max((max(day.going, day.interested) for day in days), default=0) or 1
        unlisted = attendance.unlisted_count(event)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Who is coming: %(event)s") % {"event": event},
            "event": event,
            "zone": zone,
            "totals": attendance.totals(event),
            "days": [
                {
                    "day": day.day.isoformat(),
                    "going": day.going,
                    "interested": day.interested,
                    "going_width": round(100 * day.going / highest),
                    "interested_width": round(100 * day.interested / highest),
                }
                for day in days
            ],
            "attendees": [
                {
                    "name": _name(rsvp.user),
                    "answer": ANSWERS.get(rsvp.status, rsvp.status),
                    "since": wall_clock(rsvp.updated_at, zone),
                }
                for rsvp in attendance.listed_attendees(event)
            ],
            "unlisted": unlisted,
            "unlisted_text": ngettext(
                "%(count)d person chose not to be listed.",
                "%(count)d people chose not to be listed.",
                unlisted,
            )
            % {"count": unlisted},
            "change_url": reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                args=[event.pk],
                current_app=self.admin_site.name,
            ),
            "attendees_csv_url": self._url("_attendees_csv", event),
            "daily_csv_url": self._url("_daily_csv", event),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/events/event/attendance.html", context)

    def attendees_csv_view(self, request, object_id):
        event = self.attended_event(request, object_id)
        zone = zone_or_utc(event.timezone)
        rows = (
            (
                _name(rsvp.user),
                ANSWERS.get(rsvp.status, rsvp.status),
                wall_clock(rsvp.updated_at, zone),
            )
            for rsvp in attendance.listed_attendees(event)
        )
        header = (_("Name"), _("Answer"), _("Since (time at the venue)"))
        return csv_response(f"event-{event.pk}-attendees.csv", header, rows)

    def daily_counts_csv_view(self, request, object_id):
        event = self.attended_event(request, object_id)
        zone = zone_or_utc(event.timezone)
        rows = (
            (day.day.isoformat(), day.going, day.interested)
            for day in attendance.daily_counts(event)
        )
        header = (
            _("Day (%(zone)s)") % {"zone": zone},
            _("Going at the end of the day"),
            _("Interested at the end of the day"),
        )
        return csv_response(f"event-{event.pk}-daily-counts.csv", header, rows)
