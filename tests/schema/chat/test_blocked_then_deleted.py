"""Someone blocked stays blocked for what they wrote: deleting their account (which keeps their
messages, without an author) must not bring their messages back to the people who blocked
them."""

from django.utils import timezone

from accounts import deletion
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
