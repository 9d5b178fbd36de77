"""How far each notification got, for operators (the admin and `manage.py push_status`)."""

from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from .models import Delivery, Notification


@dataclass
class Progress:
    notification: Notification
    due: int = 0
    held: int = 0
    retrying: int = 0
    sent: int = 0
    failed: int = 0
    failed_by_reason: dict[str, int] = field(default_factory=dict)

    @property
    def pending(self) -> int:
        return self.due + self.held + self.retrying


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
        )
    )
    counts = {row.pop("notification"): row for row in rows}
    reasons = {}
    for row in (
        Delivery.objects.filter(notification__in=notifications, status=Delivery.Status.FAILED)
        .values("notification", "error_code")
        .annotate(n=Count("pk"))
    ):
        reasons.setdefault(row["notification"], {})[row["error_code"]] = row["n"]
    return [
        Progress(
            notification,
            **counts.get(notification.pk, {}),
            failed_by_reason=reasons.get(notification.pk, {}),
        )
        for notification in notifications
    ]
