from django.core.management.base import BaseCommand

from events.push.models import Notification
from events.push.status import progress


class Command(BaseCommand):
    help = (
        "Show the most recent push notifications and how far each got: deliveries due, held "
        "for quiet hours, waiting to retry, sent, and failed by reason."
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
            subject = f"event {n.event_id}" if n.event_id else f"announcement {n.announcement_id}"
            reasons = ", ".join(
                f"{code} {count}" for code, count in sorted(row.failed_by_reason.items())
            )
            self.stdout.write(
                f"#{n.pk} {n.kind} ({subject}) {n.state} {n.path or '-'} "
                f"audience={n.audience_size if n.audience_size is not None else '?'} "
                f"sent={row.sent} due={row.due} held={row.held} retrying={row.retrying} "
                f"failed={row.failed}" + (f" [{reasons}]" if reasons else "")
            )
            if n.path == Notification.Path.TOPICS:
                for language, result in sorted(n.topic_results.items()):
                    self.stdout.write(f"    {language}: {result['outcome']} {result['condition']}")
