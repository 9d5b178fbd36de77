"""Push notifications end to end through the real firebase-admin and the fake FCM server:
triggers and audiences, preferences, quiet hours, languages, FCM's errors, and recovery."""

import datetime
import json

import pytest
from django.core.management import call_command
from django.utils import timezone
from prometheus_client import REGISTRY

from accounts.models import Device
from events import services
from events.models import Event, Rsvp
from notifications import dispatch
from notifications.models import Delivery, Notification
from tests.notifications.helpers import quiet_now, tokens_pushed

Kind = Notification.Kind
Status = Event.Status


# --- Triggers and audiences ------------------------------------------------------------------


def test_announcing_pushes_the_followers_of_both_cities_and_the_twinning(world, push, fake_fcm):
    world.person("host-city", follows=[world.aktau])
    world.person("partner-city", follows=[world.karachi])
    world.person("the-pair", follows=[world.pair])
    world.person("both", follows=[world.aktau, world.pair])
    world.person("elsewhere", follows=[world.elista])
    world.person("muted", follows=[world.aktau], muted_categories=["CULTURAL"])
    event = world.draft(category="CULTURAL")

    push(services.announce_event, world.publisher, event)

    assert tokens_pushed(fake_fcm) == ["both", "host-city", "partner-city", "the-pair"]
    message = fake_fcm.message_to("host-city")
    assert message["data"] == {
        "kind": "EVENT_ANNOUNCED",
        "notificationId": str(Notification.objects.get().pk),
        "eventId": message["data"]["eventId"],
    }
    assert all(isinstance(value, str) for value in message["data"].values())


def test_drafts_never_push_and_announcing_twice_pushes_once(world, push, fake_fcm):
    world.person("fan", follows=[world.aktau])
    event = world.draft()

    push(services.update_event, world.publisher, event, {"venue_name": "Pier"})
    assert fake_fcm.messages == []
    push(services.announce_event, world.publisher, event)
    push(services.announce_event, world.publisher, event)

    assert tokens_pushed(fake_fcm) == ["fan"]
    assert Notification.objects.count() == 1


def test_changes_reach_those_with_an_rsvp_and_followers(world, push, fake_fcm, user_factory):
    world.person("fan", follows=[world.aktau])
    goer = world.person("goer")
    muted_goer = world.person("muted-goer", muted_categories=["CULTURAL"])
    world.person("stranger")
    event = world.draft(status=Status.ANNOUNCED, category="CULTURAL")
    Rsvp.objects.create(user=goer, event=event, status=Rsvp.Status.GOING)
    Rsvp.objects.create(user=muted_goer, event=event, status=Rsvp.Status.INTERESTED)
    later = event.starts_at + datetime.timedelta(days=1)

    push(services.update_event, world.publisher, event, {"summary_en": "Bring a friend"})
    assert fake_fcm.messages == []  # not a change of time or place
    push(services.update_event, world.publisher, event, {"venue_name": "Old port hall"})
    changed = tokens_pushed(fake_fcm)
    fake_fcm.reset()
    push(
        services.postpone_event,
        world.publisher,
        event,
        later,
        later + datetime.timedelta(hours=2),
    )
    postponed = tokens_pushed(fake_fcm)
    fake_fcm.reset()
    push(services.cancel_event, world.publisher, event, "Storm warning")

    expected = ["fan", "goer", "muted-goer"]
    assert changed == postponed == tokens_pushed(fake_fcm) == expected
    cancelled = fake_fcm.message_to("goer")
    assert cancelled["notification"]["title"] == "Event cancelled: Caspian jazz night"
    assert cancelled["notification"]["body"].startswith("Storm warning · ")
    assert [n.kind for n in Notification.objects.order_by("pk")] == [
        Kind.EVENT_CHANGED,
        Kind.EVENT_POSTPONED,
        Kind.EVENT_CANCELLED,
    ]


def test_an_announcement_reaches_followers_of_its_city_or_twinning(world, push, fake_fcm):
    world.person("city-fan", follows=[world.aktau])
    world.person("pair-fan", follows=[world.pair])
    world.person("partner-fan", follows=[world.karachi])

    push(
        services.create_announcement,
        world.publisher,
        world.office,
        {
            "title_en": "Ferry timetable",
            "body_en": "Crossings every Friday.",
            "twinning": world.pair,
        },
    )

    assert tokens_pushed(fake_fcm) == ["city-fan", "pair-fan"]
    message = fake_fcm.message_to("city-fan")
    assert message["notification"] == {
        "title": "News · Aktau: Ferry timetable",
        "body": "Crossings every Friday.",
    }
    assert message["data"]["kind"] == "ANNOUNCEMENT_POSTED"


def test_a_reminder_goes_to_those_going_once(world, push, fake_fcm, settings):
    settings.PUSH_REMINDER_MINUTES = 60
    soon = timezone.now() + datetime.timedelta(minutes=30)
    event = world.draft(
        status=Status.ANNOUNCED, starts_at=soon, ends_at=soon + datetime.timedelta(hours=1)
    )
    going = world.person("going", follows=[world.aktau])
    interested = world.person("interested")
    Rsvp.objects.create(user=going, event=event, status=Rsvp.Status.GOING)
    Rsvp.objects.create(user=interested, event=event, status=Rsvp.Status.INTERESTED)
    world.draft(status=Status.ANNOUNCED)  # in three days: not yet

    assert push(dispatch.create_reminders) == 1
    assert push(dispatch.create_reminders) == 0

    assert tokens_pushed(fake_fcm) == ["going"]
    assert fake_fcm.message_to("going")["notification"]["title"].startswith("Starting soon: ")


# --- Languages ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "language", "title", "city"),
    [
        ("en-GB", "ru", "New event: Caspian jazz night", "Aktau"),
        ("ru-KZ", "en", "Новое событие: Каспийский джаз", "Актау"),
        ("kk", "en", "Жаңа іс-шара: Каспий джаз кеші", "Ақтау"),
        ("ur-PK", "en", "نئی تقریب: کیسپین جاز کی شام", "اکتاؤ"),
        ("fr-FR", "kk", "Жаңа іс-шара: Каспий джаз кеші", "Ақтау"),
        ("", "ur", "نئی تقریب: کیسپین جاز کی شام", "اکتاؤ"),
    ],
)
def test_each_push_is_in_the_device_language_then_the_users(
    world, push, fake_fcm, locale, language, title, city
):
    world.person("phone", locale=locale, language=language, follows=[world.aktau])
    start = datetime.datetime(2031, 5, 4, 14, 0, tzinfo=datetime.UTC)
    event = world.draft(starts_at=start, ends_at=start + datetime.timedelta(hours=2))

    push(services.announce_event, world.publisher, event)

    notification = fake_fcm.message_to("phone")["notification"]
    assert notification["title"] == title
    # 14:00 UTC is 19:00 in Aktau (UTC+05:00), the venue's clock.
    assert notification["body"] == f"04.05.2031 19:00 (UTC+05:00) · Central Concert Hall, {city}"


def test_payloads_stay_within_fcms_size_limit(world, push, fake_fcm):
    world.person("phone", locale="ur", follows=[world.aktau])
    event = world.draft(title_ur="ک" * 200, venue_name="ہال " * 50)

    push(services.announce_event, world.publisher, event)

    message = fake_fcm.message_to("phone")
    payload = json.dumps(
        {"notification": message["notification"], "data": message["data"]}, ensure_ascii=False
    ).encode()
    assert len(payload) < 4096
    assert message["notification"]["title"].endswith("…")


# --- Quiet hours ----------------------------------------------------------------------------------


def test_quiet_hours_hold_a_push_until_they_end(world, push, fake_fcm):
    world.person("sleeper", follows=[world.aktau], **quiet_now())
    world.person("awake", follows=[world.aktau])

    push(services.announce_event, world.publisher, world.draft())

    assert tokens_pushed(fake_fcm) == ["awake"]
    held = Delivery.objects.get(device__token="sleeper")
    assert held.status == Delivery.Status.PENDING and held.held_for_quiet_hours
    minutes = (held.next_attempt_at - timezone.now()).total_seconds() / 60
    assert 115 < minutes <= 120
    # When they end, the sweep sends it.
    Delivery.objects.filter(pk=held.pk).update(next_attempt_at=timezone.now())
    push(dispatch.sweep)
    assert tokens_pushed(fake_fcm) == ["awake", "sleeper"]


def test_cancelling_an_event_within_24_hours_breaks_through_quiet_hours(world, push, fake_fcm):
    sleeper = world.person("sleeper", **quiet_now())
    soon = timezone.now() + datetime.timedelta(hours=5)
    event = world.draft(
        status=Status.ANNOUNCED, starts_at=soon, ends_at=soon + datetime.timedelta(hours=1)
    )
    Rsvp.objects.create(user=sleeper, event=event, status=Rsvp.Status.GOING)

    push(services.cancel_event, world.publisher, event, "")

    assert tokens_pushed(fake_fcm) == ["sleeper"]
    message = fake_fcm.message_to("sleeper")
    assert message["android"]["priority"] == "high"
    assert Notification.objects.get().urgent


# --- FCM's errors ---------------------------------------------------------------------------------


def announce_to(world, push, *tokens):
    for token in tokens:
        world.person(token, follows=[world.aktau])
    push(services.announce_event, world.publisher, world.draft())
    return Notification.objects.get()


@pytest.mark.parametrize("error", ["UNREGISTERED", "SENDER_ID_MISMATCH"])
def test_a_token_fcm_no_longer_knows_is_deactivated(world, push, fake_fcm, error):
    fake_fcm.fail("gone", error)

    announce_to(world, push, "gone", "fine")

    assert tokens_pushed(fake_fcm) == ["fine"]
    gone = Delivery.objects.get(device__token="gone")
    assert (gone.status, gone.error_code) == (Delivery.Status.FAILED, error)
    device = Device.objects.get(token="gone")
    assert (device.active, device.deactivated_reason) == (False, error)


def test_each_message_is_counted_by_its_outcome(world, push, fake_fcm):
    def counted(outcome):
        return REGISTRY.get_sample_value("twinning_push_messages_total", {"outcome": outcome}) or 0

    before = {outcome: counted(outcome) for outcome in ("SENT", "UNREGISTERED", "UNAVAILABLE")}
    fake_fcm.fail("gone", "UNREGISTERED")
    fake_fcm.fail("busy", "UNAVAILABLE", times=1)

    announce_to(world, push, "gone", "busy", "fine", "also-fine")

    assert {outcome: counted(outcome) - before[outcome] for outcome in before} == {
        "SENT": 2,
        "UNREGISTERED": 1,
        "UNAVAILABLE": 1,
    }


def test_an_invalid_argument_fails_the_delivery_and_keeps_the_token(world, push, fake_fcm):
    fake_fcm.fail("odd", "INVALID_ARGUMENT")

    notification = announce_to(world, push, "odd", "fine")

    odd = Delivery.objects.get(device__token="odd")
    assert (odd.status, odd.error_code) == (Delivery.Status.FAILED, "INVALID_ARGUMENT")
    assert Device.objects.get(token="odd").active
    notification.refresh_from_db()
    assert notification.state == Notification.State.DONE


def test_quota_exceeded_waits_at_least_retry_after_for_everyone_pending(
    world, push, fake_fcm, settings
):
    fake_fcm.fail("first", "QUOTA_EXCEEDED", times=1, retry_after=120)

    notification = announce_to(world, push, "first", "second")

    waiting = Delivery.objects.get(device__token="first")
    assert waiting.status == Delivery.Status.PENDING
    assert waiting.error_code == "QUOTA_EXCEEDED"
    assert (waiting.next_attempt_at - timezone.now()).total_seconds() >= 119
    # After the wait, the retry goes through and nobody is pushed twice.
    Delivery.objects.filter(notification=notification).update(next_attempt_at=timezone.now())
    push(dispatch.send_due, notification.pk)
    assert tokens_pushed(fake_fcm) == ["first", "second"]
    assert fake_fcm.attempts["second"] == 1


@pytest.mark.parametrize("error", ["UNAVAILABLE", "INTERNAL"])
def test_server_errors_retry_with_backoff_then_fail_with_the_reason(
    world, push, fake_fcm, settings, error
):
    settings.PUSH_MAX_ATTEMPTS = 3
    settings.PUSH_RETRY_BASE_SECONDS = 10
    fake_fcm.fail("flaky", error)

    # Each delay is bounded by when its attempt started and when it ended.
    started = timezone.now()
    notification = announce_to(world, push, "flaky", "fine")
    delays = []
    for _ in range(settings.PUSH_MAX_ATTEMPTS - 1):
        ended = timezone.now()
        flaky = Delivery.objects.get(device__token="flaky")
        assert flaky.status == Delivery.Status.PENDING
        delays.append(
            (
                (flaky.next_attempt_at - ended).total_seconds(),
                (flaky.next_attempt_at - started).total_seconds(),
            )
        )
        Delivery.objects.filter(pk=flaky.pk).update(next_attempt_at=timezone.now())
        started = timezone.now()
        push(dispatch.send_due, notification.pk)

    flaky = Delivery.objects.get(device__token="flaky")
    assert (flaky.status, flaky.error_code, flaky.attempts) == (Delivery.Status.FAILED, error, 3)
    assert fake_fcm.attempts["flaky"] == 3
    # 10 s then 20 s, each ±50 %.
    (earliest, latest), (second_earliest, second_latest) = delays
    assert latest >= 5 and earliest <= 15
    assert second_latest >= 10 and second_earliest <= 30
    assert tokens_pushed(fake_fcm) == ["fine"]
    notification.refresh_from_db()
    assert notification.state == Notification.State.DONE


def test_a_retry_that_succeeds_is_sent_once(world, push, fake_fcm):
    fake_fcm.fail("flaky", "UNAVAILABLE", times=1)

    notification = announce_to(world, push, "flaky")
    Delivery.objects.update(next_attempt_at=timezone.now())
    push(dispatch.send_due, notification.pk)
    push(dispatch.sweep)

    assert tokens_pushed(fake_fcm) == ["flaky"]
    assert Delivery.objects.get().status == Delivery.Status.SENT


# --- Recovery ---------------------------------------------------------------------------------


def test_a_worker_killed_mid_fan_out_is_finished_by_the_sweep_without_duplicates(
    world, fcm_backend, fake_fcm, monkeypatch, django_capture_on_commit_callbacks
):
    for n in range(1200):
        world.person(f"device-{n:04}", follows=[world.aktau])
    event = world.draft()
    # The worker dies after its first batch of 500: nothing after it runs.
    real_send_due = dispatch.send_due
    monkeypatch.setattr(
        dispatch, "send_due", lambda nid, **kw: real_send_due(nid, max_batches=1, **kw)
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.announce_event(world.publisher, event)
    monkeypatch.setattr(dispatch, "send_due", real_send_due)
    assert len(fake_fcm.messages) == 500

    with django_capture_on_commit_callbacks(execute=True):
        counts = dispatch.sweep()

    assert counts["send"] == 1
    tokens = [message["token"] for message in fake_fcm.messages]
    assert len(tokens) == len(set(tokens)) == 1200
    assert Notification.objects.get().state == Notification.State.DONE


class WriterDied(Exception):
    """Stands for a worker process dying while it writes the deliveries."""


def test_a_worker_killed_while_writing_deliveries_is_replaced_after_its_lease(
    world, fcm_backend, fake_fcm, monkeypatch, settings, django_capture_on_commit_callbacks
):
    for n in range(1200):
        world.person(f"device-{n:04}", follows=[world.aktau])
    with django_capture_on_commit_callbacks(execute=False):
        services.announce_event(world.publisher, world.draft())
    notification = Notification.objects.get()
    monkeypatch.setattr(dispatch, "FAN_OUT_CHUNK", 500)
    real_chunks = dispatch._chunks

    def first_chunk_then_die(iterable, size):
        chunks = real_chunks(iterable, size)
        yield next(chunks)
        raise WriterDied

    monkeypatch.setattr(dispatch, "_chunks", first_chunk_then_die)
    with pytest.raises(WriterDied):
        dispatch.fan_out(notification.pk)
    monkeypatch.setattr(dispatch, "_chunks", real_chunks)
    # The first chunk is committed (and would be sent by the other senders meanwhile).
    assert Delivery.objects.count() == 500
    notification.refresh_from_db()
    assert notification.state == Notification.State.PENDING
    assert notification.path == Notification.Path.TOKENS

    # Within the writer's lease neither the sweep nor a second fan-out takes over.
    settings.PUSH_SWEEP_AFTER_SECONDS = 0
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch.sweep()["fan_out"] == 0
    dispatch.fan_out(notification.pk)
    assert Delivery.objects.count() == 500
    assert fake_fcm.messages == []

    # Once the lease has run out, the sweep starts the fan-out again: every device once.
    Notification.objects.filter(pk=notification.pk).update(
        fanned_out_at=timezone.now() - datetime.timedelta(seconds=settings.PUSH_LEASE_SECONDS + 1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch.sweep()["fan_out"] == 1
    tokens = [message["token"] for message in fake_fcm.messages]
    assert len(tokens) == len(set(tokens)) == 1200
    notification.refresh_from_db()
    assert notification.state == Notification.State.DONE
    assert notification.audience_size == 1200


def test_the_broker_down_at_commit_is_recovered_by_the_sweep(
    world, fcm_backend, fake_fcm, settings, publish_tasks_to, django_capture_on_commit_callbacks
):
    from backend.celery import app

    world.person("fan", follows=[world.aktau])
    publish_tasks_to("redis://127.0.0.1:9/0")  # nothing listens there
    with django_capture_on_commit_callbacks(execute=True):
        services.announce_event(world.publisher, world.draft())
    # The broker is back (tasks run in-process again): the sweep finds what was left.
    app.conf.task_always_eager = True
    notification = Notification.objects.get()
    assert notification.state == Notification.State.PENDING
    assert fake_fcm.messages == []

    settings.PUSH_SWEEP_AFTER_SECONDS = 0
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.sweep()

    assert tokens_pushed(fake_fcm) == ["fan"]
    notification.refresh_from_db()
    assert notification.state == Notification.State.DONE


# --- Large audiences: topics ----------------------------------------------------------------------


def test_a_large_audience_goes_to_topics_one_message_per_language(world, push, fake_fcm, settings):
    settings.PUSH_TOPIC_THRESHOLD = 2
    for n in range(3):
        world.person(f"fan-{n}", follows=[world.aktau])
    requests_before = fake_fcm.request_count

    push(services.announce_event, world.publisher, world.draft())

    conditions = sorted(m["condition"] for m in fake_fcm.messages)
    aktau, karachi, pair = world.aktau.pk, world.karachi.pk, world.pair.pk
    assert conditions == sorted(
        f"'city-{aktau}-{lang}' in topics || 'city-{karachi}-{lang}' in topics"
        f" || 'twinning-{pair}-{lang}' in topics"
        for lang in ("en", "ru", "kk", "ur")
    )
    assert fake_fcm.request_count - requests_before == 4
    notification = Notification.objects.get()
    assert (notification.path, notification.state) == ("TOPICS", "DONE")
    assert {result["outcome"] for result in notification.topic_results.values()} == {"SENT"}
    assert not Delivery.objects.exists()


# --- Operators ------------------------------------------------------------------------------------


def test_push_status_shows_progress_by_reason(world, push, fake_fcm, capsys):
    fake_fcm.fail("gone", "UNREGISTERED")
    world.person("sleeper", follows=[world.aktau], **quiet_now())
    notification = announce_to(world, push, "gone", "fine")

    call_command("push_status")

    out = capsys.readouterr().out
    assert f"#{notification.pk} EVENT_ANNOUNCED" in out
    assert "sent=1 due=0 held=1 retrying=0 failed=1 [UNREGISTERED 1]" in out


def test_the_admin_shows_each_notifications_progress(world, push, fake_fcm, client):
    from django.contrib.auth import get_user_model

    fake_fcm.fail("gone", "UNREGISTERED")
    announce_to(world, push, "gone", "fine")
    client.force_login(get_user_model().objects.create_superuser("ops@example.org", "x" * 12))

    page = client.get("/admin/notifications/notification/")

    assert page.status_code == 200
    assert "sent 1, due 0, held 0, retrying 0, failed 1 (UNREGISTERED: 1)" in page.content.decode()


def test_the_admins_list_of_notifications_costs_the_same_queries_for_any_number(
    world, push, fake_fcm, client
):
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    world.person("fan", follows=[world.aktau])
    client.force_login(get_user_model().objects.create_superuser("ops@example.org", "x" * 12))

    def queries_for_the_list() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/admin/notifications/notification/").status_code == 200
        return len(queries)

    push(services.announce_event, world.publisher, world.draft())
    one = queries_for_the_list()
    for _ in range(5):
        push(services.announce_event, world.publisher, world.draft())

    assert queries_for_the_list() == one


def test_a_whole_batch_of_sender_id_mismatches_keeps_the_devices(world, push, fake_fcm):
    tokens = [f"phone-{n:02}" for n in range(25)]
    for token in tokens:
        fake_fcm.fail(token, "SENDER_ID_MISMATCH")

    announce_to(world, push, *tokens)

    assert Device.objects.filter(active=True).count() == 25
    assert set(Delivery.objects.values_list("status", "error_code")) == {
        (Delivery.Status.FAILED, "SENDER_ID_MISMATCH")
    }
