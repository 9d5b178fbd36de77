"""Editing, deleting and reacting to messages over HTTP: who may, when, and what is stored and
broadcast."""

import pytest
from django.utils import timezone

from chat import realtime
from chat.models import ChatMessage, ChatMute, ChatReaction

from .conftest import gid, minutes

FIELDS = "seq body editedAt isDeleted author { displayName } reactions { emoji count reactedByMe }"
EDIT = f"""
mutation Edit($message: ID!, $body: String!) {{
  chatMessageEdit(message: $message, body: $body) {{
    message {{ {FIELDS} }} errors {{ field code message }}
  }}
}}
"""
DELETE = f"""
mutation Delete($message: ID!) {{
  chatMessageDelete(message: $message) {{ message {{ {FIELDS} }} errors {{ field code message }} }}
}}
"""
REACT = f"""
mutation React($message: ID!, $emoji: String!) {{
  chatReactionToggle(message: $message, emoji: $emoji) {{
    message {{ {FIELDS} }} errors {{ field code message }}
  }}
}}
"""


@pytest.fixture
def broadcasts(monkeypatch):
    """The chat broadcasts queued by the services: (kind, seq, body, reactions)."""
    sent = []

    def record(group, payload):
        data = payload["message"]
        sent.append((payload["kind"], data["seq"], data["body"], data["reactions"]))

    monkeypatch.setattr(realtime, "broadcast_on_commit", record)
    return sent


@pytest.fixture
def hello(room, ada, message_factory):
    return message_factory(event=room, author=ada, body="Hello, Aktau!")


def call(gql, document, user, **variables):
    result = gql(document, variables, user=user)
    assert "errors" not in result, result
    return next(iter(result["data"].values()))


def denied(gql, document, user, **variables):
    result = gql(document, variables, user=user)
    assert result["data"] == {next(iter(result["data"])): None}
    return result["errors"][0]["extensions"]["code"]


# ---------------------------------------------------------------------------------------------
# Editing
# ---------------------------------------------------------------------------------------------
def test_the_author_edits_their_message(gql, hello, ada, broadcasts):
    edited = call(gql, EDIT, ada, message=gid(hello), body="  Hello, Aktau and Bursa! ")

    assert edited["errors"] == []
    assert edited["message"]["body"] == "Hello, Aktau and Bursa!"
    assert edited["message"]["editedAt"] is not None
    hello.refresh_from_db()
    assert (hello.body, hello.seq) == ("Hello, Aktau and Bursa!", 1)
    assert broadcasts == [("EDITED", 1, "Hello, Aktau and Bursa!", {})]


def test_the_same_body_again_changes_nothing(gql, hello, ada, broadcasts):
    unchanged = call(gql, EDIT, ada, message=gid(hello), body="Hello, Aktau!")

    assert unchanged["message"]["editedAt"] is None
    assert broadcasts == []


def test_nobody_else_edits_a_message_not_even_a_moderator(gql, hello, bob, moderator):
    assert denied(gql, EDIT, bob, message=gid(hello), body="Hacked") == "PERMISSION_DENIED"
    assert denied(gql, EDIT, moderator, message=gid(hello), body="Hacked") == "PERMISSION_DENIED"
    hello.refresh_from_db()
    assert hello.body == "Hello, Aktau!"


@pytest.mark.parametrize(
    ("body", "code"), [("  ", "TOO_SHORT"), ("x" * 1001, "TOO_LONG")], ids=["blank", "too long"]
)
def test_an_edit_is_checked_like_a_message(gql, hello, ada, body, code):
    edited = call(gql, EDIT, ada, message=gid(hello), body=body)

    assert [(error["field"], error["code"]) for error in edited["errors"]] == [("body", code)]


def test_no_edits_once_the_room_has_closed(gql, hello, ada):
    room = hello.event
    room.starts_at, room.ends_at = timezone.now() - minutes(600), timezone.now() - minutes(300)
    room.save()

    edited = call(gql, EDIT, ada, message=gid(hello), body="Late thought")

    assert edited["errors"][0]["code"] == "CHAT_CLOSED"


def test_a_muted_author_cannot_edit(gql, hello, ada, moderator):
    ChatMute.objects.create(
        event=hello.event, user=ada, until=timezone.now() + minutes(5), muted_by=moderator
    )

    assert call(gql, EDIT, ada, message=gid(hello), body="Spam")["errors"][0]["code"] == "MUTED"


# ---------------------------------------------------------------------------------------------
# Deleting
# ---------------------------------------------------------------------------------------------
def tombstone(seq):
    return {
        "seq": seq,
        "body": None,
        "editedAt": None,
        "isDeleted": True,
        "author": None,
        "reactions": [],
    }


def test_the_author_deletes_their_message_which_stays_as_a_tombstone(
    gql, hello, ada, bob, broadcasts
):
    ChatReaction.objects.create(message=hello, user=bob, emoji="👍")
    ChatMessage.objects.filter(pk=hello.pk).update(reactions={"👍": 1})

    deleted = call(gql, DELETE, ada, message=gid(hello))

    assert deleted == {"message": tombstone(1), "errors": []}
    hello.refresh_from_db()
    assert (hello.body, hello.reactions, hello.deleted_by) == ("", {}, ada)
    assert not ChatReaction.objects.exists()
    assert broadcasts == [("DELETED", 1, None, {})]
    # Deleting it again changes nothing.
    assert call(gql, DELETE, ada, message=gid(hello)) == {"message": tombstone(1), "errors": []}
    assert len(broadcasts) == 1


def test_a_deleted_message_can_be_neither_edited_nor_reacted_to(gql, hello, ada, bob):
    call(gql, DELETE, ada, message=gid(hello))

    gone = [{"field": None, "code": "MESSAGE_DELETED", "message": "This message was deleted."}]
    assert call(gql, EDIT, ada, message=gid(hello), body="Back")["errors"] == gone
    assert call(gql, REACT, bob, message=gid(hello), emoji="👍")["errors"] == gone


def test_a_deleted_message_keeps_its_place_in_history(gql, hello, ada, bob, message_factory):
    message_factory(event=hello.event, author=bob, body="After")
    call(gql, DELETE, ada, message=gid(hello))

    result = gql(
        "query($event: ID!) { event(id: $event) { chatMessages { edges { node { "
        + FIELDS
        + " } } } } }",
        {"event": gid(hello.event)},
    )

    nodes = [edge["node"] for edge in result["data"]["event"]["chatMessages"]["edges"]]
    assert nodes[0] == tombstone(1)
    assert nodes[1]["body"] == "After"


def test_others_may_not_delete_a_message(gql, hello, bob):
    assert denied(gql, DELETE, bob, message=gid(hello)) == "PERMISSION_DENIED"
    hello.refresh_from_db()
    assert hello.deleted_at is None


# ---------------------------------------------------------------------------------------------
# Reactions
# ---------------------------------------------------------------------------------------------
def reactions(payload):
    return payload["message"]["reactions"]


def test_reactions_toggle_and_count_per_emoji_in_the_offered_order(
    gql, hello, ada, bob, broadcasts
):
    assert reactions(call(gql, REACT, bob, message=gid(hello), emoji="🎉")) == [
        {"emoji": "🎉", "count": 1, "reactedByMe": True}
    ]
    call(gql, REACT, ada, message=gid(hello), emoji="🎉")
    both = call(gql, REACT, ada, message=gid(hello), emoji="👍")

    assert reactions(both) == [
        {"emoji": "👍", "count": 1, "reactedByMe": True},
        {"emoji": "🎉", "count": 2, "reactedByMe": True},
    ]
    # Toggling again takes Bob's back.
    assert reactions(call(gql, REACT, bob, message=gid(hello), emoji="🎉")) == [
        {"emoji": "👍", "count": 1, "reactedByMe": False},
        {"emoji": "🎉", "count": 1, "reactedByMe": False},
    ]
    hello.refresh_from_db()
    assert hello.reactions == {"🎉": 1, "👍": 1}
    assert [(kind, counts) for kind, _, _, counts in broadcasts] == [
        ("REACTIONS", {"🎉": 1}),
        ("REACTIONS", {"🎉": 2}),
        ("REACTIONS", {"🎉": 2, "👍": 1}),
        ("REACTIONS", {"🎉": 1, "👍": 1}),
    ]
    assert ChatReaction.objects.count() == 2


def test_a_heart_without_its_variation_selector_is_the_offered_heart(gql, hello, bob):
    hearted = call(gql, REACT, bob, message=gid(hello), emoji="\u2764")

    assert reactions(hearted) == [{"emoji": "\u2764\ufe0f", "count": 1, "reactedByMe": True}]


@pytest.mark.parametrize("emoji", ["🍕", "", "👍👍", "thumbs up"])
def test_only_offered_reactions(gql, hello, bob, emoji):
    result = call(gql, REACT, bob, message=gid(hello), emoji=emoji)

    assert result["message"] is None
    assert result["errors"] == [
        {
            "field": "emoji",
            "code": "INVALID_REACTION",
            "message": "React with one of 👍 ❤️ 😂 😮 😢 👏 🎉 🔥.",
        }
    ]
    assert not ChatReaction.objects.exists()


def test_the_offer_follows_the_settings(gql, hello, bob, settings):
    settings.CHAT_REACTIONS = ["🍕"]

    assert reactions(call(gql, REACT, bob, message=gid(hello), emoji="🍕"))[0]["count"] == 1
    assert call(gql, REACT, bob, message=gid(hello), emoji="👍")["errors"][0]["code"] == (
        "INVALID_REACTION"
    )


def test_no_reactions_once_the_room_has_closed(gql, hello, bob):
    room = hello.event
    room.starts_at, room.ends_at = timezone.now() + minutes(600), timezone.now() + minutes(700)
    room.save()

    assert call(gql, REACT, bob, message=gid(hello), emoji="👍")["errors"][0]["code"] == (
        "CHAT_CLOSED"
    )


def test_reacting_too_fast_is_rate_limited(gql, hello, bob, settings):
    settings.CHAT_RATE = "2/m"
    call(gql, REACT, bob, message=gid(hello), emoji="👍")
    call(gql, REACT, bob, message=gid(hello), emoji="👍")

    assert denied(gql, REACT, bob, message=gid(hello), emoji="👍") == "RATE_LIMITED"


def test_signed_out_people_neither_react_nor_see_their_reactions(gql, hello, bob):
    call(gql, REACT, bob, message=gid(hello), emoji="👍")

    assert denied(gql, REACT, None, message=gid(hello), emoji="👍") == "UNAUTHENTICATED"
    result = gql(
        "query($id: ID!) { node(id: $id) { ... on ChatMessage { reactions { count reactedByMe } "
        "} } }",
        {"id": gid(hello)},
    )
    assert result == {"data": {"node": {"reactions": [{"count": 1, "reactedByMe": False}]}}}


def test_a_message_of_a_draft_is_not_found(gql, hello, ada):
    # An event with messages cannot become a draft again; a corrupted one is still refused.
    type(hello.event).objects.filter(pk=hello.event.pk).update(status="DRAFT")

    result = call(gql, EDIT, ada, message=gid(hello), body="Hi")

    assert result["errors"] == [
        {"field": "message", "code": "NOT_FOUND", "message": "Nothing with this ID."}
    ]
