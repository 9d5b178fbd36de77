"""How far each notification got, for operators (the admin and `manage.py push_status`)."""

from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext

from .models import Delivery, Notification


@dataclass
class Progress:
    notification: Notification
    due: int = 0
    held: int = 0
    retrying: int = 0
    sent: int = 0
    failed: int = 0
    dropped: int = 0
    failed_by_reason: dict[str, int] = field(default_factory=dict)
    # Pushes not sent because what they said was no longer true, by DropReason.
    dropped_by_reason: dict[str, int] = field(default_factory=dict)

    @property
    def pending(self) -> int:
        return self.due + self.held + self.retrying

    def summary(self) -> str:
        """One line for people, in the active language: the counts, each failure and drop by
        its reason; on the topic path, what became of each language's message."""
        notification = self.notification
        if notification.state == Notification.State.DROPPED:
            return gettext("dropped before anything was sent: %(reason)s") % {
                "reason": notification.drop_reason
            }
        if notification.path == Notification.Path.TOPICS:
            languages = ", ".join(
                f"{language} {result['outcome']}"
                for language, result in sorted(notification.topic_results.items())
            )
            dropped = notification.drop_reason
            line = gettext("topics: %(languages)s") % {"languages": languages}
            if dropped:
                line += " " + gettext("(dropped: %(reason)s)") % {"reason": dropped}
            return line
        return gettext(
            "sent %(sent)s, due %(due)s, held %(held)s, retrying %(retrying)s, "
            "failed %(failed)s%(failed_reasons)s, dropped %(dropped)s%(dropped_reasons)s"
        ) % {
            "sent": self.sent,
            "due": self.due,
            "held": self.held,
            "retrying": self.retrying,
            "failed": self.failed,
            "failed_reasons": _reasons(self.failed_by_reason),
            "dropped": self.dropped,
            "dropped_reasons": _reasons(self.dropped_by_reason),
        }


def _reasons(counts: dict[str, int]) -> str:
    if not counts:
        return ""
    return " (" + ", ".join(f"{code}: {n}" for code, n in sorted(counts.items())) + ")"


def progress(notifications) -> list[Progress]:
    """The delivery counts of each notification, in two queries for any number of them."""
    notifications = list(notifications)
    now = timezone.now()
    pending = Q(status=Delivery.Status.PENDING)
    rows = (
        Delivery.objects.filter(notification__in=notifications)
        .values("notification")
        .annotate(
            due=Count("pk", filter=pending & Q(next_attempt_at__lte=now)),
            held=Count(
                "pk", filter=pending & Q(next_attempt_at__gt=now, held_for_quiet_hours=True)
            ),
            retrying=Count(
                "pk", filter=pending & Q(next_attempt_at__gt=now, held_for_quiet_hours=False)
            ),
            sent=Count("pk", filter=Q(status=Delivery.Status.SENT)),
            failed=Count("pk", filter=Q(status=Delivery.Status.FAILED)),
            dropped=Count("pk", filter=Q(status=Delivery.Status.DROPPED)),
        )
    )
    counts = {row.pop("notification"): row for row in rows}
    failed, dropped = {}, {}
    for row in (
        Delivery.objects.filter(
            notification__in=notifications,
            status__in=[Delivery.Status.FAILED, Delivery.Status.DROPPED],
        )
        .values("notification", "status", "error_code", "drop_reason")
        .annotate(n=Count("pk"))
    ):
        if row["status"] == Delivery.Status.FAILED:
            failed.setdefault(row["notification"], {})[row["error_code"]] = row["n"]
        else:
            dropped.setdefault(row["notification"], {})[row["drop_reason"]] = row["n"]
    return [
        Progress(
            notification,
            **counts.get(notification.pk, {}),
            failed_by_reason=failed.get(notification.pk, {}),
            dropped_by_reason=dropped.get(notification.pk, {}),
        )
        for notification in notifications
    ]
