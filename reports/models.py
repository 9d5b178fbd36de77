"""Reports of what an office publishes: an app user tells the office's moderators that an
event or an announcement is wrong (spam, misleading, offensive, a scam…).

A report is about one event or one announcement, never both; its office is that object's
organising office, whose moderators (and publishers) settle it in the admin, as chat reports
are settled by the moderators of the event (``chat.models.ChatReport``, whose shape this
follows). A user has at most one open report of each object: reporting it again while it is
open gives that report the new reason and details, and once it is settled they may report it
anew (a settled report is never reopened).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.validators import validate_visible

# The longest free text a reporter may add to the reason, in characters after trimming.
MAX_DETAILS_LENGTH = 1000


class ReportQuerySet(models.QuerySet):
    def of_offices(self, offices):
        """Reports of what one of ``offices`` (ids) publishes: its events and announcements."""
        return self.filter(Q(event__office__in=offices) | Q(announcement__office__in=offices))


class Report(models.Model):
    """A user's report of an event or an announcement to the moderators of its office."""

    class Reason(models.TextChoices):
        SPAM = "SPAM", _("Spam or advertising")
        MISLEADING = "MISLEADING", _("False or misleading")
        OFFENSIVE = "OFFENSIVE", _("Offensive or hateful")
        SCAM = "SCAM", _("A scam or fraud")
        DANGEROUS = "DANGEROUS", _("Dangerous or illegal")
        OTHER = "OTHER", _("Something else")

    class Status(models.TextChoices):
        OPEN = "OPEN", _("Open")
        RESOLVED = "RESOLVED", _("Resolved")
        DISMISSED = "DISMISSED", _("Dismissed")

    event = models.ForeignKey(
        "events.Event", on_delete=models.CASCADE, null=True, blank=True, related_name="reports"
    )
    announcement = models.ForeignKey(
        "events.Announcement",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reports",
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(max_length=20, choices=Reason.choices)
    # What the reporter added, if anything: trimmed, at most MAX_DETAILS_LENGTH characters.
    details = models.TextField(blank=True, validators=[validate_visible])
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="report_status_created")]
        constraints = [
            models.CheckConstraint(
                condition=Q(event__isnull=False, announcement__isnull=True)
                | Q(event__isnull=True, announcement__isnull=False),
                name="report_of_one_object",
            ),
            # One open report per user and object: a second one while it is open answers with
            # the first (reports.services), and this holds it under concurrent requests.
            models.UniqueConstraint(
                fields=["reporter", "event"],
                condition=Q(status="OPEN", event__isnull=False),
                name="report_one_open_per_event",
            ),
            models.UniqueConstraint(
                fields=["reporter", "announcement"],
                condition=Q(status="OPEN", announcement__isnull=False),
                name="report_one_open_per_announcement",
            ),
        ]

    def __str__(self):
        # Not who reported it: the reported office reads this (reports.admin).
        return f"Report of {self.subject}"

    @property
    def subject(self):
        """What is reported: the event or the announcement."""
        return self.event if self.event_id is not None else self.announcement

    @property
    def office_id(self) -> int:
        """The office whose moderators settle it: the organiser of what is reported."""
        return self.subject.office_id
