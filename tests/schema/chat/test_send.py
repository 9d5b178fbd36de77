"""chatMessageSend over HTTP: what is stored, what is refused and with which code, retries by
clientId (also racing on PostgreSQL), the rate limit, and when a room is open."""

import http.client
import json
import threading
import urllib.request

import pytest
from django.db import connection
from django.utils import timezone

from chat import realtime
from chat.models import ChatMessage, ChatMute, ChatRoom
from events import services as event_services
from events.models import Event
from tests.conftest import bearer_for
from tests.factories import MembershipFactory

from .conftest import SEND, Role, gid, minutes, send_as


@pytest.fixture
def broadcasts(monkeypatch):
    """The chat broadcasts queued by the services (kind, seq and body of each)."""
    sent = []

    def record(group, payload):
        sent.append((group, payload["kind"], payload["message"]["seq"], payload["message"]["body"]))

    monkeypatch.setattr(realtime, "broadcast_on_commit", record)
    return sent


def test_a_message_is_stored_trimmed_numbered_and_broadcast(gql, room, ada, broadcasts):
    sent = send_as(gql, ada, room, "  Hello, Aktau!\n", client_id="c-1")

    assert sent["errors"] == []
    assert sent["message"] == {
        "id": gid(ChatMessage.objects.get()),
        "seq": 1,
        "body": "Hello, Aktau!",
        "author": {"id": gid(ada), "displayName": "Ada"},
        "replyTo": None,
        "isDeleted": False,
        "clientId": "c-1",
        "cursor": sent["message"]["cursor"],
    }
    assert broadcasts == [(f"event.{room.pk}.chat", "CREATED", 1, "Hello, Aktau!")]
    assert ChatRoom.objects.get(pk=room.pk).last_seq == 1


def test_messages_are_numbered_per_room(gql, room, other_room, ada, bob):
    seqs = [
        send_as(gql, ada, room, "one", "a1")["message"]["seq"],
        send_as(gql, bob, other_room, "elsewhere", "b1")["message"]["seq"],
        send_as(gql, bob, room, "two", "b2")["message"]["seq"],
        send_as(gql, ada, room, "three", "a2")["message"]["seq"],
    ]

    assert seqs == [1, 1, 2, 3]


def test_the_author_is_shown_by_display_name_never_by_email(gql, room, user_factory):
    nameless = user_factory(email="secret@example.org", display_name="")

    sent = send_as(gql, nameless, room, "Hi")

    assert sent["message"]["author"]["displayName"] == f"User {nameless.pk}"
    assert "secret" not in json.dumps(sent)


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        ("", "TOO_SHORT", "Write something."),
        ("   \n\t ", "TOO_SHORT", "Write something."),
        ("x" * 1001, "TOO_LONG", "At most 1,000 characters (1,001 given)."),
    ],
    ids=["empty", "only spaces", "1001 characters"],
)
def test_a_body_must_have_1_to_1000_characters_after_trimming(
    gql, room, ada, broadcasts, body, code, message
):
    sent = send_as(gql, ada, room, body)

    assert sent == {
        "message": None,
        "errors": [{"field": "body", "code": code, "message": message}],
    }
    assert not ChatMessage.objects.exists()
    assert broadcasts == []


def test_a_body_of_exactly_1000_characters_after_trimming_is_accepted(gql, room, ada):
    sent = send_as(gql, ada, room, "  " + "я" * 1000 + "  ")

    assert sent["errors"] == []
    assert len(sent["message"]["body"]) == 1000


@pytest.mark.parametrize(
    ("client_id", "code"), [("", "REQUIRED"), ("  ", "REQUIRED"), ("x" * 65, "TOO_LONG")]
)
def test_a_client_id_is_required_and_short(gql, room, ada, client_id, code):
    sent = send_as(gql, ada, room, "Hi", client_id=client_id)

    assert [(error["field"], error["code"]) for error in sent["errors"]] == [("clientId", code)]
    assert not ChatMessage.objects.exists()


def test_a_retried_send_returns_the_stored_message_and_broadcasts_nothing_new(
    gql, room, ada, bob, broadcasts
):
    first = send_as(gql, ada, room, "Hello", client_id="retry-me")

    again = send_as(gql, ada, room, "Hello (edited by a confused client)", client_id="retry-me")

    assert again == first
    assert ChatMessage.objects.count() == 1
    assert len(broadcasts) == 1
    # The key is the author's own: someone else may use the same one.
    assert send_as(gql, bob, room, "Hello", client_id="retry-me")["message"]["seq"] == 2


def test_a_reply_names_a_message_of_the_same_chat(gql, room, other_room, ada, bob):
    question = send_as(gql, ada, room, "Who plays tonight?", "q")["message"]
    elsewhere = send_as(gql, ada, other_room, "Unrelated", "u")["message"]

    answer = send_as(gql, bob, room, "The Caspian quartet", "a", reply_to=question["id"])
    astray = send_as(gql, bob, room, "Hmm", "b", reply_to=elsewhere["id"])
    bogus = send_as(gql, bob, room, "Hmm", "c", reply_to="nonsense")

    assert answer["message"]["replyTo"] == {"seq": 1, "body": "Who plays tonight?"}
    assert astray["errors"] == [
        {"field": "replyTo", "code": "NOT_FOUND", "message": "Reply to a message of the same chat."}
    ]
    assert bogus["errors"] == [
        {
            "field": "replyTo",
            "code": "NOT_FOUND",
            "message": "'nonsense' is not the ID of a ChatMessage.",
        }
    ]


def test_signed_out_people_cannot_send(gql, room):
    result = gql(SEND, {"event": gid(room), "body": "Hi", "clientId": "c"})

    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert not ChatMessage.objects.exists()


# ---------------------------------------------------------------------------------------------
# Rate limit
# ---------------------------------------------------------------------------------------------
def test_sending_too_fast_is_rate_limited_with_the_seconds_to_wait(gql, room, ada, bob, settings):
    settings.CHAT_RATE = "3/m"
    for n in range(3):
        assert send_as(gql, ada, room, f"#{n}", f"c{n}")["errors"] == []

    result = gql(SEND, {"event": gid(room), "body": "#3", "clientId": "c3"}, user=ada)

    assert result["data"] == {"chatMessageSend": None}
    [error] = result["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert 1 <= error["extensions"]["retryAfter"] <= 60
    assert (
        error["message"]
        == f"Too many requests. Try again in {error['extensions']['retryAfter']} s."
    )
    assert ChatMessage.objects.count() == 3
    # The limit is per user and room: Bob, and Ada elsewhere, still send.
    assert send_as(gql, bob, room, "Me too", "b")["errors"] == []


def test_a_retry_of_a_stored_message_is_not_counted(gql, room, ada, settings):
    settings.CHAT_RATE = "2/m"
    send_as(gql, ada, room, "one", "c1")
    for _ in range(5):
        assert send_as(gql, ada, room, "one", "c1")["message"]["seq"] == 1

    assert send_as(gql, ada, room, "two", "c2")["message"]["seq"] == 2


def test_the_limit_is_per_room(gql, room, other_room, ada, settings):
    settings.CHAT_RATE = "1/m"
    send_as(gql, ada, room, "one", "c1")

    assert send_as(gql, ada, other_room, "one", "c1")["errors"] == []


# ---------------------------------------------------------------------------------------------
# When a room is open
# ---------------------------------------------------------------------------------------------
def closed(message):
    return [{"field": None, "code": "CHAT_CLOSED", "message": message}]


def utc(moment):
    return moment.replace(microsecond=0).isoformat()


def test_the_room_opens_an_hour_before_the_start(gql, event_factory, ada):
    now = timezone.now()
    soon = event_factory(starts_at=now + minutes(59), ends_at=now + minutes(120))
    later = event_factory(starts_at=now + minutes(61), ends_at=now + minutes(120))

    assert send_as(gql, ada, soon, "Early bird")["errors"] == []
    assert send_as(gql, ada, later, "Too early")["errors"] == closed(
        f"The chat opens at {utc(later.starts_at - minutes(60))}."
    )


def test_the_room_closes_two_hours_after_the_end(gql, event_factory, ada):
    now = timezone.now()
    lingering = event_factory(starts_at=now - minutes(300), ends_at=now - minutes(119))
    over = event_factory(starts_at=now - minutes(300), ends_at=now - minutes(121))

    assert send_as(gql, ada, lingering, "Still here")["errors"] == []
    assert send_as(gql, ada, over, "Anyone?")["errors"] == closed(
        f"The chat closed at {utc(over.ends_at + minutes(120))}."
    )
    assert ChatMessage.objects.filter(event=over).count() == 0


def test_the_window_follows_the_settings(gql, event_factory, ada, settings):
    settings.CHAT_OPENS_BEFORE_MINUTES = 10
    settings.CHAT_CLOSES_AFTER_MINUTES = 0
    now = timezone.now()
    upcoming = event_factory(starts_at=now + minutes(30), ends_at=now + minutes(90))
    just_ended = event_factory(starts_at=now - minutes(90), ends_at=now - minutes(1))

    assert send_as(gql, ada, upcoming, "Hi")["errors"][0]["code"] == "CHAT_CLOSED"
    assert send_as(gql, ada, just_ended, "Hi")["errors"][0]["code"] == "CHAT_CLOSED"


def test_a_cancelled_event_closes_its_room(gql, room, ada, user_factory):
    send_as(gql, ada, room, "See you there", "c1")
    publisher = user_factory()
    MembershipFactory(user=publisher, office=room.office, role=Role.PUBLISHER)
    event_services.cancel_event(publisher, room, "Storm warning")

    assert send_as(gql, ada, room, "Oh no", "c2")["errors"] == closed(
        "The event is cancelled; its chat is closed."
    )


def test_a_postponed_events_room_follows_its_new_dates(gql, room, ada, user_factory):
    publisher = user_factory()
    MembershipFactory(user=publisher, office=room.office, role=Role.PUBLISHER)
    now = timezone.now()
    event_services.postpone_event(publisher, room, now + minutes(600), now + minutes(700))

    assert send_as(gql, ada, room, "Next week then")["errors"][0]["code"] == "CHAT_CLOSED"


def test_a_draft_has_no_room(gql, event_factory, ada, user_factory):
    now = timezone.now()
    draft = event_factory(
        status=Event.Status.DRAFT,
        announced_at=None,
        starts_at=now - minutes(10),
        ends_at=now + minutes(60),
    )
    editor = user_factory()
    MembershipFactory(user=editor, office=draft.office, role=Role.EDITOR)

    # Nobody outside its office learns that it exists; its office learns it has no chat.
    assert send_as(gql, ada, draft, "Hi")["errors"] == [
        {"field": "event", "code": "NOT_FOUND", "message": "Nothing with this ID."}
    ]
    assert send_as(gql, editor, draft, "Hi")["errors"] == [
        {"field": None, "code": "NO_CHAT_ROOM", "message": "This event has no chat: it is a draft."}
    ]
    assert not ChatMessage.objects.exists()


def test_a_muted_user_cannot_send_until_the_mute_ends(gql, room, ada, bob, moderator):
    until = timezone.now() + minutes(15)
    ChatMute.objects.create(event=room, user=ada, until=until, muted_by=moderator)
    ChatMute.objects.create(
        event=room, user=bob, until=timezone.now() - minutes(1), muted_by=moderator
    )

    assert send_as(gql, ada, room, "Hello?")["errors"] == [
        {
            "field": None,
            "code": "MUTED",
            "message": f"You are muted in this chat until {utc(until)}.",
        }
    ]
    # A mute that has ended mutes nobody.
    assert send_as(gql, bob, room, "Hello!")["errors"] == []


# ---------------------------------------------------------------------------------------------
# Concurrency (PostgreSQL)
# ---------------------------------------------------------------------------------------------
def post(live_server, token, variables, attempts=5):
    """chatMessageSend to the live server. Its listen queue is short, so many connections at
    once may be reset before any request is read: the client retries then, as an app would,
    which the clientId makes safe."""
    body = json.dumps({"query": SEND, "variables": variables}).encode()
    request = urllib.request.Request(  # noqa: S310 - the test's own live server
        f"{live_server.url}/graphql/",
        data=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    for _ in range(attempts - 1):
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return json.loads(response.read())
        except (ConnectionResetError, http.client.RemoteDisconnected):
            continue
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.loads(response.read())


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_racing_sends_with_one_client_id_store_one_message(live_server, room, ada, settings):
    settings.CHAT_RATE = "0/s"
    racers = 8
    token = bearer_for(ada)
    start = threading.Barrier(racers)
    answers = []

    def go():
        start.wait()
        answers.append(
            post(live_server, token, {"event": gid(room), "body": "Once", "clientId": "same"})
        )

    threads = [threading.Thread(target=go) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert ChatMessage.objects.filter(event=room).count() == 1
    stored = ChatMessage.objects.get(event=room)
    assert [answer["data"]["chatMessageSend"]["errors"] for answer in answers] == [[]] * racers
    assert {answer["data"]["chatMessageSend"]["message"]["id"] for answer in answers} == {
        gid(stored)
    }


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_racing_senders_get_distinct_consecutive_numbers(live_server, room, user_factory, settings):
    settings.CHAT_RATE = "0/s"
    people = [user_factory() for _ in range(10)]
    tokens = [bearer_for(person) for person in people]
    start = threading.Barrier(len(tokens))

    def go(token):
        start.wait()
        post(live_server, token, {"event": gid(room), "body": "Hi", "clientId": "c"})

    threads = [threading.Thread(target=go, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    seqs = sorted(ChatMessage.objects.filter(event=room).values_list("seq", flat=True))
    assert seqs == list(range(1, 11))
    assert ChatRoom.objects.get(pk=room.pk).last_seq == 10
    assert connection.vendor == "postgresql"
