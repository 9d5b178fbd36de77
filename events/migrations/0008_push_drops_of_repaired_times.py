"""The reason TIMES_REPAIRED, and the pushes that events.0006 dropped given it.

``events.0006`` repaired the events and announcements stored outside the window of times the
system holds, made them drafts, and in the same transaction dropped the pushes about them not
yet sent. The column for a drop's reason came after it (``events.0007``), so those drops have
none; every drop since is made with its reason, so a drop without one is one of them. Here they
get TIMES_REPAIRED, which operators then see in ``push_status`` and the admin:

- each delivery dropped without a reason;
- each notification dropped whole without a reason, or DONE with such a delivery (something of
  it had been sent before); on the topic path, its languages still waiting are DROPPED and one
  being sent is UNKNOWN (as a worker taking over would mark it), and it is DONE rather than
  DROPPED if any language went.
"""

from django.db import migrations, models
from django.db.models import Q

TIMES_REPAIRED = "TIMES_REPAIRED"
DROP_REASONS = [
    ("EVENT_CANCELLED", "The event was cancelled"),
    ("EVENT_OVER", "The event is over"),
    ("SUPERSEDED", "A later change of the event superseded it"),
    ("EVENT_DELETED", "The event was deleted"),
    ("ANNOUNCEMENT_DELETED", "The announcement was deleted"),
    ("ANNOUNCEMENT_UNPUBLISHED", "The announcement is not published"),
    (
        TIMES_REPAIRED,
        "Its event's or announcement's times were repaired, and it was made a draft",
    ),
]
# What became of a topic message (notifications.topic_sends), as this migration knows them.
WAITING, SENDING, DROPPED, UNKNOWN = "WAITING", "SENDING", "DROPPED", "UNKNOWN"
GAVE_UP = (
    "The worker stopped between sending this message and recording FCM's answer; it is not "
    "sent again (at most once)."
)


def give_the_reason(apps, schema_editor):
    Notification = apps.get_model("events", "Notification")
    Delivery = apps.get_model("events", "Delivery")
    unexplained = Delivery.objects.filter(status="DROPPED", drop_reason="")
    # Their ids first: fixing a topic notification's state below changes what the filter finds.
    ids = list(
        Notification.objects.filter(drop_reason="")
        .filter(Q(state="DROPPED") | Q(pk__in=unexplained.values("notification_id")))
        .values_list("pk", flat=True)
    )
    for notification in Notification.objects.filter(pk__in=ids, path="TOPICS"):
        results = notification.topic_results
        for result in results.values():
            if result.get("outcome") == WAITING:
                result.update(outcome=DROPPED, detail=TIMES_REPAIRED)
            elif result.get("outcome") == SENDING:
                result.update(outcome=UNKNOWN, detail=GAVE_UP)
        went = any(result.get("outcome") != DROPPED for result in results.values())
        notification.state = "DONE" if went else "DROPPED"
        notification.save(update_fields=["topic_results", "state"])
    Notification.objects.filter(pk__in=ids).update(drop_reason=TIMES_REPAIRED)
    unexplained.update(drop_reason=TIMES_REPAIRED)


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0007_push_drops_and_event_times"),
    ]

    operations = [
        migrations.AlterField(
            model_name="delivery",
            name="drop_reason",
            field=models.CharField(blank=True, choices=DROP_REASONS, max_length=32),
        ),
        migrations.AlterField(
            model_name="notification",
            name="drop_reason",
            field=models.CharField(blank=True, choices=DROP_REASONS, max_length=32),
        ),
        # Nothing to undo: the reasons say what happened.
        migrations.RunPython(give_the_reason, migrations.RunPython.noop),
    ]
