"""What someone the viewer blocks wrote stays hidden from the viewer by every path, not only in
the history and the live feed: `node(id:)` by the message's ID too (README, "Blocking")."""

from accounts.models import UserBlock

from .conftest import gid

NODE = """
query ($id: ID!) { node(id: $id) { ... on ChatMessage { seq body author { displayName } } } }
"""


def test_a_blocked_persons_message_is_not_read_by_its_id(gql, room, ada, bob, message_factory):
    # Given Bob's message in the room, and Ada, who blocks him
    message = message_factory(event=room, author=bob, body="you again")
    UserBlock.objects.create(blocker=ada, blocked=bob)

    # When Ada's app asks for it by its ID (a link, a notification, a reply she was sent)
    result = gql(NODE, {"id": gid(message)}, user=ada)

    # Then it is not shown to her, as the history does not show it
    assert result == {"data": {"node": None}}


REPLY = """
query ($id: ID!) { node(id: $id) { ... on ChatMessage { seq replyTo { seq body } } } }
"""
REACT = """
mutation ($message: ID!) {
  chatReactionToggle(message: $message, emoji: "🎉") {
    message { seq reactions { emoji count } }
    errors { field code message }
  }
}
"""


def test_a_reply_to_them_read_by_its_id_comes_without_the_quote(
    gql, room, ada, bob, user_factory, message_factory
):
    # Given Carol's answer to Bob, whom Ada blocks
    carol = user_factory(display_name="Carol")
    said = message_factory(event=room, author=bob, body="you again")
    answer = message_factory(event=room, author=carol, body="Hush", reply_to=said)
    UserBlock.objects.create(blocker=ada, blocked=bob)

    # Then Ada reads Carol's answer without Bob's words; Carol, with them
    assert gql(REPLY, {"id": gid(answer)}, user=ada) == {
        "data": {"node": {"seq": 2, "replyTo": None}}
    }
    assert gql(REPLY, {"id": gid(answer)}, user=carol) == {
        "data": {"node": {"seq": 2, "replyTo": {"seq": 1, "body": "you again"}}}
    }


def test_a_blocked_persons_message_is_not_found_to_react_to(gql, room, ada, bob, message_factory):
    message = message_factory(event=room, author=bob, body="you again")
    UserBlock.objects.create(blocker=ada, blocked=bob)

    reacted = gql(REACT, {"message": gid(message)}, user=ada)["data"]["chatReactionToggle"]

    assert reacted["message"] is None
    assert [(e["field"], e["code"]) for e in reacted["errors"]] == [("message", "NOT_FOUND")]
    message.refresh_from_db()
    assert message.reactions == {}
