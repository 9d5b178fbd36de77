"""Every change to an event's chat. Each function checks who may act and validates before it
writes (invalid input writes nothing), runs in one transaction, and queues its broadcast for
after the commit (``chat.realtime``). The API and the admin both call these.

When a room is open follows from its event: from ``CHAT_OPENS_BEFORE_MINUTES`` before the start
until ``CHAT_CLOSES_AFTER_MINUTES`` after the end, for events that are public and not cancelled.
Drafts have no room; a cancelled event's room is closed (its history stays readable).
"""

import datetime
from enum import StrEnum

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from core import ratelimit
from core.error_codes import CommonErrorCode
from core.text import clean_text
from core.validators import instant
from events.models import Event
from events.permissions import require

from . import realtime
from .error_codes import ChatErrorCode
from .models import ChatMessage, ChatMute, ChatReaction, ChatReport, ChatRoom
from .payload import MessageChange
from .permissions import can_moderate_chat

Status = Event.Status
# Longest message, in characters after trimming.
MAX_BODY_LENGTH = 1000
# Longest clientId: room for a UUID in any spelling, and for a client's own prefix.
MAX_CLIENT_ID_LENGTH = ChatMessage._meta.get_field("client_id").max_length


def _error(field: str | None, message: str, code: ChatErrorCode, **params) -> ValidationError:
    if field is None:
        return ValidationError(message, code=code, params=params or None)
    return ValidationError({field: ValidationError(message, code=code, params=params or None)})


def _utc(moment: datetime.datetime) -> str:
    """A time as clients are told it in messages: ISO 8601 in UTC, to the second."""
    return moment.astimezone(datetime.UTC).replace(microsecond=0).isoformat()


# --- Rooms ---------------------------------------------------------------------------------


def has_room(event: Event) -> bool:
    """Whether the event has a chat room at all: every public event does, drafts do not."""
    return event.status != Status.DRAFT


def room_window(event: Event) -> tuple[datetime.datetime, datetime.datetime]:
    """When the event's room opens and closes."""
    opens = event.starts_at - datetime.timedelta(minutes=settings.CHAT_OPENS_BEFORE_MINUTES)
    closes = event.ends_at + datetime.timedelta(minutes=settings.CHAT_CLOSES_AFTER_MINUTES)
    return opens, closes


def is_open(event: Event, now: datetime.datetime | None = None) -> bool:
    """Whether people may send, edit and react in the event's room now."""
    if event.status not in (Status.ANNOUNCED, Status.POSTPONED):
        return False
    opens, closes = room_window(event)
    return opens <= (now or timezone.now()) < closes


def _require_open(event: Event, now: datetime.datetime) -> None:
    if not has_room(event):
        raise _error(
            None, gettext_noop("This event has no chat: it is a draft."), ChatErrorCode.NO_CHAT_ROOM
        )
    if event.status == Status.CANCELLED:
        raise _error(
            None,
            gettext_noop("The event is cancelled; its chat is closed."),
            ChatErrorCode.CHAT_CLOSED,
        )
    opens, closes = room_window(event)
    if now < opens:
        raise _error(
            None,
            gettext_noop("The chat opens at %(time)s."),
            ChatErrorCode.CHAT_CLOSED,
            time=_utc(opens),
        )
    if now >= closes:
        raise _error(
            None,
            gettext_noop("The chat closed at %(time)s."),
            ChatErrorCode.CHAT_CLOSED,
            time=_utc(closes),
        )


def _locked_room(event: Event) -> ChatRoom:
    """The event's room row, locked until the transaction ends; made on the first message."""
    rooms = ChatRoom.objects.select_for_update()
    room = rooms.filter(pk=event.pk).first()
    if room is None:
        # Two first messages at once: both insert, one insert does nothing, both then lock the
        # one row.
        ChatRoom.objects.bulk_create([ChatRoom(event=event)], ignore_conflicts=True)
        room = rooms.get(pk=event.pk)
    return room


# --- Checks --------------------------------------------------------------------------------


def _clean_body(body: str) -> str:
    # A body of zero-width spaces or other invisible characters is no message.
    body = clean_text(body)
    if not body:
        raise _error("body", gettext_noop("Write something."), ChatErrorCode.TOO_SHORT)
    if len(body) > MAX_BODY_LENGTH:
        raise _error(
            "body",
            gettext_noop("At most %(limit)s characters (%(given)s given)."),
            ChatErrorCode.TOO_LONG,
            limit=f"{MAX_BODY_LENGTH:,}",
            given=f"{len(body):,}",
        )
    return body


def _clean_client_id(client_id: str) -> str:
    client_id = clean_text(client_id)
    if not client_id:
        raise _error(
            "client_id",
            gettext_noop("Give each message a key of the client's."),
            ChatErrorCode.REQUIRED,
        )
    if len(client_id) > MAX_CLIENT_ID_LENGTH:
        raise _error(
            "client_id",
            gettext_noop("At most %(limit)s characters."),
            ChatErrorCode.TOO_LONG,
            limit=MAX_CLIENT_ID_LENGTH,
        )
    return client_id


def _require_not_muted(user, event: Event, now: datetime.datetime) -> None:
    mute = ChatMute.objects.filter(event=event, user=user, until__gt=now).first()
    if mute is not None:
        raise _error(
            None,
            gettext_noop("You are muted in this chat until %(time)s."),
            ChatErrorCode.MUTED,
            time=_utc(mute.until),
        )


def _count_against_limit(user, event: Event, what: str) -> None:
    wait = ratelimit.hit(
        f"chat:{what}:{event.pk}:{user.pk}", ratelimit.Rate.parse(settings.CHAT_RATE)
    )
    if wait is not None:
        raise ratelimit.RateLimited(wait)


def _stored(event: Event, user, client_id: str) -> ChatMessage | None:
    return (
        ChatMessage.objects.select_related("author__avatar", "reply_to__author__avatar")
        .filter(event=event, author=user, client_id=client_id)
        .first()
    )


# --- Messages ------------------------------------------------------------------------------


@transaction.atomic
def send_message(user, event: Event, body: str, client_id: str, reply_to=None) -> ChatMessage:
    """Post a message to the event's room, numbered after every message committed before it.

    ``client_id`` makes it idempotent: a retried send (the same author, event and key) returns
    the stored message, broadcasts nothing and is not counted against the rate limit, however
    the retry races the first attempt.
    """
    require(user.is_authenticated and user.is_active, gettext_noop("Sign in to chat."))
    client_id = _clean_client_id(client_id)
    stored = _stored(event, user, client_id)
    if stored is not None:
        return stored
    body = _clean_body(body)
    now = timezone.now()
    _require_open(event, now)
    _require_not_muted(user, event, now)
    if reply_to is not None and reply_to.event_id != event.pk:
        raise _error("reply_to", gettext_noop("Reply to a message of the same chat."), "NOT_FOUND")
    room = _locked_room(event)
    # A retry that raced the first attempt waited for the lock above; the first one has
    # committed by now, and this finds it.
    stored = _stored(event, user, client_id)
    if stored is not None:
        return stored
    _count_against_limit(user, event, "send")
    room.last_seq += 1
    room.save(update_fields=["last_seq"])
    message = ChatMessage.objects.create(
        event=event,
        seq=room.last_seq,
        author=user,
        body=body,
        client_id=client_id,
        reply_to=reply_to,
    )
    realtime.message_changed(message, MessageChange.CREATED)
    return message


def _locked_message(message: ChatMessage) -> ChatMessage:
    """The message's row, locked until the transaction ends, with what its broadcast shows."""
    return (
        ChatMessage.objects.select_for_update(of=("self",))
        .select_related("event", "author__avatar", "reply_to__author__avatar")
        .get(pk=message.pk)
    )


def _require_not_deleted(message: ChatMessage) -> None:
    if message.deleted_at is not None:
        raise _error(None, gettext_noop("This message was deleted."), ChatErrorCode.MESSAGE_DELETED)


@transaction.atomic
def edit_message(user, message: ChatMessage, body: str) -> ChatMessage:
    """Change the body of one's own message while the room is open. The same body again
    changes nothing and broadcasts nothing."""
    message = _locked_message(message)
    require(
        user.is_authenticated and message.author_id == user.pk,
        gettext_noop("Only its author edits a message."),
    )
    _require_not_deleted(message)
    body = _clean_body(body)
    now = timezone.now()
    _require_open(message.event, now)
    _require_not_muted(user, message.event, now)
    if body == message.body:
        return message
    message.body, message.edited_at = body, now
    message.revision += 1
    message.save(update_fields=["body", "edited_at", "revision"])
    realtime.message_changed(message, MessageChange.EDITED)
    return message


@transaction.atomic
def delete_message(user, message: ChatMessage) -> ChatMessage:
    """Delete a message: its author may, and so may the event's moderators, at any time. The
    message stays as a tombstone without body or reactions, and the deletion is broadcast.
    Deleting a deleted message changes nothing."""
    message = _locked_message(message)
    require(
        user.is_authenticated
        and (message.author_id == user.pk or can_moderate_chat(user, message.event)),
        gettext_noop("Only its author and the event's moderators delete a message."),
    )
    if message.deleted_at is not None:
        return message
    now = timezone.now()
    message.body, message.reactions = "", {}
    message.deleted_at, message.deleted_by = now, user
    message.revision += 1
    message.save(update_fields=["body", "reactions", "deleted_at", "deleted_by", "revision"])
    ChatReaction.objects.filter(message=message).delete()
    # Reports of it are settled: what they asked for has happened.
    ChatReport.objects.filter(message=message, status=ChatReport.Status.OPEN).update(
        status=ChatReport.Status.MESSAGE_DELETED, resolved_by=user, resolved_at=now
    )
    realtime.message_changed(message, MessageChange.DELETED)
    return message


# --- Reactions -----------------------------------------------------------------------------


def offered_reaction(emoji: str) -> str:
    """``emoji`` as one of ``CHAT_REACTIONS``, or INVALID_REACTION. Some keyboards drop the
    variation selector that makes ❤ an emoji (❤️); it is restored."""
    emoji = (emoji or "").strip()
    offered = settings.CHAT_REACTIONS
    for candidate in (emoji, f"{emoji}\ufe0f"):
        if candidate in offered:
            return candidate
    raise _error(
        "emoji",
        gettext_noop("React with one of %(emoji)s."),
        ChatErrorCode.INVALID_REACTION,
        emoji=" ".join(offered),
    )


@transaction.atomic
def toggle_reaction(user, message: ChatMessage, emoji: str) -> ChatMessage:
    """Add the user's reaction with ``emoji`` to a message, or take it back if it is there.

    The message's row is locked while its counts change, so concurrent toggles never lose one;
    the new counts are broadcast.
    """
    require(user.is_authenticated and user.is_active, gettext_noop("Sign in to chat."))
    emoji = offered_reaction(emoji)
    message = _locked_message(message)
    _require_not_deleted(message)
    now = timezone.now()
    _require_open(message.event, now)
    _require_not_muted(user, message.event, now)
    _count_against_limit(user, message.event, "react")
    removed, _ = ChatReaction.objects.filter(message=message, user=user, emoji=emoji).delete()
    if not removed:
        ChatReaction.objects.create(message=message, user=user, emoji=emoji)
    counts = dict(message.reactions or {})
    counts[emoji] = counts.get(emoji, 0) + (-1 if removed else 1)
    message.reactions = {key: count for key, count in counts.items() if count > 0}
    message.revision += 1
    message.save(update_fields=["reactions", "revision"])
    realtime.message_changed(message, MessageChange.REACTIONS)
    return message


@transaction.atomic
def withdraw_reactions(user) -> None:
    """Take back every reaction of ``user``, whose account is being deleted: each message's
    counts drop by theirs, under the message's row lock as a toggle would, and its room hears
    the new counts once the deletion commits (the user's own messages without their author,
    as they then are)."""
    reacted = (
        ChatReaction.objects.filter(user=user)
        .order_by("message_id")
        .values_list("message_id", flat=True)
        .distinct()
    )
    for message_id in list(reacted):
        message = _locked_message(ChatMessage(pk=message_id))
        emojis = list(
            ChatReaction.objects.filter(message=message, user=user).values_list("emoji", flat=True)
        )
        ChatReaction.objects.filter(message=message, user=user).delete()
        counts = dict(message.reactions or {})
        for emoji in emojis:
            counts[emoji] = counts.get(emoji, 0) - 1
        message.reactions = {key: count for key, count in counts.items() if count > 0}
        message.revision += 1
        message.save(update_fields=["reactions", "revision"])
        # Heard as it will be once the deletion commits: without the user as its author, or
        # as the author of the message it quotes.
        if message.author_id == user.pk:
            message.author = None
        if message.reply_to_id is not None and message.reply_to.author_id == user.pk:
            message.reply_to.author = None
        realtime.message_changed(message, MessageChange.REACTIONS)


# --- Moderation ----------------------------------------------------------------------------

MODERATE_DENIED = gettext_noop("Only the event's moderators do this.")


def _require_moderator(user, event: Event) -> None:
    require(can_moderate_chat(user, event), MODERATE_DENIED)


@transaction.atomic
def mute_user(moderator, event: Event, user, minutes: int, reason: str = "") -> ChatMute:
    """Keep ``user`` from sending, editing and reacting in the event's chat for ``minutes``.
    Muting someone already muted sets the new end (shorter or longer)."""
    _require_moderator(moderator, event)
    if not has_room(event):
        raise _error(
            None, gettext_noop("This event has no chat: it is a draft."), ChatErrorCode.NO_CHAT_ROOM
        )
    longest = settings.CHAT_MAX_MUTE_MINUTES
    if not 1 <= minutes <= longest:
        raise _error(
            "minutes",
            gettext_noop("Mute for 1 to %(limit)s minutes."),
            ChatErrorCode.OUT_OF_RANGE,
            limit=f"{longest:,}",
        )
    reason = clean_text(reason)
    limit = ChatMute._meta.get_field("reason").max_length
    if len(reason) > limit:
        raise _error(
            "reason",
            gettext_noop("At most %(limit)s characters."),
            ChatErrorCode.TOO_LONG,
            limit=limit,
        )
    try:
        # CHAT_MAX_MUTE_MINUTES is the operator's; the end must still be a time the system holds.
        until = instant(timezone.now() + datetime.timedelta(minutes=minutes))
    except (ValidationError, OverflowError):
        raise _error(
            "minutes",
            gettext_noop("The mute would end too late."),
            CommonErrorCode.DATE_OUT_OF_RANGE,
        ) from None
    mute, _ = ChatMute.objects.update_or_create(
        event=event,
        user=user,
        defaults={
            "until": until,
            "reason": reason,
            "muted_by": moderator,
        },
    )
    return mute


@transaction.atomic
def unmute_user(moderator, event: Event, user) -> None:
    """Lift ``user``'s mute in the event's chat; nothing happens if there is none."""
    _require_moderator(moderator, event)
    ChatMute.objects.filter(event=event, user=user).delete()


@transaction.atomic
def report_message(user, message: ChatMessage, reason: str) -> ChatReport:
    """Report a message to the event's moderators. A user reports a message once: reporting
    it again answers with the first report."""
    require(user.is_authenticated and user.is_active, gettext_noop("Sign in to report."))
    reported = ChatReport.objects.filter(message=message, reporter=user).first()
    if reported is not None:
        return reported
    reason = clean_text(reason)
    limit = ChatReport._meta.get_field("reason").max_length
    if not reason:
        raise _error(
            "reason", gettext_noop("Say what is wrong with the message."), ChatErrorCode.REQUIRED
        )
    if len(reason) > limit:
        raise _error(
            "reason",
            gettext_noop("At most %(limit)s characters."),
            ChatErrorCode.TOO_LONG,
            limit=limit,
        )
    _require_not_deleted(message)
    report, _ = ChatReport.objects.get_or_create(
        message=message, reporter=user, defaults={"event_id": message.event_id, "reason": reason}
    )
    return report


class ReportAction(StrEnum):
    """What a moderator does about a report."""

    DISMISS = "DISMISS"
    DELETE_MESSAGE = "DELETE_MESSAGE"

    @property
    def description(self) -> str:
        """What the action does, as moderators are told it."""
        return {
            ReportAction.DISMISS: "Nothing wrong: close the report.",
            ReportAction.DELETE_MESSAGE: "Delete the message; every open report of it closes.",
        }[self]


@transaction.atomic
def resolve_report(moderator, report: ChatReport, action: ReportAction) -> ChatReport:
    """Settle an open report: dismiss it, or delete the message (which settles every open
    report of it). A settled report stays as it was."""
    report = (
        ChatReport.objects.select_for_update(of=("self",))
        .select_related("event", "message")
        .get(pk=report.pk)
    )
    _require_moderator(moderator, report.event)
    if report.status != ChatReport.Status.OPEN:
        return report
    if action == ReportAction.DELETE_MESSAGE:
        delete_message(moderator, report.message)
        report.refresh_from_db()
        return report
    report.status = ChatReport.Status.DISMISSED
    report.resolved_by, report.resolved_at = moderator, timezone.now()
    report.save(update_fields=["status", "resolved_by", "resolved_at"])
    return report
