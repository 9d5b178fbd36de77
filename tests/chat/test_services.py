"""The chat's services called directly, as the API and the admin call them: what each one
writes and broadcasts on commit, and what it refuses, with which code and nothing written.
The API's tests (tests/schema/chat/) go through every case of its arguments; these follow
each service's main path and its refusals."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from chat import payload, services
from chat.models import ChatMessage, ChatMute, ChatReaction, ChatReport, ChatRoom
from chat.payload import MessageChange
from chat.services import ReportAction
from cities.models import OfficeMembership
from core import channel_groups, ratelimit
from events.models import Event
from tests.factories import ChatMessageFactory, MembershipFactory

Status = ChatReport.Status


def minutes(n: float) -> datetime.timedelta:
    return datetime.timedelta(minutes=n)


def refusal(error: ValidationError) -> tuple[str | None, str]:
    """The field (None for the whole request) and code of a service's refusal."""
    if hasattr(error, "error_dict"):
        [(field, [only])] = error.error_dict.items()
        return field, only.code
    return None, error.code


@pytest.fixture
def room(event_factory):
    """An announced event that started half an hour ago and ends in an hour: its room is open."""
    now = timezone.now()
    return event_factory(starts_at=now - minutes(30), ends_at=now + minutes(60))


@pytest.fixture
def ada(user_factory):
    return user_factory(display_name="Ada")


@pytest.fixture
def bob(user_factory):
    return user_factory(display_name="Bob")


@pytest.fixture
def moderator(user_factory, room):
    """A MODERATOR of the office that organises ``room``."""
    user = user_factory(display_name="Mod")
    MembershipFactory(user=user, office=room.office, role=OfficeMembership.Role.MODERATOR)
    return user


class Broadcasts:
    """The chat's broadcasts sent once a transaction committed, decoded: (group, change, seq)
    of each. ``committed()`` is a block at whose end what waits for the commit runs."""

    def __init__(self, capture_on_commit):
        self.sent = []
        self._capture_on_commit = capture_on_commit

    def committed(self):
        return self._capture_on_commit(execute=True)

    async def broadcast(self, group, encoded):
        heard = payload.decode(encoded)
        self.sent.append((group, heard.change, heard.message.seq))


@pytest.fixture
def broadcasts(monkeypatch, django_capture_on_commit_callbacks):
    recorded = Broadcasts(django_capture_on_commit_callbacks)
    monkeypatch.setattr(channel_groups, "broadcast", recorded.broadcast)
    return recorded


@pytest.fixture
def hello(room, ada):
    return ChatMessageFactory(event=room, author=ada, body="Hello")


# --- Rooms -----------------------------------------------------------------------------------


def test_a_room_is_open_from_before_the_start_until_after_the_end(event_factory, settings):
    settings.CHAT_OPENS_BEFORE_MINUTES, settings.CHAT_CLOSES_AFTER_MINUTES = 60, 120
    start = timezone.now() + minutes(30)
    event = event_factory(starts_at=start, ends_at=start + minutes(90))

    assert services.room_window(event) == (start - minutes(60), start + minutes(210))
    assert services.is_open(event)
    assert not services.is_open(event, now=start + minutes(210))
    assert not services.is_open(event, now=start - minutes(61))


@pytest.mark.parametrize(
    ("status", "has_room", "is_open"),
    [
        (Event.Status.ANNOUNCED, True, True),
        (Event.Status.POSTPONED, True, True),
        (Event.Status.CANCELLED, True, False),
        (Event.Status.DRAFT, False, False),
    ],
)
def test_drafts_have_no_room_and_a_cancelled_events_room_is_closed(
    event_factory, status, has_room, is_open
):
    now = timezone.now()
    event = event_factory(status=status, starts_at=now, ends_at=now + minutes(60))

    assert (services.has_room(event), services.is_open(event)) == (has_room, is_open)


# --- Sending ---------------------------------------------------------------------------------


def test_sending_numbers_the_message_in_its_room_and_broadcasts_it_on_commit(
    room, ada, bob, broadcasts
):
    with broadcasts.committed():
        first = services.send_message(ada, room, "  Hello\n", "ada-1")
        reply = services.send_message(bob, room, "Hi", "bob-1", reply_to=first)

    assert [(m.seq, m.author, m.body, m.client_id) for m in ChatMessage.objects.all()] == [
        (1, ada, "Hello", "ada-1"),
        (2, bob, "Hi", "bob-1"),
    ]
    assert ChatMessage.objects.get(pk=reply.pk).reply_to == first
    assert ChatRoom.objects.get(event=room).last_seq == 2
    group = f"event.{room.pk}.chat"
    assert broadcasts.sent == [(group, MessageChange.CREATED, 1), (group, MessageChange.CREATED, 2)]


def test_sending_again_with_the_same_client_id_returns_the_stored_message(
    room, ada, broadcasts, settings
):
    settings.CHAT_RATE = "1/m"
    with broadcasts.committed():
        sent = services.send_message(ada, room, "Hello", "ada-1")
        again = services.send_message(ada, room, "Hello again", "ada-1")

    assert again == sent
    assert ChatMessage.objects.get().body == "Hello"
    assert len(broadcasts.sent) == 1


@pytest.mark.parametrize(
    ("body", "client_id", "refused"),
    [
        ("\u200b \u2060", "c-1", ("body", "TOO_SHORT")),
        ("x" * (services.MAX_BODY_LENGTH + 1), "c-1", ("body", "TOO_LONG")),
        ("Hello", " ", ("client_id", "REQUIRED")),
        ("Hello", "c" * (services.MAX_CLIENT_ID_LENGTH + 1), ("client_id", "TOO_LONG")),
    ],
)
def test_a_message_that_shows_nothing_or_too_much_is_refused(
    room, ada, broadcasts, body, client_id, refused
):
    with broadcasts.committed(), pytest.raises(ValidationError) as error:
        services.send_message(ada, room, body, client_id)

    assert refusal(error.value) == refused
    assert not ChatMessage.objects.exists()
    assert broadcasts.sent == []


@pytest.mark.parametrize(
    ("status", "starts_in", "code"),
    [
        (Event.Status.DRAFT, 0, "NO_CHAT_ROOM"),
        (Event.Status.CANCELLED, 0, "CHAT_CLOSED"),
        (Event.Status.ANNOUNCED, 24 * 60, "CHAT_CLOSED"),
        (Event.Status.ANNOUNCED, -24 * 60, "CHAT_CLOSED"),
    ],
)
def test_sending_outside_an_open_room_is_refused(event_factory, ada, status, starts_in, code):
    start = timezone.now() + minutes(starts_in)
    event = event_factory(status=status, starts_at=start, ends_at=start + minutes(60))

    with pytest.raises(ValidationError) as error:
        services.send_message(ada, event, "Hello", "c-1")

    assert refusal(error.value) == (None, code)
    assert not ChatMessage.objects.exists()


def test_the_muted_the_signed_out_and_replies_to_other_rooms_are_refused(
    room, ada, bob, event_factory
):
    ChatMute.objects.create(event=room, user=bob, until=timezone.now() + minutes(5))
    elsewhere = ChatMessageFactory(event=event_factory())

    with pytest.raises(ValidationError) as muted:
        services.send_message(bob, room, "Hello", "bob-1")
    with pytest.raises(ValidationError) as astray:
        services.send_message(ada, room, "Hello", "ada-1", reply_to=elsewhere)
    with pytest.raises(PermissionDenied):
        services.send_message(AnonymousUser(), room, "Hello", "anon-1")

    assert refusal(muted.value) == (None, "MUTED")
    assert refusal(astray.value) == ("reply_to", "NOT_FOUND")
    assert list(ChatMessage.objects.all()) == [elsewhere]


def test_sending_faster_than_the_rate_is_refused_until_it_passes(room, ada, settings):
    settings.CHAT_RATE = "2/m"
    services.send_message(ada, room, "one", "ada-1")
    services.send_message(ada, room, "two", "ada-2")

    with pytest.raises(ratelimit.RateLimited) as limited:
        services.send_message(ada, room, "three", "ada-3")

    assert 0 < limited.value.retry_after <= 60
    assert ChatMessage.objects.count() == 2


# --- Editing and deleting ----------------------------------------------------------------------


def test_its_author_edits_a_message_and_the_edit_is_broadcast(hello, ada, broadcasts):
    with broadcasts.committed():
        edited = services.edit_message(ada, hello, " Hello, all ")
        same = services.edit_message(ada, hello, "Hello, all")

    stored = ChatMessage.objects.get(pk=hello.pk)
    assert (stored.body, stored.revision, stored.edited_at is not None) == ("Hello, all", 1, True)
    assert edited.revision == same.revision == 1
    assert broadcasts.sent == [(f"event.{hello.event_id}.chat", MessageChange.EDITED, hello.seq)]


def test_editing_anothers_or_a_deleted_message_or_in_a_closed_room_is_refused(
    hello, ada, bob, room
):
    with pytest.raises(PermissionDenied):
        services.edit_message(bob, hello, "Mine now")
    Event.objects.filter(pk=room.pk).update(status=Event.Status.CANCELLED)
    with pytest.raises(ValidationError) as closed:
        services.edit_message(ada, hello, "Too late")
    services.delete_message(ada, hello)
    with pytest.raises(ValidationError) as deleted:
        services.edit_message(ada, hello, "Back")

    assert refusal(closed.value) == (None, "CHAT_CLOSED")
    assert refusal(deleted.value) == (None, "MESSAGE_DELETED")
    assert ChatMessage.objects.get(pk=hello.pk).edited_at is None


def test_deleting_leaves_a_tombstone_and_settles_the_reports_of_the_message(
    hello, ada, bob, moderator, broadcasts
):
    services.toggle_reaction(bob, hello, "🎉")
    report = services.report_message(bob, hello, "Rude")

    with broadcasts.committed():
        services.delete_message(moderator, hello)
        services.delete_message(ada, hello)

    stored = ChatMessage.objects.get(pk=hello.pk)
    assert (stored.body, stored.reactions, stored.deleted_by) == ("", {}, moderator)
    assert not ChatReaction.objects.exists()
    report.refresh_from_db()
    assert (report.status, report.resolved_by) == (Status.MESSAGE_DELETED, moderator)
    assert broadcasts.sent == [(f"event.{hello.event_id}.chat", MessageChange.DELETED, 1)]


def test_only_the_author_and_the_events_moderators_delete_a_message(hello, bob, user_factory):
    publisher_elsewhere = user_factory()
    MembershipFactory(user=publisher_elsewhere, role=OfficeMembership.Role.PUBLISHER)

    for someone in (bob, publisher_elsewhere, AnonymousUser()):
        with pytest.raises(PermissionDenied):
            services.delete_message(someone, hello)

    assert ChatMessage.objects.get(pk=hello.pk).deleted_at is None


# --- Reactions -------------------------------------------------------------------------------


def test_a_reaction_toggles_on_and_off_and_each_change_is_broadcast(hello, ada, bob, broadcasts):
    with broadcasts.committed():
        services.toggle_reaction(bob, hello, "🎉")
        services.toggle_reaction(ada, hello, "🎉")
        # A keyboard that drops the variation selector still reacts with ❤️.
        services.toggle_reaction(ada, hello, "❤")
        toggled = services.toggle_reaction(bob, hello, "🎉")

    assert toggled.reactions == {"🎉": 1, "❤️": 1}
    assert ChatMessage.objects.get(pk=hello.pk).revision == 4
    assert sorted(ChatReaction.objects.values_list("user__display_name", "emoji")) == [
        ("Ada", "❤️"),
        ("Ada", "🎉"),
    ]
    assert [change for _, change, _ in broadcasts.sent] == [MessageChange.REACTIONS] * 4


def test_reacting_with_an_emoji_not_offered_or_to_a_deleted_message_is_refused(hello, ada):
    with pytest.raises(ValidationError) as invalid:
        services.toggle_reaction(ada, hello, "🦄")
    services.delete_message(ada, hello)
    with pytest.raises(ValidationError) as deleted:
        services.toggle_reaction(ada, hello, "🎉")

    assert refusal(invalid.value) == ("emoji", "INVALID_REACTION")
    assert refusal(deleted.value) == (None, "MESSAGE_DELETED")
    assert not ChatReaction.objects.exists()


# --- Mutes -----------------------------------------------------------------------------------


def test_a_moderator_mutes_someone_until_a_time_and_lifts_it(room, bob, moderator):
    first = services.mute_user(moderator, room, bob, 10, " Shouting ")
    longer = services.mute_user(moderator, room, bob, 60)

    mute = ChatMute.objects.get()
    assert mute.pk == first.pk == longer.pk
    assert (mute.user, mute.muted_by, mute.reason) == (bob, moderator, "")
    assert minutes(59) < mute.until - timezone.now() <= minutes(60)
    with pytest.raises(ValidationError):
        services.send_message(bob, room, "Hello", "bob-1")

    services.unmute_user(moderator, room, bob)
    services.unmute_user(moderator, room, bob)

    assert not ChatMute.objects.exists()
    assert services.send_message(bob, room, "Hello", "bob-1").seq == 1


def test_muting_is_refused_to_others_and_out_of_bounds(room, event_factory, ada, bob, moderator):
    draft = event_factory(status=Event.Status.DRAFT, office=room.office, announced_at=None)
    limit = ChatMute._meta.get_field("reason").max_length

    with pytest.raises(PermissionDenied):
        services.mute_user(ada, room, bob, 10)
    with pytest.raises(PermissionDenied):
        services.unmute_user(ada, room, bob)
    refusals = []
    for event, minutes_, reason in (
        (draft, 10, ""),
        (room, 0, ""),
        (room, 10, "x" * (limit + 1)),
    ):
        with pytest.raises(ValidationError) as error:
            services.mute_user(moderator, event, bob, minutes_, reason)
        refusals.append(refusal(error.value))

    assert refusals == [(None, "NO_CHAT_ROOM"), ("minutes", "OUT_OF_RANGE"), ("reason", "TOO_LONG")]
    assert not ChatMute.objects.exists()


def test_a_mute_that_would_end_beyond_the_times_held_is_refused(room, bob, moderator, settings):
    settings.CHAT_MAX_MUTE_MINUTES = 200 * 365 * 24 * 60

    with pytest.raises(ValidationError) as error:
        services.mute_user(moderator, room, bob, settings.CHAT_MAX_MUTE_MINUTES)

    assert refusal(error.value) == ("minutes", "DATE_OUT_OF_RANGE")


# --- Reports ---------------------------------------------------------------------------------


def test_a_user_reports_a_message_once(hello, bob):
    report = services.report_message(bob, hello, " Rude ")
    again = services.report_message(bob, hello, "Still rude")

    assert again == report
    stored = ChatReport.objects.get()
    assert (stored.event_id, stored.reporter, stored.reason, stored.status) == (
        hello.event_id,
        bob,
        "Rude",
        Status.OPEN,
    )


def test_a_report_without_reason_or_of_a_deleted_message_is_refused(hello, ada, bob):
    limit = ChatReport._meta.get_field("reason").max_length
    refusals = []
    for reason in ("\u200b", "x" * (limit + 1)):
        with pytest.raises(ValidationError) as error:
            services.report_message(bob, hello, reason)
        refusals.append(refusal(error.value))
    deleted_message = services.delete_message(ada, hello)
    with pytest.raises(ValidationError) as deleted:
        services.report_message(bob, deleted_message, "Rude")
    with pytest.raises(PermissionDenied):
        services.report_message(AnonymousUser(), hello, "Rude")

    assert refusals == [("reason", "REQUIRED"), ("reason", "TOO_LONG")]
    assert refusal(deleted.value) == (None, "MESSAGE_DELETED")
    assert not ChatReport.objects.exists()


def test_a_moderator_dismisses_a_report_or_deletes_its_message(
    room, hello, ada, bob, moderator, user_factory
):
    rude = ChatMessageFactory(event=room, author=ada, body="Rude")
    dismissed = services.report_message(bob, hello, "Not nice")
    deleting = services.report_message(bob, rude, "Rude")
    also = services.report_message(user_factory(), rude, "Very rude")

    services.resolve_report(moderator, dismissed, ReportAction.DISMISS)
    services.resolve_report(moderator, deleting, ReportAction.DELETE_MESSAGE)
    # A settled report stays as it was.
    settled = services.resolve_report(moderator, dismissed, ReportAction.DELETE_MESSAGE)

    statuses = dict(ChatReport.objects.values_list("pk", "status"))
    assert statuses == {
        dismissed.pk: Status.DISMISSED,
        deleting.pk: Status.MESSAGE_DELETED,
        also.pk: Status.MESSAGE_DELETED,
    }
    assert settled.status == Status.DISMISSED
    assert ChatMessage.objects.get(pk=hello.pk).deleted_at is None
    assert ChatMessage.objects.get(pk=rude.pk).deleted_by == moderator


def test_only_the_events_moderators_settle_reports(hello, ada, bob):
    report = services.report_message(bob, hello, "Rude")

    for someone in (ada, bob):
        with pytest.raises(PermissionDenied):
            services.resolve_report(someone, report, ReportAction.DISMISS)

    assert ChatReport.objects.get().status == Status.OPEN
