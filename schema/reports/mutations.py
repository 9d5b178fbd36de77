"""Reporting an event or an announcement (any signed-in user). Each loads what its arguments
name and calls one service of reports.services, where the rules live."""

import graphene

from events.models import Announcement, Event
from reports import services

from ..core.mutations import BaseMutation, load
from .types import ReportReason, ReportType

DETAILS = "What is wrong, in the reporter's words; optional, at most 1,000 characters."


class EventReport(BaseMutation):
    """Report a public event to the moderators of its organising office. While the viewer's
    report of it is open, reporting it again answers with that report."""

    report = graphene.Field(ReportType)

    class Arguments:
        event = graphene.ID(required=True)
        reason = ReportReason(required=True)
        details = graphene.String(description=DETAILS)

    @classmethod
    def perform(cls, info, viewer, event, reason, details=None):
        target = load(Event.objects.public(), event, "Event", "event")
        return {"report": services.report_event(viewer, target, reason.value, details or "")}


class AnnouncementReport(BaseMutation):
    """Report a published announcement to the moderators of its office. While the viewer's
    report of it is open, reporting it again answers with that report."""

    report = graphene.Field(ReportType)

    class Arguments:
        announcement = graphene.ID(required=True)
        reason = ReportReason(required=True)
        details = graphene.String(description=DETAILS)

    @classmethod
    def perform(cls, info, viewer, announcement, reason, details=None):
        target = load(
            Announcement.objects.published(), announcement, "Announcement", "announcement"
        )
        report = services.report_announcement(viewer, target, reason.value, details or "")
        return {"report": report}


class ReportMutations(graphene.ObjectType):
    event_report = EventReport.Field()
    announcement_report = AnnouncementReport.Field()
