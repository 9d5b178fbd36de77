"""Who wrote a message: the author's display name and tag, in the history, in what the sender
gets back and live to the room's subscribers; two people of one name are told apart by their
tags, and a new name shows from then on."""

import pytest

from accounts.display_names import tag_of
from tests.sockets import next_frame, receive

from .conftest import gid, send_as
from .test_subscriptions import follow, rooms_read, say  # noqa: F401 (rooms_read: a fixture)

HISTORY = """
query History($event: ID!) {
  event(id: $event) {
    chatMessages(last: 10) { edges { node { body author { displayName nameTag } } } }
  }
}
"""
SEND = """
mutation($event: ID!, $body: String!, $clientId: String!) {
  chatMessageSend(event: $event, body: $body, clientId: $clientId) {
    message { author { id displayName nameTag } }
    errors { field code message }
  }
}
"""
LIVE = """
subscription Chat($event: ID!) {
  chatMessages(event: $event) { message { body author { displayName nameTag } } }
}
"""
RENAME = "mutation($n: String) { profileUpdate(displayName: $n) { errors { code } } }"


@pytest.fixture
def danas(user_factory):
    """Two people who both go by Dana."""
    return user_factory(display_name="Dana"), user_factory(display_name="Dana")


def authors(gql, room):
    edges = gql(HISTORY, {"event": gid(room)})["data"]["event"]["chatMessages"]["edges"]
    return [(edge["node"]["body"], edge["node"]["author"]) for edge in edges]


def test_two_people_of_one_name_are_told_apart_by_their_tags(gql, room, danas):
    first, second = danas

    sent = send_as(gql, first, room, "Salem!", query=SEND)
    send_as(gql, second, room, "Hello!", client_id="c-2")

    assert sent["message"]["author"] == {
        "id": gid(first),
        "displayName": "Dana",
        "nameTag": tag_of(first.pk),
    }
    assert authors(gql, room) == [
        ("Salem!", {"displayName": "Dana", "nameTag": tag_of(first.pk)}),
        ("Hello!", {"displayName": "Dana", "nameTag": tag_of(second.pk)}),
    ]
    assert tag_of(first.pk) != tag_of(second.pk)


def test_a_new_name_shows_in_the_chat_and_the_tag_stays(gql, room, danas):
    dana, _ = danas
    send_as(gql, dana, room, "Before")

    assert gql(RENAME, {"n": "Dana Abilova"}, user=dana) == {
        "data": {"profileUpdate": {"errors": []}}
    }

    assert authors(gql, room) == [
        ("Before", {"displayName": "Dana Abilova", "nameTag": tag_of(dana.pk)}),
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_thread")
async def test_subscribers_hear_the_authors_name_and_tag(connected, rooms_read, room, danas):  # noqa: F811
    first, second = danas
    watcher = await connected()
    await follow(watcher, rooms_read, "chat", room, query=LIVE)

    await say(first, room, "Salem!")
    await say(second, room, "Hello!")

    for body, author in (("Salem!", first), ("Hello!", second)):
        expected = {"displayName": "Dana", "nameTag": tag_of(author.pk)}
        assert await receive(watcher) == next_frame(
            "chat", {"chatMessages": {"message": {"body": body, "author": expected}}}
        )
