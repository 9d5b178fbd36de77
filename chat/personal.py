"""What the chat holds about a person, for deleting an account and exporting its data (the
registry of ``accounts.personal_data``).

What people said stays readable in the rooms after they leave: their messages stay, shown as a
deleted account's, and so do their reports, for the moderators. Their reactions are taken back
(the counts drop with them) and their mutes go."""

from accounts.personal_data import anonymise, delete, export, register, service

from .services import withdraw_reactions

MODERATOR = "the moderator who did it: another person"

register(
    "chat.ChatMessage",
    # The key the client chose for the message goes with the author: it could say who. The
    # messages take the account's pseudonym, as the blocks of it do (accounts.personal): those
    # who blocked the author go on not seeing them.
    author=anonymise(client_id="", pseudonym="author_pseudonym"),
    deleted_by=anonymise(),
    export=export(
        "chatMessages",
        by="author",
        fields=(
            "event_id",
            "event__title_en",
            "seq",
            "body",
            "reply_to_id",
            "created_at",
            "edited_at",
            "deleted_at",
        ),
        omitted={
            "client_id": "the key your app sent the message with, for retries",
            "reactions": "everyone's reactions, counted; yours are in chatReactions",
            "revision": "a counter of changes, for the app",
            "deleted_by": MODERATOR,
            "author_pseudonym": "empty while your account exists",
        },
    ),
)

register(
    "chat.ChatReaction",
    user=service(withdraw_reactions),
    export=export(
        "chatReactions",
        by="user",
        fields=("message_id", "message__event_id", "emoji", "created_at"),
    ),
)

register(
    "chat.ChatMute",
    user=delete(),
    muted_by=anonymise(),
    export=export(
        "chatMutes",
        by="user",
        fields=("event_id", "event__title_en", "until", "reason", "created_at"),
        omitted={"muted_by": MODERATOR},
    ),
)

register(
    "chat.ChatReport",
    # The report stays for the event's moderators, without its reporter.
    reporter=anonymise(),
    resolved_by=anonymise(),
    export=export(
        "chatReports",
        by="reporter",
        fields=("event_id", "message_id", "reason", "status", "created_at", "resolved_at"),
        omitted={"resolved_by": MODERATOR},
    ),
)
