"""Reporting an event or an announcement (any signed-in user). Each loads what its arguments
name and calls one service of reports.services, where the rules live."""

import graphene

from events.models import Announcement, Event
from reports import services

from ..core.mutations import BaseMutation, load
from .types import ReportReason, ReportType

DETAILS = "What is wrong, in the reporter's words; optional, at most 1,000 characters."


UPDATED = (
    "True when the viewer's report of it was open already and now holds the reason and details "
    "just sent instead of its own (no new report is made); false for a new report, for one "
    "sent again as it was, and with errors."
)


def resolve_updated(payload, info):
    # A payload with errors was made without it: nothing was updated.
    return bool(payload.updated)


class _Report(BaseMutation):
    """What both reports answer: the report, and whether an open one took the new reason."""

    report = graphene.Field(ReportType)
    updated = graphene.Boolean(required=True, description=UPDATED, resolver=resolve_updated)

    class Meta:
        abstract = True

    @staticmethod
    def answer(reported: services.Reported) -> dict:
        return {"report": reported.report, "updated": reported.updated}


class EventReport(_Report):
    """Report a public event to the moderators of its organising office. While the viewer's
    report of it is open, reporting it again gives that report the new reason and details
    (`updated`); a settled one is not reopened: a new report is made."""

    class Arguments:
        event = graphene.ID(required=True)
        reason = ReportReason(required=True)
        details = graphene.String(description=DETAILS)

    @classmethod
    def perform(cls, info, viewer, event, reason, details=None):
        target = load(Event.objects.public(), event, "Event", "event")
        return cls.answer(services.report_event(viewer, target, reason.value, details or ""))


class AnnouncementReport(_Report):
    """Report a published announcement to the moderators of its office. While the viewer's
    report of it is open, reporting it again gives that report the new reason and details
    (`updated`); a settled one is not reopened: a new report is made."""

    class Arguments:
        announcement = graphene.ID(required=True)
        reason = ReportReason(required=True)
        details = graphene.String(description=DETAILS)

    @classmethod
    def perform(cls, info, viewer, announcement, reason, details=None):
        target = load(
            Announcement.objects.published(), announcement, "Announcement", "announcement"
        )
        return cls.answer(services.report_announcement(viewer, target, reason.value, details or ""))


class ReportMutations(graphene.ObjectType):
    event_report = EventReport.Field()
    announcement_report = AnnouncementReport.Field()
