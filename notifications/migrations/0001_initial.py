"""The push outbox's models, which lived in the events app until now: their tables stay as
they are (``events_notification``, ``events_delivery``, ``events_devicetopic``, with their rows,
indexes and constraints), and only Django's idea of which app holds them moves. This adds them
to this app's state; ``events.0012_notifications_move_out`` then removes them from the events
app's state and gives their content types to this app."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0003_muted_categories_unicode"),
        ("events", "0010_drop_reason_event_started"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables exist: nothing is created.
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="Notification",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("EVENT_ANNOUNCED", "Event announced"),
                                    ("EVENT_CHANGED", "Event changed (time or venue)"),
                                    ("EVENT_POSTPONED", "Event postponed"),
                                    ("EVENT_CANCELLED", "Event cancelled"),
                                    ("EVENT_REMINDER", "Event reminder"),
                                    ("ANNOUNCEMENT_POSTED", "Announcement posted"),
                                ],
                                max_length=24,
                            ),
                        ),
                        ("dedupe_key", models.CharField(max_length=120, unique=True)),
                        (
                            "urgent",
                            models.BooleanField(
                                default=False, help_text="Delivered through quiet hours."
                            ),
                        ),
                        ("event_starts_at", models.DateTimeField(blank=True, null=True)),
                        ("event_ends_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "state",
                            models.CharField(
                                choices=[
                                    ("PENDING", "Pending: audience not yet resolved"),
                                    ("FANNED_OUT", "Fanned out: deliveries being sent"),
                                    ("DONE", "Done"),
                                    ("DROPPED", "Dropped before anything was sent: no longer true"),
                                ],
                                default="PENDING",
                                max_length=12,
                            ),
                        ),
                        (
                            "path",
                            models.CharField(
                                blank=True,
                                choices=[("TOKENS", "Device by device"), ("TOPICS", "FCM topics")],
                                max_length=8,
                            ),
                        ),
                        ("audience_size", models.PositiveIntegerField(blank=True, null=True)),
                        ("topic_results", models.JSONField(blank=True, default=dict)),
                        (
                            "drop_reason",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("EVENT_CANCELLED", "The event was cancelled"),
                                    ("EVENT_OVER", "The event is over"),
                                    ("EVENT_STARTED", "The event has started"),
                                    ("SUPERSEDED", "A later change of the event superseded it"),
                                    ("EVENT_DELETED", "The event was deleted"),
                                    ("ANNOUNCEMENT_DELETED", "The announcement was deleted"),
                                    (
                                        "ANNOUNCEMENT_UNPUBLISHED",
                                        "The announcement is not published",
                                    ),
                                    (
                                        "TIMES_REPAIRED",
                                        "Its event's or announcement's times were repaired, and it was made a draft",
                                    ),
                                ],
                                max_length=32,
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                        ("fanned_out_at", models.DateTimeField(blank=True, null=True)),
                        ("completed_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "announcement",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="events.announcement",
                            ),
                        ),
                        (
                            "event",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="events.event",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "events_notification",
                        "ordering": ["-created_at", "-id"],
                    },
                ),
                migrations.CreateModel(
                    name="Delivery",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("language", models.CharField(max_length=8)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("PENDING", "Pending"),
                                    ("SENT", "Sent"),
                                    ("FAILED", "Failed"),
                                    ("DROPPED", "Dropped: no longer true when it was due"),
                                ],
                                default="PENDING",
                                max_length=8,
                            ),
                        ),
                        ("attempts", models.PositiveSmallIntegerField(default=0)),
                        ("next_attempt_at", models.DateTimeField()),
                        ("held_for_quiet_hours", models.BooleanField(default=False)),
                        ("sent_at", models.DateTimeField(blank=True, null=True)),
                        ("error_code", models.CharField(blank=True, max_length=32)),
                        ("error_detail", models.CharField(blank=True, max_length=500)),
                        (
                            "drop_reason",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("EVENT_CANCELLED", "The event was cancelled"),
                                    ("EVENT_OVER", "The event is over"),
                                    ("EVENT_STARTED", "The event has started"),
                                    ("SUPERSEDED", "A later change of the event superseded it"),
                                    ("EVENT_DELETED", "The event was deleted"),
                                    ("ANNOUNCEMENT_DELETED", "The announcement was deleted"),
                                    (
                                        "ANNOUNCEMENT_UNPUBLISHED",
                                        "The announcement is not published",
                                    ),
                                    (
                                        "TIMES_REPAIRED",
                                        "Its event's or announcement's times were repaired, and it was made a draft",
                                    ),
                                ],
                                max_length=32,
                            ),
                        ),
                        (
                            "device",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="deliveries",
                                to="accounts.device",
                            ),
                        ),
                        (
                            "notification",
                            models.ForeignKey(
                                db_index=False,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="deliveries",
                                to="notifications.notification",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name_plural": "deliveries",
                        "db_table": "events_delivery",
                    },
                ),
                migrations.CreateModel(
                    name="DeviceTopic",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("topic", models.CharField(max_length=100)),
                        (
                            "device",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="topics",
                                to="accounts.device",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "events_devicetopic",
                        "indexes": [
                            models.Index(fields=["topic"], name="events_devi_topic_86b252_idx")
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("device", "topic"), name="device_topic_once"
                            )
                        ],
                    },
                ),
                migrations.AddIndex(
                    model_name="notification",
                    index=models.Index(
                        fields=["state", "created_at"], name="events_noti_state_cb3fd2_idx"
                    ),
                ),
                migrations.AddIndex(
                    model_name="delivery",
                    index=models.Index(
                        fields=["notification", "status", "next_attempt_at"],
                        name="events_deli_notific_0afeba_idx",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="delivery",
                    constraint=models.UniqueConstraint(
                        fields=("notification", "device"), name="delivery_once_per_device"
                    ),
                ),
            ],
        ),
    ]
