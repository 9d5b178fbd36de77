"""Error codes of the chat; clients see them in `errors[].code`."""

from enum import StrEnum


class ChatErrorCode(StrEnum):
    # The event has no room: it is a draft.
    NO_CHAT_ROOM = "NO_CHAT_ROOM"
    # The room is not open now (before its window, after it, or the event is cancelled).
    CHAT_CLOSED = "CHAT_CLOSED"
    # A moderator muted the sender in this room; the message says until when.
    MUTED = "MUTED"
    TOO_SHORT = "TOO_SHORT"
    TOO_LONG = "TOO_LONG"
    REQUIRED = "REQUIRED"
    INVALID_REACTION = "INVALID_REACTION"
    # The message was deleted: it can no longer be edited, reacted to or reported.
    MESSAGE_DELETED = "MESSAGE_DELETED"
    OUT_OF_RANGE = "OUT_OF_RANGE"
