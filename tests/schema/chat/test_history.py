"""Event.chatMessages (history paged backwards by cursor) and Event.chatRoom over HTTP."""

import base64
import time

import pytest
from django.utils import timezone

from chat import presence
from core.integers import MAX_BIGINT
from events.models import Event
from graphql_server.errors import UserInputError
from schema.chat.resolvers import cursor_of, seq_of
from tests.factories import MembershipFactory

from .conftest import Role, gid, minutes

HISTORY = """
query History($event: ID!, $last: Int, $before: String) {
  event(id: $event) {
    chatMessages(last: $last, before: $before) {
      edges { cursor node { seq body author { displayName } clientId } }
      pageInfo { hasPreviousPage hasNextPage startCursor endCursor }
    }
  }
}
"""

ROOM = """
query Room($event: ID!) {
  event(id: $event) { chatRoom { isOpen opensAt closesAt } }
}
"""


def history(gql, event, user=None, **variables):
    result = gql(HISTORY, {"event": gid(event), **variables}, user=user)
    assert "errors" not in result, result
    return result["data"]["event"]["chatMessages"]


@pytest.fixture
def chatter(room, ada, bob, message_factory):
    """45 messages in the room, Ada's and Bob's in turn: "#1" … "#45"."""
    for n in range(1, 46):
        message_factory(event=room, author=ada if n % 2 else bob, body=f"#{n}")


def test_the_first_page_is_the_newest_oldest_first(gql, room, chatter):
    page = history(gql, room, last=3)

    assert page == {
        "edges": [
            {
                "cursor": cursor_of(n),
                "node": {
                    "seq": n,
                    "body": f"#{n}",
                    "author": {"displayName": "Ada" if n % 2 else "Bob"},
                    "clientId": None,
                },
            }
            for n in (43, 44, 45)
        ],
        "pageInfo": {
            "hasPreviousPage": True,
            "hasNextPage": False,
            "startCursor": cursor_of(43),
            "endCursor": cursor_of(45),
        },
    }


def test_paging_backwards_by_start_cursor_reads_everything_once(gql, room, chatter):
    seen, before = [], None
    while True:
        page = history(gql, room, last=20, before=before)
        seen[:0] = [edge["node"]["seq"] for edge in page["edges"]]
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        assert page["edges"] and page["pageInfo"]["hasNextPage"] is (before is not None)
        before = page["pageInfo"]["startCursor"]

    assert seen == list(range(1, 46))


def test_twenty_by_default(gql, room, chatter):
    seqs = [edge["node"]["seq"] for edge in history(gql, room)["edges"]]

    assert seqs == list(range(26, 46))


def test_an_empty_room_and_a_page_of_none(gql, room, chatter, other_room):
    assert history(gql, other_room) == {
        "edges": [],
        "pageInfo": {
            "hasPreviousPage": False,
            "hasNextPage": False,
            "startCursor": None,
            "endCursor": None,
        },
    }
    assert history(gql, room, last=0)["edges"] == []


def test_the_author_alone_sees_a_messages_client_id(gql, room, ada, bob, message_factory):
    message_factory(event=room, author=ada, client_id="ada-1")

    def client_id(user):
        return history(gql, room, user=user)["edges"][0]["node"]["clientId"]

    assert (client_id(ada), client_id(bob), client_id(None)) == ("ada-1", None, None)


def test_a_chat_cursor_is_read_up_to_the_cursor_length_setting(settings):
    cursor = cursor_of(MAX_BIGINT)
    settings.GRAPHQL_MAX_CURSOR_LENGTH = len(cursor)
    read = seq_of(cursor, "before")

    settings.GRAPHQL_MAX_CURSOR_LENGTH = len(cursor) - 1

    assert read == MAX_BIGINT
    with pytest.raises(UserInputError) as refused:
        seq_of(cursor, "before")
    assert refused.value.extensions == {"code": "INVALID_CURSOR", "field": "before"}


@pytest.mark.parametrize(
    ("variables", "code", "field", "message"),
    [
        ({"last": 101}, "INVALID_PAGE_SIZE", "last", "last must be between 0 and 100."),
        ({"last": -1}, "INVALID_PAGE_SIZE", "last", "last must be between 0 and 100."),
        (
            {"before": "nonsense"},
            "INVALID_CURSOR",
            "before",
            "before is not a cursor of a chat message.",
        ),
        *(
            (
                {"before": base64.b64encode(text.encode()).decode()},
                "INVALID_CURSOR",
                "before",
                "before is not a cursor of a chat message.",
            )
            for text in [
                "chat:²",
                "chat:-1",
                "chat:9223372036854775808",
                "chat:" + "9" * 1_500,
                "chat:1\x00",
                "chat:",
            ]
        ),
        (
            # A cursor of another list (the events' offsets) is not a chat cursor.
            {"before": "YXJyYXljb25uZWN0aW9uOjE="},
            "INVALID_CURSOR",
            "before",
            "before is not a cursor of a chat message.",
        ),
    ],
)
def test_bad_paging_arguments_are_refused(gql, room, chatter, variables, code, field, message):
    result = gql(HISTORY, {"event": gid(room), **variables})

    assert result["data"] == {"event": {"chatMessages": None}}
    assert result["errors"][0]["message"] == message
    assert result["errors"][0]["extensions"] == {"code": code, "field": field}


def test_a_draft_has_no_room_and_no_history(gql, event_factory, user_factory):
    draft = event_factory(status=Event.Status.DRAFT, announced_at=None)
    editor = user_factory()
    MembershipFactory(user=editor, office=draft.office, role=Role.EDITOR)

    result = gql(
        "query($event: ID!) { event(id: $event) { chatRoom { isOpen } chatMessages { edges "
        "{ cursor } } } }",
        {"event": gid(draft)},
        user=editor,
    )

    assert result == {"data": {"event": {"chatRoom": None, "chatMessages": None}}}


def utc(moment):
    return moment.isoformat()


def test_a_room_says_when_it_opens_and_closes(gql, event_factory, room):
    tomorrow = timezone.now() + minutes(24 * 60)
    later = event_factory(starts_at=tomorrow, ends_at=tomorrow + minutes(90))
    cancelled = event_factory(
        status=Event.Status.CANCELLED, starts_at=room.starts_at, ends_at=room.ends_at
    )

    def chat_room(event):
        return gql(ROOM, {"event": gid(event)})["data"]["event"]["chatRoom"]

    assert chat_room(room) == {
        "isOpen": True,
        "opensAt": utc(room.starts_at - minutes(60)),
        "closesAt": utc(room.ends_at + minutes(120)),
    }
    assert chat_room(later) == {
        "isOpen": False,
        "opensAt": utc(tomorrow - minutes(60)),
        "closesAt": utc(tomorrow + minutes(90 + 120)),
    }
    assert chat_room(cancelled)["isOpen"] is False


PRESENT_COUNT = "query($event: ID!) { event(id: $event) { chatRoom { presentCount } } }"


def test_the_room_says_how_many_are_present(gql, room, other_room):
    store = presence.store()
    for connection in ("process-1.a", "process-1.b", "process-2.c"):
        store.enter(room.pk, connection)
    store.enter(other_room.pk, "process-1.a")
    # One whose lease ran out long ago.
    store.enter(room.pk, "dead.d", now=time.time() - 3600)

    result = gql(PRESENT_COUNT, {"event": gid(room)})

    assert result == {"data": {"event": {"chatRoom": {"presentCount": 3}}}}
