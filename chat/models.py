"""The chat of an event: its room, messages, reactions, mutes and reports.

A room is a row per event that has had a message; its ``last_seq`` is the sequence number of the
newest message. Sending locks that row while it numbers the message, so within a room the
numbers follow the order in which the messages commit: a client that has seen message ``n``
has seen every message before it, which is what lets it catch up from a cursor and lose
nothing. When the room opens and closes follows from the event (``chat.services``); the row
holds nothing else.

The tables keep the names they had when the chat lived in the events app (``events_chat…``):
moving the models to this app moved no row.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.display_names import name_with_tag
from core.error_codes import CommonErrorCode
from core.validators import INSTANTS, in_window, validate_instant, validate_visible
from core.wall_clock import wall_clock


class ChatRoom(models.Model):
    """The numbering of one event's messages; created with the first message."""

    event = models.OneToOneField(
        "events.Event", on_delete=models.CASCADE, primary_key=True, related_name="chat_room"
    )
    # The seq of the newest message: sends lock this row to take the next number.
    last_seq = models.PositiveBigIntegerField(default=0)

    class Meta:
        db_table = "events_chatroom"

    def __str__(self):
        return f"Chat of event {self.event_id}"


class ChatMessage(models.Model):
    """One message of an event's chat. A deleted message stays as a tombstone (body removed),
    so that the numbering has no holes and replies keep their place."""

    event = models.ForeignKey(
        "events.Event", on_delete=models.CASCADE, related_name="chat_messages"
    )
    # 1, 2, 3… within the event, in commit order (see the module's docstring).
    seq = models.PositiveBigIntegerField()
    # Null once the account is deleted; the message stays, without its author.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Set when the author deletes their account, never before: a random key made at the
    # deletion, the same on all of that account's messages and on the blocks of it
    # (``accounts.UserBlock.blocked_pseudonym``), so that those who blocked the author go on
    # not seeing them. It names no one: nothing else holds it.
    author_pseudonym = models.UUIDField(null=True, blank=True, editable=False)
    # Empty only once deleted: the send service refuses a message that shows nothing.
    body = models.TextField(blank=True, validators=[validate_visible])
    reply_to = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The sender's key for this message: a retried send with the same key returns this row.
    client_id = models.CharField(max_length=64)
    # Counts per emoji, kept by the reaction service under the message's row lock, so that
    # history and broadcasts carry them without counting: {"👍": 3, "🎉": 1}.
    reactions = models.JSONField(default=dict, blank=True)
    # Bumped by every change after the message was sent (edit, deletion, reaction), under its
    # row lock: of two broadcasts about it that arrive out of order, subscribers keep the newer.
    revision = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        db_table = "events_chatmessage"
        ordering = ["event", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["event", "seq"], name="chat_message_unique_seq"),
            models.UniqueConstraint(
                fields=["event", "author", "client_id"], name="chat_message_unique_client_id"
            ),
        ]

    def __str__(self):
        return f"#{self.seq} in event {self.event_id}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class ChatReaction(models.Model):
    """One user's reaction with one emoji to one message (toggled on and off)."""

    message = models.ForeignKey(ChatMessage, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    emoji = models.CharField(max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "events_chatreaction"
        constraints = [
            models.UniqueConstraint(
                fields=["message", "user", "emoji"], name="chat_reaction_unique"
            )
        ]

    def __str__(self):
        return f"{self.emoji} on {self.message_id}"


class ChatMute(models.Model):
    """A user muted in one event's chat by a moderator, until a time: their sends fail with
    MUTED. Muting again replaces the time; unmuting deletes the row."""

    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="chat_mutes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    until = models.DateTimeField(validators=[validate_instant])
    reason = models.CharField(max_length=300, blank=True, validators=[validate_visible])
    muted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "events_chatmute"
        constraints = [
            models.UniqueConstraint(fields=["event", "user"], name="chat_mute_unique_user"),
            models.CheckConstraint(
                condition=in_window("until"),
                name="chat_mute_until_in_window",
                violation_error_code=CommonErrorCode.DATE_OUT_OF_RANGE.value,
                violation_error_message=f"Give a time {INSTANTS.in_words()}.",
            ),
        ]

    def __str__(self):
        # Labelled with its zone, like every time the admin shows (this one is its title).
        # The person by name and tag, as moderators of an office read them (never an e-mail).
        return (
            f"{name_with_tag(self.user)} muted in event {self.event_id} "
            f"until {wall_clock(self.until, 'UTC')}"
        )


class ChatReport(models.Model):
    """A user's report of a message to the event's moderators; one per user and message."""

    class Status(models.TextChoices):
        OPEN = "OPEN", _("Open")
        DISMISSED = "DISMISSED", _("Dismissed")
        MESSAGE_DELETED = "MESSAGE_DELETED", _("Message deleted")

    # The event too, so that a moderator's list is one indexed filter.
    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="chat_reports")
    message = models.ForeignKey(ChatMessage, on_delete=models.CASCADE, related_name="reports")
    # Null once the reporter deleted their account: the report stays for the moderators.
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reason = models.CharField(max_length=500, validators=[validate_visible])
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "events_chatreport"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["event", "status"], name="chat_report_event_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["message", "reporter"], name="chat_report_unique_reporter"
            )
        ]

    def __str__(self):
        if self.reporter_id is None:
            return f"Report of {self.message} by a deleted account"
        return f"Report of {self.message} by {name_with_tag(self.reporter)}"
