"""What push holds about a person, for deleting an account and exporting its data (the
registry of ``accounts.personal_data``): the topics each device of theirs is subscribed to, and
the record of each push sent to their devices."""

from accounts.personal_data import delete, export, not_exported, register, service

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
    # And those of a push meant for the person alone, which goes too.
    notification__recipient=delete(),
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

register(
    "notifications.Notification",
    # A push meant for one person (a place from the waitlist) goes with them, its deliveries
    # with it; pushes to a whole audience name no one.
    recipient=delete(),
    export=not_exported(
        "a push meant for you alone (a place from an event's waitlist) is listed under "
        '"pushes", as each push sent to your devices is'
    ),
)
