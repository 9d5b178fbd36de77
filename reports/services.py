"""Every change to reports: an app user reports an event or an announcement (or changes what
their open report of it says); a moderator of its office settles the report. Each function
checks who may act and validates before it writes (invalid input writes nothing), in one
transaction. The API and the admin call these."""

from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from core.text import clean_text
from events.models import Announcement, Event
from events.permissions import require

from .error_codes import ReportErrorCode
from .models import MAX_DETAILS_LENGTH, Report
from .permissions import can_settle


def _error(field: str, message: str, code: ReportErrorCode) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _clean(reason: str, details: str) -> tuple[str, str]:
    errors = {}
    if reason not in Report.Reason.values:
        errors["reason"] = ValidationError(
            gettext_noop("Give one of: %(choices)s."),
            code=ReportErrorCode.INVALID_REASON,
            params={"choices": ", ".join(Report.Reason.values)},
        )
    # Text that shows nothing (zero-width spaces) is no text: the details are then empty.
    details = clean_text(details or "")
    if len(details) > MAX_DETAILS_LENGTH:
        errors["details"] = ValidationError(
            gettext_noop("At most %(limit)s characters (%(given)s given)."),
            code=ReportErrorCode.TOO_LONG,
            params={"limit": f"{MAX_DETAILS_LENGTH:,}", "given": f"{len(details):,}"},
        )
    if errors:
        raise ValidationError(errors)
    return reason, details


@dataclass(frozen=True)
class Reported:
    """What reporting answers: the user's open report, and whether it was open already and now
    holds the reason and details just given instead of its own (``updated``)."""

    report: Report
    updated: bool = False


def _report(user, field: str, target, reason: str, details: str) -> Reported:
    """The user's open report of ``target`` (the model field ``field`` names it): made now, or,
    if one is open, given this reason and details. A person who reports the same thing again
    with other words means the new ones (a retry changes nothing); the moderators read one
    report, as it stands. A settled report is never reopened: reporting again makes a new one."""
    require(user.is_authenticated and user.is_active, gettext_noop("Sign in to report."))
    reason, details = _clean(reason, details)
    open_reports = Report.objects.filter(
        reporter=user, status=Report.Status.OPEN, **{field: target}
    )
    # Locked, so that a moderator settling it meanwhile waits, and then settles what it says.
    reported = open_reports.select_for_update(of=("self",)).first()
    if reported is None:
        try:
            with transaction.atomic():
                return Reported(
                    Report.objects.create(
                        reporter=user, reason=reason, details=details, **{field: target}
                    )
                )
        except IntegrityError:
            # The same report sent twice at once: the other request's is the open one.
            reported = open_reports.select_for_update(of=("self",)).get()
    if (reported.reason, reported.details) == (reason, details):
        return Reported(reported)
    reported.reason, reported.details = reason, details
    reported.save(update_fields=["reason", "details"])
    return Reported(reported, updated=True)


@transaction.atomic
def report_event(user, event: Event, reason: str, details: str = "") -> Reported:
    """Report a public event to the moderators of its organising office. While the user's
    report of it is open, reporting it again gives that report the new reason and details."""
    if event.status == Event.Status.DRAFT:
        raise _error(
            "event", gettext_noop("Only public events can be reported."), ReportErrorCode.NOT_FOUND
        )
    return _report(user, "event", event, reason, details)


@transaction.atomic
def report_announcement(user, announcement: Announcement, reason: str, details="") -> Reported:
    """Report a published announcement to the moderators of its office; as ``report_event``."""
    if not Announcement.objects.published().filter(pk=announcement.pk).exists():
        raise _error(
            "announcement",
            gettext_noop("Only published announcements can be reported."),
            ReportErrorCode.NOT_FOUND,
        )
    return _report(user, "announcement", announcement, reason, details)


class SettleAction(StrEnum):
    """What a moderator does about a report."""

    RESOLVE = "RESOLVE"
    DISMISS = "DISMISS"

    @property
    def status(self) -> str:
        return {
            SettleAction.RESOLVE: Report.Status.RESOLVED,
            SettleAction.DISMISS: Report.Status.DISMISSED,
        }[self]


SETTLE_DENIED = gettext_noop("Only the moderators of the office that publishes it settle a report.")


@transaction.atomic
def settle_report(moderator, report: Report, action: SettleAction) -> Report:
    """Close an open report: RESOLVE (the office has dealt with it: corrected, cancelled or
    deleted what was reported) or DISMISS (nothing wrong). A settled report stays as it was."""
    report = (
        Report.objects.select_for_update(of=("self",))
        .select_related("event", "announcement")
        .get(pk=report.pk)
    )
    require(can_settle(moderator, report), SETTLE_DENIED)
    if report.status != Report.Status.OPEN:
        return report
    report.status = SettleAction(action).status
    report.resolved_by, report.resolved_at = moderator, timezone.now()
    report.save(update_fields=["status", "resolved_by", "resolved_at"])
    return report
