"""What push holds about a person, for deleting an account and exporting its data (the
registry of ``accounts.personal_data``): the topics each device of theirs is subscribed to, and
the record of each push sent to their devices."""

from accounts.personal_data import delete, export, register, service

from .topics import release_user_topics

register(
    "notifications.DeviceTopic",
    # Unsubscribed at FCM once the deletion commits, so the phone stops hearing of them.
    device__user=service(release_user_topics),
    export=export("pushTopics", by="device__user", fields=("device__token", "topic")),
)

register(
    "notifications.Delivery",
    # The notification stays (it names no one): only its deliveries to the person's devices go.
    device__user=delete(),
    export=export(
        "pushes",
        by="device__user",
        fields=(
            "notification__kind",
            "notification__event_id",
            "notification__announcement_id",
            "notification__created_at",
            "device__token",
            "language",
            "status",
            "attempts",
            "next_attempt_at",
            "held_for_quiet_hours",
            "sent_at",
            "error_code",
            "error_detail",
            "drop_reason",
        ),
    ),
)
