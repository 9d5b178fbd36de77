"""An event's chat end to end: a graphql-ws client on Node and a gql client in Python talk to each
other through a live server, and a client that drops out catches up with ``after``.

Messages are sent over each client's own socket (``chatMessageSend``) and heard through the
``chatMessages`` subscription. The event starts in a few minutes, so its room is open.
"""

import datetime
import uuid

import pytest
from django.utils import timezone

from core import channel_groups
from schema.chat.subscriptions import BACKLOG_BATCH
from tests.conftest import bearer_for
from tests.e2e.clients import post_graphql
from tests.e2e.conftest import gid

pytestmark = pytest.mark.django_db(transaction=True)

# Messages sent while a client is away: more than its catch-up reads at a time, so that the
# catch-up reads several times, and messages sent meanwhile race it.
MISSED = BACKLOG_BATCH + BACKLOG_BATCH // 2
DURING = 20

CHAT_MESSAGE_SEND = """
mutation Send($event: ID!, $body: String!, $clientId: String!, $replyTo: ID) {
  chatMessageSend(event: $event, body: $body, clientId: $clientId, replyTo: $replyTo) {
    message { id seq body cursor author { displayName } }
    errors { code field message }
  }
}
"""
CHAT_MESSAGES = """
subscription Chat($event: ID!, $after: String) {
  chatMessages(event: $event, after: $after) { kind message { id seq body } cursor }
}
"""
CHAT_HISTORY = """
query History($event: ID!) {
  event(id: $event) {
    chatMessages(last: 10) {
      edges { cursor node { id seq body author { displayName } replyTo { id } } }
    }
  }
}
"""


@pytest.fixture
def chat_event(event_factory, office_factory):
    """A public event starting in ten minutes: its room is open."""
    starts_at = timezone.now() + datetime.timedelta(minutes=10)
    return event_factory(office=office_factory(), starts_at=starts_at)


@pytest.fixture
def tokens(user_factory) -> dict[str, str]:
    """Bearer tokens of Ada and Bob, by name."""
    return {name: bearer_for(user_factory(display_name=name)) for name in ("Ada", "Bob")}


async def say(client, event, body: str, reply_to: dict | None = None) -> dict:
    """Send ``body`` to the event's chat over ``client``'s socket, in reply to the message
    ``reply_to`` if given; the message as sent."""
    variables = {"event": gid(event), "body": body, "clientId": uuid.uuid4().hex}
    if reply_to is not None:
        variables["replyTo"] = reply_to["id"]
    result = await client.execute(CHAT_MESSAGE_SEND, variables)
    assert "errors" not in result, result
    payload = result["data"]["chatMessageSend"]
    assert payload["errors"] == [], payload
    assert payload["message"]["body"] == body
    return payload["message"]


async def say_all(client, event, bodies: list[str]) -> list[dict]:
    """Send the bodies one after the other over ``client``'s socket; the messages as sent."""
    return [await say(client, event, body) for body in bodies]


def heard(results: list[dict]) -> list[dict]:
    return [result["data"]["chatMessages"] for result in results]


def created(message: dict) -> dict:
    """What a subscriber hears of a new message: its id, seq and body."""
    return {"id": message["id"], "seq": message["seq"], "body": message["body"]}


async def test_a_node_client_and_a_python_client_chat_through_the_live_server(
    websocket_server, clients, listen, tokens, chat_event
):
    group = channel_groups.group_name(channel_groups.EVENT_CHAT, id=chat_event.pk)
    ada = await clients.connect("node", token=tokens["Ada"])
    bob = await clients.connect("python", token=tokens["Bob"])
    ada_hears = await listen(ada, CHAT_MESSAGES, {"event": gid(chat_event)}, group)
    bob_hears = await listen(bob, CHAT_MESSAGES, {"event": gid(chat_event)}, group)

    greeting = await say(ada, chat_event, "Salem from Aktau!")
    answer = await say(bob, chat_event, "Merhaba from Bursa!", reply_to=greeting)

    assert greeting["author"] == {"displayName": "Ada"}
    assert answer["author"] == {"displayName": "Bob"}
    assert answer["seq"] > greeting["seq"]
    # Each heard both, in order, with the cursors the senders got.
    conversation = [
        {"kind": "CREATED", "message": created(message), "cursor": message["cursor"]}
        for message in (greeting, answer)
    ]
    assert heard(await ada_hears.results(2)) == conversation
    assert heard(await bob_hears.results(2)) == conversation
    # And the history, read over HTTP, is the conversation they had.
    history = await post_graphql(
        f"{websocket_server.url}/graphql/", CHAT_HISTORY, {"event": gid(chat_event)}, tokens["Ada"]
    )
    assert history["data"]["event"]["chatMessages"]["edges"] == [
        {
            "cursor": greeting["cursor"],
            "node": {**created(greeting), "author": {"displayName": "Ada"}, "replyTo": None},
        },
        {
            "cursor": answer["cursor"],
            "node": {
                **created(answer),
                "author": {"displayName": "Bob"},
                "replyTo": {"id": greeting["id"]},
            },
        },
    ]


@pytest.mark.parametrize(("reader_kind", "sender_kind"), [("node", "python"), ("python", "node")])
async def test_a_client_back_with_its_last_cursor_hears_exactly_what_it_missed_then_live(
    clients, listen, tokens, chat_event, reader_kind, sender_kind
):
    group = channel_groups.group_name(channel_groups.EVENT_CHAT, id=chat_event.pk)
    sender = await clients.connect(sender_kind, token=tokens["Bob"])
    reader = await clients.connect(reader_kind, token=tokens["Ada"])
    live = await listen(reader, CHAT_MESSAGES, {"event": gid(chat_event)}, group)
    before = await say_all(sender, chat_event, ["before 1", "before 2"])
    seen = heard(await live.results(2))
    assert [message["message"] for message in seen] == [created(m) for m in before]

    # The reader drops out; the chat goes on without it, for more messages than the catch-up
    # reads at once.
    await reader.close()
    missed = await say_all(sender, chat_event, [f"missed {n}" for n in range(MISSED)])
    # Back, from the last cursor it heard; more messages go out while it catches up.
    reader = await clients.connect(reader_kind, token=tokens["Ada"])
    back = await reader.subscribe(
        CHAT_MESSAGES, {"event": gid(chat_event), "after": seen[-1]["cursor"]}
    )
    during = await say_all(sender, chat_event, [f"during {n}" for n in range(DURING)])

    caught_up = heard(await back.results(MISSED + DURING))
    assert {message["kind"] for message in caught_up} == {"CREATED"}
    assert [message["message"] for message in caught_up] == [created(m) for m in missed + during]
    # Then live, and nothing twice: the next message heard is the next one sent.
    after = await say(sender, chat_event, "after")
    assert heard([await back.next()]) == [
        {"kind": "CREATED", "message": created(after), "cursor": after["cursor"]}
    ]
