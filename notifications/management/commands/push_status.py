from django.core.management.base import BaseCommand

from notifications import registry
from notifications.models import Notification
from notifications.status import progress


def _reasons(counts: dict[str, int]) -> str:
    if not counts:
        return ""
    return " [" + ", ".join(f"{code} {n}" for code, n in sorted(counts.items())) + "]"


class Command(BaseCommand):
    help = (
        "Show the most recent push notifications and how far each got: deliveries due, held "
        "for quiet hours, waiting to retry, sent, failed by reason, and dropped by reason (no "
        "longer true when they were due: the event cancelled, changed again or over)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=20, help="How many (newest first).")
        parser.add_argument(
            "--state", choices=Notification.State.values, help="Only notifications in this state."
        )

    def handle(self, *args, limit, state, **options):
        notifications = Notification.objects.order_by("-created_at", "-pk")
        if state:
            notifications = notifications.filter(state=state)
        rows = progress(notifications[:limit])
        if not rows:
            self.stdout.write("No notifications.")
            return
        for row in rows:
            n = row.notification
            about = registry.spec(n.kind).subject
            subject = f"{about} {getattr(n, f'{about}_id') or '(deleted)'}"
            dropped = f" ({n.drop_reason})" if n.drop_reason else ""
            self.stdout.write(
                f"#{n.pk} {n.kind} ({subject}) {n.state}{dropped} {n.path or '-'} "
                f"audience={n.audience_size if n.audience_size is not None else '?'} "
                f"sent={row.sent} due={row.due} held={row.held} retrying={row.retrying} "
                f"failed={row.failed}{_reasons(row.failed_by_reason)} "
                f"dropped={row.dropped}{_reasons(row.dropped_by_reason)}"
            )
            if n.path == Notification.Path.TOPICS:
                for language, result in sorted(n.topic_results.items()):
                    detail = f" ({result['detail']})" if result.get("detail") else ""
                    self.stdout.write(
                        f"    {language}: {result['outcome']}{detail} {result['condition']}"
                    )
