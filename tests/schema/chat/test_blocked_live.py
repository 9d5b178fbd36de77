"""chatMessages over the websocket, for someone who blocks people: what they write never reaches
the blocker (messages, edits, deletions, reactions, quotes, a replay after a cursor), a block or
an unblock takes effect on a running subscription at once, nothing changes for anyone else, and
a delivery still costs no query; what they wrote stays unheard once they delete their account.

Frames are asserted whole; "nothing arrives" is a sentinel message sent after it
(tests/sentinels.py)."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.utils import timezone
from graphql_relay import to_global_id

from accounts import deletion
from accounts import services as account_services
from accounts.models import UserBlock
from chat import services
from chat.models import ChatMessage
from schema.chat.resolvers import cursor_of
from tests.sentinels import nothing_before
from tests.sockets import complete_frame, in_db, next_frame, receive, subscribe

from .test_subscriptions import chat_frame, consumer_queries, follow, rooms_read, say

__all__ = ["consumer_queries", "rooms_read"]  # fixtures, used by name

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("database_thread")]

BLOCK = """
mutation Block($user: ID!) {
  userBlock(user: $user) { user { displayName } errors { field code message } }
}
"""
CHANGES = """
subscription Chat($event: ID!) {
  chatMessages(event: $event) { kind message { seq body isDeleted } }
}
"""


@pytest.fixture(autouse=True)
def unlimited(settings):
    settings.CHAT_RATE = "0/s"


@pytest.fixture
def carol(user_factory):
    return user_factory(email="carol@example.org", display_name="Carol")


def blocks(blocker, blocked):
    """Ada blocks Bob through the service, committed: her sockets are told at once."""
    return in_db(account_services.block_user, blocker, blocked)


def change_frame(operation_id, kind, seq, body):
    return next_frame(
        operation_id,
        {
            "chatMessages": {
                "kind": kind,
                "message": {"seq": seq, "body": body, "isDeleted": body is None},
            }
        },
    )


async def test_the_blocker_never_hears_the_people_they_block(
    connected, rooms_read, room, ada, bob, carol
):
    await blocks(ada, bob)
    hers = await connected(user=ada)
    others = await connected()
    for socket in (hers, others):
        await follow(socket, rooms_read, "chat", room)

    await say(bob, room, "Buy cheap watches")

    # Anyone else hears Bob; Ada's next frame is Carol's, sent after his.
    assert await receive(others) == chat_frame("chat", "CREATED", 1, "Buy cheap watches", "Bob")
    await nothing_before(
        say(carol, room, "Hello"),
        {
            hers: chat_frame("chat", "CREATED", 2, "Hello", "Carol"),
            others: chat_frame("chat", "CREATED", 2, "Hello", "Carol"),
        },
    )


async def test_no_change_to_their_messages_reaches_the_blocker(
    connected, rooms_read, room, ada, bob, carol, moderator
):
    spam = await say(bob, room, "Spam")
    await blocks(ada, bob)
    hers = await connected(user=ada)
    await follow(hers, rooms_read, "chat", room, query=CHANGES)

    await in_db(services.edit_message, bob, spam, "Spam, edited")
    await in_db(services.toggle_reaction, carol, spam, "🎉")
    await in_db(services.delete_message, moderator, spam)

    # Not even the tombstone: Ada never saw the message.
    await nothing_before(
        say(carol, room, "Sentinel"), {hers: change_frame("chat", "CREATED", 2, "Sentinel")}
    )


async def test_a_quote_of_someone_blocked_is_not_shown_to_the_blocker_alone(
    connected, rooms_read, room, ada, bob, carol
):
    await blocks(ada, bob)
    hers, bobs, anyone = await connected(user=ada), await connected(user=bob), await connected()
    for socket in (hers, bobs, anyone):
        await follow(socket, rooms_read, "chat", room)
    question = await say(bob, room, "Anyone from Aktau?")
    assert await receive(anyone) == chat_frame("chat", "CREATED", 1, "Anyone from Aktau?", "Bob")
    assert await receive(bobs) == chat_frame("chat", "CREATED", 1, "Anyone from Aktau?", "Bob")

    await say(carol, room, "Me!", reply_to=question)

    quote = {"seq": 1, "body": "Anyone from Aktau?"}
    assert await receive(hers) == chat_frame("chat", "CREATED", 2, "Me!", "Carol")
    assert await receive(bobs) == chat_frame("chat", "CREATED", 2, "Me!", "Carol", quote)
    assert await receive(anyone) == chat_frame("chat", "CREATED", 2, "Me!", "Carol", quote)


async def test_nothing_changes_for_the_person_blocked(connected, rooms_read, room, ada, bob):
    await blocks(ada, bob)
    bobs = await connected(user=bob)
    await follow(bobs, rooms_read, "chat", room)

    await say(ada, room, "Hello, everyone")
    await say(bob, room, "Hello, Ada")

    assert await receive(bobs) == chat_frame("chat", "CREATED", 1, "Hello, everyone")
    assert await receive(bobs) == chat_frame("chat", "CREATED", 2, "Hello, Ada", "Bob")


async def test_blocking_and_unblocking_take_effect_on_a_running_subscription(
    connected, rooms_read, room, ada, bob, carol
):
    hers = await connected(user=ada)
    await follow(hers, rooms_read, "chat", room)
    await say(bob, room, "one")
    assert await receive(hers) == chat_frame("chat", "CREATED", 1, "one", "Bob")

    # Blocked elsewhere (another phone, over HTTP): what Bob sends after it is not heard.
    await blocks(ada, bob)
    await say(bob, room, "two")
    await nothing_before(
        say(carol, room, "three"), {hers: chat_frame("chat", "CREATED", 3, "three", "Carol")}
    )

    await in_db(account_services.unblock_user, ada, bob)
    await nothing_before(
        say(bob, room, "four"), {hers: chat_frame("chat", "CREATED", 4, "four", "Bob")}
    )


async def test_blocking_over_the_same_socket_takes_effect_on_its_subscription(
    connected, rooms_read, room, ada, bob, carol
):
    hers = await connected(user=ada)
    await follow(hers, rooms_read, "chat", room)

    await subscribe(hers, "block", BLOCK, {"user": to_global_id("User", bob.pk)})
    assert await receive(hers) == next_frame(
        "block", {"userBlock": {"user": {"displayName": "Bob"}, "errors": []}}
    )
    assert await receive(hers) == complete_frame("block")
    await say(bob, room, "Hidden")

    await nothing_before(
        say(carol, room, "Shown"), {hers: chat_frame("chat", "CREATED", 2, "Shown", "Carol")}
    )
    assert await in_db(lambda: UserBlock.objects.filter(blocker=ada, blocked=bob).exists())


async def test_catching_up_after_a_cursor_skips_them_and_goes_on_live(
    connected, rooms_read, room, ada, bob, carol, message_factory
):
    await blocks(ada, bob)
    await in_db(
        lambda: [
            message_factory(event=room, author=author, body=body)
            for author, body in ((carol, "one"), (bob, "two"), (bob, "three"), (carol, "four"))
        ]
    )
    hers = await connected(user=ada)

    await follow(hers, rooms_read, "chat", room, after=cursor_of(0))

    assert await receive(hers) == chat_frame("chat", "CREATED", 1, "one", "Carol")
    assert await receive(hers) == chat_frame("chat", "CREATED", 4, "four", "Carol")
    await say(bob, room, "five")
    await nothing_before(
        say(carol, room, "six"), {hers: chat_frame("chat", "CREATED", 6, "six", "Carol")}
    )


async def test_a_delivery_costs_no_query_for_a_blocker_either(
    connected, rooms_read, room, ada, bob, carol, consumer_queries
):
    await blocks(ada, bob)
    sockets = [await connected(user=ada), await connected(user=carol), await connected()]
    for socket in sockets:
        await follow(socket, rooms_read, "chat", room)
    elsewhere = ThreadPoolExecutor(max_workers=1)
    loop = asyncio.get_running_loop()
    sent = [(bob, "one"), (carol, "two"), (bob, "three"), (carol, "four")]

    try:
        await consumer_queries.start()
        for author, body in sent:
            await loop.run_in_executor(
                elsewhere, services.send_message, author, room, body, body, None
            )
        for socket in sockets[1:]:
            for seq, (author, body) in enumerate(sent, start=1):
                frame = await receive(socket)
                assert frame == chat_frame("chat", "CREATED", seq, body, author.display_name)
        assert await receive(sockets[0]) == chat_frame("chat", "CREATED", 2, "two", "Carol")
        assert await receive(sockets[0]) == chat_frame("chat", "CREATED", 4, "four", "Carol")
    finally:
        await loop.run_in_executor(elsewhere, connections.close_all)
        elsewhere.shutdown()

    assert consumer_queries.queries == []
    assert await in_db(lambda: ChatMessage.objects.count()) == 4


def delete_account(user):
    """The person deletes their account (committed): the sockets of those who block them read
    their blocks again."""
    return in_db(lambda: deletion.delete_account(user, signed_in_at=timezone.now()))


QUOTES = """
subscription Chat($event: ID!) {
  chatMessages(event: $event) { kind message { seq body replyTo { seq } } }
}
"""


async def test_what_someone_blocked_wrote_stays_unheard_once_they_delete_their_account(
    connected, rooms_read, room, ada, bob, carol
):
    # Given Ada, following the room, who blocks Bob; Bob's message there
    await blocks(ada, bob)
    hers, anyone = await connected(user=ada), await connected()
    await follow(hers, rooms_read, "chat", room, query=QUOTES)
    await follow(anyone, rooms_read, "chat", room, query=CHANGES)
    spam = await say(bob, room, "Spam")
    assert await receive(anyone) == change_frame("chat", "CREATED", 1, "Spam")

    # When Bob deletes his account, and Carol then reacts to his message and answers it
    await delete_account(bob)
    await in_db(services.toggle_reaction, carol, spam, "🎉")
    assert await receive(anyone) == change_frame("chat", "REACTIONS", 1, "Spam")

    # Then Ada hears neither the reaction nor the quote: only Carol's answer
    answered = await in_db(lambda: ChatMessage.objects.get(pk=spam.pk))  # as the API loads it
    await nothing_before(
        say(carol, room, "Stop it", reply_to=answered),
        {
            hers: next_frame(
                "chat",
                {
                    "chatMessages": {
                        "kind": "CREATED",
                        "message": {"seq": 2, "body": "Stop it", "replyTo": None},
                    }
                },
            )
        },
    )


async def test_catching_up_skips_what_a_deleted_account_blocked_wrote(
    connected, rooms_read, room, ada, bob, carol, message_factory
):
    await blocks(ada, bob)
    await in_db(
        lambda: [
            message_factory(event=room, author=author, body=body)
            for author, body in ((carol, "one"), (bob, "two"), (carol, "three"))
        ]
    )
    await delete_account(bob)
    hers = await connected(user=ada)

    await follow(hers, rooms_read, "chat", room, after=cursor_of(0))

    assert await receive(hers) == chat_frame("chat", "CREATED", 1, "one", "Carol")
    assert await receive(hers) == chat_frame("chat", "CREATED", 3, "three", "Carol")
