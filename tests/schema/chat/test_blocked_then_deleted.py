"""Someone blocked stays blocked for what they wrote: deleting their account (which keeps their
messages, without an author) must not bring their messages back to the people who blocked
them: not in the history (nor their tombstones, nor their quotes), not by their ID, not to react
to; everyone else sees them as a deleted account's, and unblocking shows them again."""

import pytest
from django.utils import timezone

from accounts import deletion, services
from accounts.models import UserBlock

from .conftest import gid

HISTORY = """
query ($event: ID!) { event(id: $event) { chatMessages(last: 20) {
  edges { node { body authorDeleted } } } } }
"""


def test_what_a_blocked_person_wrote_stays_hidden_once_they_delete_their_account(
    gql, room, ada, bob, message_factory
):
    # Given Bob's abuse in the room, which Ada hides by blocking him
    message_factory(event=room, author=bob, body="abuse")
    UserBlock.objects.create(blocker=ada, blocked=bob)
    bodies = lambda: [  # noqa: E731
        edge["node"]["body"]
        for edge in gql(HISTORY, {"event": gid(room)}, user=ada)["data"]["event"]["chatMessages"][
            "edges"
        ]
    ]
    assert bodies() == []

    # When Bob deletes his account
    deletion.delete_account(bob, signed_in_at=timezone.now())

    # Then Ada still does not see what he wrote
    assert bodies() == []


PAGE = """
query ($event: ID!) { event(id: $event) { chatMessages(last: 20) {
  edges { node { seq body authorDeleted isDeleted replyTo { seq body } } } } } }
"""
NODE = """
query ($id: ID!) { node(id: $id) { ... on ChatMessage { seq body replyTo { seq } } } }
"""
REACT = """
mutation ($message: ID!) {
  chatReactionToggle(message: $message, emoji: "🎉") {
    message { seq body }
    errors { field code message }
  }
}
"""


@pytest.fixture
def carol(user_factory):
    return user_factory(email="carol@example.org", display_name="Carol")


@pytest.fixture
def bob_gone(room, ada, bob, carol, message_factory):
    """Bob's message, his tombstone and Carol's answer to him; Ada blocks Bob, and Bob deletes
    his account."""
    said = message_factory(event=room, author=bob, body="abuse")
    message_factory(event=room, author=bob, body="", deleted_at=timezone.now())
    answer = message_factory(event=room, author=carol, body="Stop it", reply_to=said)
    UserBlock.objects.create(blocker=ada, blocked=bob)
    deletion.delete_account(bob, signed_in_at=timezone.now())
    return said, answer


def nodes(gql, room, viewer=None):
    result = gql(PAGE, {"event": gid(room)}, user=viewer)
    assert "errors" not in result, result
    return [edge["node"] for edge in result["data"]["event"]["chatMessages"]["edges"]]


def test_the_blocker_sees_neither_their_messages_nor_their_tombstones_nor_their_quotes(
    gql, room, ada, bob_gone
):
    assert nodes(gql, room, ada) == [
        {
            "seq": 3,
            "body": "Stop it",
            "authorDeleted": False,
            "isDeleted": False,
            "replyTo": None,
        }
    ]


def test_everyone_else_sees_them_as_a_deleted_accounts(gql, room, carol, bob_gone):
    for viewer in (carol, None):
        assert [(n["seq"], n["body"], n["authorDeleted"]) for n in nodes(gql, room, viewer)] == [
            (1, "abuse", True),
            (2, None, False),
            (3, "Stop it", False),
        ]


def test_the_blocker_does_not_read_them_by_id_nor_react_to_them(gql, ada, carol, bob_gone):
    said, answer = bob_gone

    assert gql(NODE, {"id": gid(said)}, user=ada) == {"data": {"node": None}}
    assert gql(NODE, {"id": gid(answer)}, user=ada) == {
        "data": {"node": {"seq": 3, "body": "Stop it", "replyTo": None}}
    }
    assert gql(NODE, {"id": gid(said)}, user=carol)["data"]["node"]["body"] == "abuse"
    reacted = gql(REACT, {"message": gid(said)}, user=ada)["data"]["chatReactionToggle"]
    assert reacted["message"] is None
    assert [e["code"] for e in reacted["errors"]] == ["NOT_FOUND"]


def test_unblocking_the_deleted_account_shows_its_messages_again(gql, room, ada, bob_gone):
    block = UserBlock.objects.get(blocker=ada)
    services.unblock_deleted_account(ada, block.pk)

    assert [n["seq"] for n in nodes(gql, room, ada)] == [1, 2, 3]
