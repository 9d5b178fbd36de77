"""The chat's broadcast payload: what it carries of a message (what anyone who may read the room
sees, nothing more), and that what is encoded decodes the same."""

import uuid

from django.utils import timezone

from chat import payload
from chat.payload import Author, MessageChange
from events.models import Event
from tests.factories import ChatMessageFactory, ImageFactory


def test_a_broadcast_decodes_as_it_was_encoded(event_factory, user_factory):
    event = event_factory()
    ada = user_factory(display_name="Ada")
    hello = ChatMessageFactory(event=event, author=ada, body="Hello", reactions={"🎉": 2})
    reply = ChatMessageFactory(
        event=event, body="Hi", reply_to=hello, edited_at=timezone.now(), revision=3
    )
    broadcast = payload.broadcast_of(reply, MessageChange.EDITED)

    assert payload.decode(payload.encode(broadcast)) == broadcast
    assert (broadcast.change, broadcast.event_id, broadcast.public) == (
        MessageChange.EDITED,
        event.pk,
        True,
    )
    assert broadcast.message.reply == payload.message_data(hello, with_reply=False)
    assert broadcast.message.reply.author == Author(ada.pk, "Ada")
    assert broadcast.message.reply.reactions == {"🎉": 2}


def test_it_carries_what_the_room_sees_and_nothing_the_author_alone_sees(
    event_factory, user_factory
):
    author = user_factory(email="ada@example.org", display_name="\u200b")
    hello = ChatMessageFactory(author=author, body="Hello", client_id="ada-secret-key")
    deleted = ChatMessageFactory(
        event=hello.event, author=author, body="", reply_to=hello, deleted_at=timezone.now()
    )

    encoded = payload.encode(payload.broadcast_of(hello, MessageChange.CREATED))
    tombstone = payload.broadcast_of(deleted, MessageChange.DELETED).message

    # A name that shows nothing is no name; the e-mail and the client's key are never sent.
    assert encoded["message"]["author"] == {
        "id": author.pk,
        "name": f"User {author.pk}",
        "avatar": None,
    }
    assert "ada@example.org" not in repr(encoded)
    assert "ada-secret-key" not in repr(encoded)
    # A deleted message has neither author nor body.
    assert (tombstone.author, tombstone.body) == (None, None)
    assert tombstone.reply.body == "Hello"


def test_it_names_who_wrote_a_message_even_once_deleted_for_those_who_block_them(
    event_factory, user_factory
):
    # The id is for the subscribers of people who block the author, who skip the message;
    # nothing shows it (the tombstone has no author).
    author = user_factory(display_name="Bob")
    hello = ChatMessageFactory(author=author, body="Hello")
    deleted = ChatMessageFactory(
        event=hello.event, author=author, body="", reply_to=hello, deleted_at=timezone.now()
    )
    gone = ChatMessageFactory(event=hello.event, author=None, body="From a deleted account")

    tombstone = payload.decode(payload.encode(payload.broadcast_of(deleted, MessageChange.DELETED)))

    assert (tombstone.message.author, tombstone.message.author_id) == (None, author.pk)
    assert tombstone.message.reply.author_id == author.pk
    assert payload.broadcast_of(gone, MessageChange.CREATED).message.author_id is None


def test_it_carries_the_pseudonym_of_a_deleted_account_for_those_who_blocked_it(event_factory):
    # Bob's account is gone: the subscribers of those who blocked him skip what he wrote, and
    # of what it quotes, by the pseudonym his messages took.
    pseudonym = uuid.uuid4()
    hello = ChatMessageFactory(author=None, author_pseudonym=pseudonym, body="Hello")
    reply = ChatMessageFactory(event=hello.event, body="Hi", reply_to=hello)

    heard = payload.decode(payload.encode(payload.broadcast_of(reply, MessageChange.CREATED)))

    assert heard.message.author_pseudonym is None
    assert (heard.message.reply.author_id, heard.message.reply.author_pseudonym) == (
        None,
        pseudonym,
    )


def test_a_payload_of_an_earlier_release_without_the_pseudonym_decodes(event_factory):
    encoded = payload.encode(payload.broadcast_of(ChatMessageFactory(), MessageChange.CREATED))
    del encoded["message"]["authorPseudonym"]

    assert payload.decode(encoded).message.author_pseudonym is None


def test_a_payload_of_an_earlier_release_without_the_authors_id_decodes(event_factory):
    # During a rolling deploy, a process of the release before sends no "authorId".
    encoded = payload.encode(payload.broadcast_of(ChatMessageFactory(), MessageChange.CREATED))
    del encoded["message"]["authorId"]

    assert payload.decode(encoded).message.author_id is None


def test_a_broadcast_about_a_draft_is_not_public(event_factory):
    draft = event_factory(status=Event.Status.DRAFT, announced_at=None)
    message = ChatMessageFactory(event=draft)

    assert not payload.broadcast_of(message, MessageChange.CREATED).public


def test_an_authors_avatar_travels_with_the_message(event_factory, user_factory):
    avatar = ImageFactory(purpose="AVATAR")
    ada = user_factory(display_name="Ada", avatar=avatar)
    hello = ChatMessageFactory(event=event_factory(), author=ada, body="Hello")

    broadcast = payload.broadcast_of(hello, MessageChange.CREATED)
    encoded = payload.encode(broadcast)

    # The variants as stored (names, sizes), for each subscriber to make its URLs
    assert encoded["message"]["author"]["avatar"] == avatar.variants
    assert payload.decode(encoded).message.author == Author(ada.pk, "Ada", avatar.variants)
    # A payload from a process older than avatars decodes with none
    del encoded["message"]["author"]["avatar"]
    assert payload.decode(encoded).message.author == Author(ada.pk, "Ada", None)


def test_a_message_whose_author_deleted_their_account_says_so(event_factory):
    # Given a message whose author's account is gone (the key emptied by the deletion)
    message = ChatMessageFactory(event=event_factory(), author=None, body="See you there")

    broadcast = payload.broadcast_of(message, MessageChange.REACTIONS)

    # Then it shows its body, no author, and that the author deleted their account
    data = payload.decode(payload.encode(broadcast)).message
    assert (data.author, data.body, data.author_deleted) == (None, "See you there", True)
    # A message deleted by its author (or a moderator) is not a deleted account's.
    message.deleted_at, message.body = timezone.now(), ""
    assert not payload.message_data(message).author_deleted
    # What a process of an earlier version sent decodes without it.
    encoded = payload.encode(broadcast)
    del encoded["message"]["authorDeleted"]
    assert payload.decode(encoded).message.author_deleted is False
