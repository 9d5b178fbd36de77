"""The chat moving from the events app to its own (chat.0001, events.0011) on a database that
holds a chat: every row written before the move reads the same through the chat app's models
after it, and the admin's content types go with the models, so that the permissions granted on
them and the admin's log of them keep working."""

import datetime

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType

from chat.models import ChatMessage, ChatMute, ChatReaction, ChatReport, ChatRoom
from cities.models import OfficeMembership
from cities.staff import office_staff_group
from tests.factories import ChatMessageFactory, MembershipFactory
from tests.migrating import migrate, models_at

# The last migration of the events app while it held the chat; before the move, the chat app
# has none applied.
BEFORE_THE_MOVE = ("events", "0010_drop_reason_event_started")
NO_CHAT_APP = ("chat", None)
MOVED = (ChatRoom, ChatMessage, ChatReaction, ChatMute, ChatReport)

UTC = datetime.UTC


def row(instance) -> dict:
    """Every column of a row, as its model reads it."""
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.fields}


def table(model) -> list[dict]:
    return [row(instance) for instance in model.objects.order_by("pk")]


@pytest.mark.django_db(transaction=True)
def test_moving_the_chat_to_its_app_keeps_every_row_and_content_type(event_factory, user_factory):
    # Given a database from before the move, with a chat written by the models of then: a
    # room, a message with a reaction, a reply to it (edited), a deleted message, a mute, a
    # settled report; the admin's log of that report, and a staff group granted the chat's
    # permissions
    event = event_factory()
    ada, bob = user_factory(display_name="Ada"), user_factory(display_name="Bob")
    moderator = MembershipFactory(office=event.office, role=OfficeMembership.Role.MODERATOR).user
    moderator.groups.add(office_staff_group())
    ContentType.objects.get_for_models(*MOVED)
    migrate(BEFORE_THE_MOVE, NO_CHAT_APP)
    try:
        then = models_at(BEFORE_THE_MOVE)
        message = then.get_model("events", "ChatMessage")
        at = datetime.datetime(2031, 5, 4, 19, 30, 15, 123456, tzinfo=UTC)
        then.get_model("events", "ChatRoom").objects.create(event_id=event.pk, last_seq=3)
        hello = message.objects.create(
            event_id=event.pk,
            seq=1,
            author_id=ada.pk,
            body="Hello, Aktau! 👋",
            client_id="ada-1",
            reactions={"🎉": 1},
            revision=1,
        )
        reply = message.objects.create(
            event_id=event.pk,
            seq=2,
            author_id=bob.pk,
            body="Hi, Ada",
            client_id="bob-1",
            reply_to=hello,
            revision=1,
            edited_at=at,
        )
        message.objects.create(
            event_id=event.pk,
            seq=3,
            author_id=bob.pk,
            body="",
            client_id="bob-2",
            revision=1,
            deleted_at=at,
            deleted_by_id=moderator.pk,
        )
        then.get_model("events", "ChatReaction").objects.create(
            message=hello, user_id=bob.pk, emoji="🎉"
        )
        then.get_model("events", "ChatMute").objects.create(
            event_id=event.pk,
            user_id=bob.pk,
            until=at + datetime.timedelta(hours=1),
            reason="Shouting",
            muted_by_id=moderator.pk,
        )
        report = then.get_model("events", "ChatReport").objects.create(
            event_id=event.pk,
            message=reply,
            reporter_id=ada.pk,
            reason="Rude",
            status="DISMISSED",
            resolved_by_id=moderator.pk,
            resolved_at=at,
        )
        old_report_type = ContentType.objects.get(app_label="events", model="chatreport")
        LogEntry.objects.create(
            user=moderator,
            content_type=old_report_type,
            object_id=str(report.pk),
            object_repr="Report of #2",
            action_flag=CHANGE,
            change_message="Dismissed",
        )
        # A duplicate content type, as a run of migrate stopped after chat.0001 leaves one.
        old_mute_type = ContentType.objects.get(app_label="events", model="chatmute")
        ContentType.objects.create(app_label="chat", model="chatmute")
        before = {
            model.__name__: table(then.get_model("events", model.__name__)) for model in MOVED
        }
        old_types = {
            model._meta.model_name: ContentType.objects.get(
                app_label="events", model=model._meta.model_name
            ).pk
            for model in MOVED
        }
    finally:
        # When the move is deployed
        migrate()

    # Then every row reads the same through the chat app's models, relations included; a
    # column added since the move holds its default
    after = {model.__name__: table(model) for model in MOVED}
    assert {
        name: [{column: row_[column] for column in rows[0]} for row_ in after[name]]
        for name, rows in before.items()
    } == before
    assert {row_["author_pseudonym"] for row_ in after["ChatMessage"]} == {None}
    assert all(before.values())
    assert ChatMessage.objects.get(seq=2).reply_to.body == "Hello, Aktau! 👋"
    assert ChatReport.objects.get().message.reply_to.author == ada
    assert ChatReaction.objects.get().message.seq == 1
    assert event.chat_room.last_seq == 3
    assert [mute.user for mute in event.chat_mutes.all()] == [bob]
    # and the content types are the chat app's, the same rows as before
    ContentType.objects.clear_cache()
    assert {
        model._meta.model_name: ContentType.objects.get_for_model(model).pk for model in MOVED
    } == old_types
    assert not ContentType.objects.filter(app_label="events", model__startswith="chat")
    assert ContentType.objects.get_for_model(ChatMute).pk == old_mute_type.pk
    # so that the staff's permissions and the admin's log still name the chat's models.
    staff = get_user_model().objects.get(pk=moderator.pk)
    assert staff.has_perms(["chat.view_chatreport", "chat.change_chatreport"])
    assert staff.has_perms(["chat.view_chatmute", "chat.delete_chatmute"])
    assert LogEntry.objects.get().get_edited_object() == ChatReport.objects.get()


@pytest.mark.django_db(transaction=True)
def test_the_move_can_be_undone_and_done_again():
    # Given a chat message stored after the move
    hello = ChatMessageFactory(body="Hello")
    report_type = ContentType.objects.get_for_model(ChatReport).pk

    # When the move is undone, the events app's models of then read it, under their content
    # types of then
    migrate(BEFORE_THE_MOVE, NO_CHAT_APP)
    try:
        then = models_at(BEFORE_THE_MOVE)
        assert then.get_model("events", "ChatMessage").objects.get().body == "Hello"
        assert ContentType.objects.get(pk=report_type).app_label == "events"
    finally:
        # and done again
        migrate()

    # Then it is the chat app's again
    assert row(ChatMessage.objects.get()) == row(hello)
    assert ContentType.objects.get(pk=report_type).app_label == "chat"
