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
