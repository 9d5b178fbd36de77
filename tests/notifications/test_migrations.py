"""A deploy that moves push's models from the events app to the notifications app
(notifications.0001, events.0012_notifications_move_out) keeps every row of the outbox as it
was, and what points at the models (content types, so permissions) goes with them."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from accounts.models import Device
from events.models import Announcement, Event
from notifications.models import Delivery, DeviceTopic, Notification
from tests.migrating import BEFORE_NOTIFICATIONS_MOVED, migrate, models_applied

MOVED = {"Notification": Notification, "Delivery": Delivery, "DeviceTopic": DeviceTopic}
TABLES = {"events_notification", "events_delivery", "events_devicetopic"}


def in_a_week(hours: int = 0) -> datetime.datetime:
    moment = timezone.now() + datetime.timedelta(days=7, hours=hours)
    return moment.replace(microsecond=0)


def write_the_outbox(then) -> dict[str, list[int]]:
    """Write, with the models as they were before the move, an outbox in every state it can
    be in: notifications about an event and an announcement, sent device by device and to
    topics, waiting, dropped; deliveries sent, failed, held, dropped; topic subscriptions.
    Returns the ids of the users, events and announcements written."""
    User = then.get_model("accounts", "User")
    Device = then.get_model("accounts", "Device")
    City = then.get_model("cities", "City")
    CityOffice = then.get_model("cities", "CityOffice")
    Event = then.get_model("events", "Event")
    Announcement = then.get_model("events", "Announcement")
    Notification = then.get_model("events", "Notification")
    Delivery = then.get_model("events", "Delivery")
    DeviceTopic = then.get_model("events", "DeviceTopic")

    aktau = City.objects.create(
        name_en="Aktau",
        country="KZ",
        latitude=43.65,
        longitude=51.16,
        timezone="Asia/Aqtau",
        slug="aktau-kz",
    )
    office = CityOffice.objects.create(city=aktau, name_en="Akimat of Aktau")
    event = Event.objects.create(
        title_en="Caspian jazz night",
        category="CULTURAL",
        starts_at=in_a_week(),
        ends_at=in_a_week(2),
        timezone="Asia/Aqtau",
        venue_name="Seaside park",
        host_city=aktau,
        office=office,
        status="ANNOUNCED",
        announced_at=timezone.now(),
    )
    news = Announcement.objects.create(
        office=office,
        city=aktau,
        event=event,
        title_en="Jazz on the shore",
        body_en="Bring a blanket.",
        published_at=timezone.now(),
    )
    alia = User.objects.create(email="alia@example.org", language="kk")
    omar = User.objects.create(email="omar@example.org", language="ur")
    phone = Device.objects.create(user=alia, token="alia-phone", platform="ANDROID")
    tablet = Device.objects.create(user=alia, token="alia-tablet", platform="IOS", locale="ru-KZ")
    old = Device.objects.create(
        user=omar,
        token="omar-old",
        platform="ANDROID",
        active=False,
        deactivated_reason="UNREGISTERED",
    )

    announced = Notification.objects.create(
        kind="EVENT_ANNOUNCED",
        dedupe_key=f"event:{event.pk}:announced",
        event=event,
        event_starts_at=event.starts_at,
        event_ends_at=event.ends_at,
        state="DONE",
        path="TOKENS",
        audience_size=3,
        fanned_out_at=timezone.now(),
        completed_at=timezone.now(),
    )
    moved = Notification.objects.create(
        kind="EVENT_POSTPONED",
        dedupe_key=f"event:{event.pk}:change:41",
        event=event,
        urgent=True,
        event_starts_at=in_a_week(-24),
        event_ends_at=in_a_week(-22),
        state="FANNED_OUT",
        path="TOKENS",
        audience_size=2,
        fanned_out_at=timezone.now(),
    )
    posted = Notification.objects.create(
        kind="ANNOUNCEMENT_POSTED",
        dedupe_key=f"announcement:{news.pk}:posted",
        announcement=news,
        state="DONE",
        path="TOPICS",
        audience_size=60_000,
        topic_results={
            "kk": {"condition": "'city-1-kk' in topics", "outcome": "SENT", "detail": "m/1"},
            "ur": {"condition": "'city-1-ur' in topics", "outcome": "DROPPED", "detail": "Х"},
        },
        completed_at=timezone.now(),
    )
    Notification.objects.create(
        kind="EVENT_CANCELLED",
        dedupe_key="event:999:cancelled",
        state="DROPPED",
        drop_reason="EVENT_DELETED",
        completed_at=timezone.now(),
    )
    Notification.objects.create(kind="EVENT_REMINDER", dedupe_key="event:998:reminder:x")

    Delivery.objects.create(
        notification=announced,
        device=phone,
        language="kk",
        status="SENT",
        attempts=1,
        next_attempt_at=timezone.now(),
        sent_at=timezone.now(),
    )
    Delivery.objects.create(
        notification=announced,
        device=old,
        language="ur",
        status="FAILED",
        attempts=1,
        next_attempt_at=timezone.now(),
        error_code="UNREGISTERED",
        error_detail="Requested entity was not found.",
    )
    Delivery.objects.create(
        notification=announced,
        device=tablet,
        language="ru",
        status="DROPPED",
        attempts=2,
        next_attempt_at=timezone.now(),
        drop_reason="SUPERSEDED",
    )
    Delivery.objects.create(
        notification=moved,
        device=tablet,
        language="ru",
        next_attempt_at=in_a_week(-100),
        held_for_quiet_hours=True,
    )
    Delivery.objects.create(
        notification=moved,
        device=phone,
        language="kk",
        attempts=3,
        next_attempt_at=timezone.now(),
        error_code="UNAVAILABLE",
        error_detail="503",
    )
    for device, topic in [(phone, "city-1-kk"), (tablet, "city-1-ru"), (phone, "twinning-7-kk")]:
        DeviceTopic.objects.create(device=device, topic=topic)
    Notification.objects.filter(pk=posted.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=2)
    )
    return {"users": [alia.pk, omar.pk], "events": [event.pk], "announcements": [news.pk]}


def rows(model) -> list[dict]:
    return list(model.objects.order_by("pk").values())


def as_then(now: list[dict], then: list[dict]) -> list[dict]:
    """Rows read now, with only the columns the rows read then had: columns added by later
    migrations (a notification's recipient) are not the move's."""
    columns = set(then[0]) if then else set()
    return [{key: value for key, value in row.items() if key in columns} for row in now]


@pytest.mark.django_db(transaction=True)
def test_moving_the_outbox_to_the_notifications_app_keeps_every_row():
    # Given a database from before the move, holding an outbox with rows in every state,
    # and an operator allowed to view notifications
    migrate(BEFORE_NOTIFICATIONS_MOVED)
    try:
        then = models_applied()
        with pytest.raises(LookupError):
            then.get_app_config("notifications")
        written = write_the_outbox(then)
        before = {name: rows(then.get_model("events", name)) for name in MOVED}
        content_types = {
            row.model: row.pk
            for row in then.get_model("contenttypes", "ContentType").objects.filter(
                app_label="events", model__in=[name.lower() for name in MOVED]
            )
        }
        operator = then.get_model("accounts", "User").objects.create(
            email="ops@example.org", is_staff=True
        )
        operator.user_permissions.add(
            then.get_model("auth", "Permission").objects.get(
                codename="view_notification", content_type=content_types["notification"]
            )
        )
    finally:
        # When the new version is deployed
        migrate()
    ContentType.objects.clear_cache()

    # Then every row of the outbox reads back through the new models with its values
    assert all(before.values())
    for name, model in MOVED.items():
        assert as_then(rows(model), before[name]) == before[name], name
    # in the same tables, which is all the notifications app's models hold
    assert {model._meta.db_table for model in MOVED.values()} == TABLES
    assert set(connection.introspection.table_names()) >= TABLES
    # and still pointing at the same events, announcements and devices
    assert Notification.objects.filter(event__in=written["events"]).count() == 2
    assert Notification.objects.get(announcement__in=written["announcements"]).path == "TOPICS"
    assert Delivery.objects.filter(device__user__in=written["users"]).count() == 5
    assert Event.objects.get(pk=written["events"][0]).status == "ANNOUNCED"
    assert Announcement.objects.filter(pk__in=written["announcements"]).exists()
    assert set(DeviceTopic.objects.values_list("device__token", flat=True)) == {
        "alia-phone",
        "alia-tablet",
    }
    # and the content types are the notifications app's, the same rows, so the operator's
    # permission is still theirs
    for name, model in MOVED.items():
        assert ContentType.objects.get_for_model(model).pk == content_types[name.lower()]
    assert not ContentType.objects.filter(app_label="events", model__in=content_types).exists()
    operator = get_user_model().objects.get(email="ops@example.org")
    assert operator.has_perm("notifications.view_notification")
    assert Permission.objects.get(codename="view_notification").content_type.app_label == (
        "notifications"
    )
    # and a notification written now takes the next id of the same table
    written_now = Notification.objects.create(kind="EVENT_ANNOUNCED", dedupe_key="after")
    assert written_now.pk > max(row["id"] for row in before["Notification"])
    assert Device.objects.filter(deliveries__notification=written_now).count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_move_can_be_undone_and_done_again_without_losing_a_row():
    # Given the outbox written before the move, and the move applied
    migrate(BEFORE_NOTIFICATIONS_MOVED)
    try:
        write_the_outbox(models_applied())
        migrate()
        after = {name: rows(model) for name, model in MOVED.items()}

        # When the move is undone
        migrate(BEFORE_NOTIFICATIONS_MOVED)
        then = models_applied()

        # Then the events app has the models again, with every row, and their content types
        for name in MOVED:
            back = rows(then.get_model("events", name))
            assert back == as_then(after[name], back), name
        ContentTypeThen = then.get_model("contenttypes", "ContentType")
        assert set(
            ContentTypeThen.objects.filter(model__in=[name.lower() for name in MOVED]).values_list(
                "app_label", flat=True
            )
        ) == {"events"}
    finally:
        # and done again, every row is there as it was
        migrate()
    ContentType.objects.clear_cache()
    for name, model in MOVED.items():
        assert rows(model) == after[name], name
    assert ContentType.objects.get_for_model(Notification).app_label == "notifications"
