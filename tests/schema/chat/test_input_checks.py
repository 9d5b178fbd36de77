"""The chat's texts and times as the rest of the system takes them: a text that shows nothing
counts as empty, real text in every language and emoji sequences are kept exactly as written,
and a mute never ends outside the times the system holds."""

import pytest

from chat.models import ChatMessage, ChatMute, ChatReport

from .conftest import gid, send_as

ERRORS = "errors { field code message }"
EDIT = f"""
mutation Edit($message: ID!, $body: String!) {{
  chatMessageEdit(message: $message, body: $body) {{ message {{ body }} {ERRORS} }}
}}
"""
MUTE = f"""
mutation Mute($event: ID!, $user: ID!, $minutes: Int!, $reason: String) {{
  chatUserMute(event: $event, user: $user, minutes: $minutes, reason: $reason) {{
    mute {{ until reason }} {ERRORS}
  }}
}}
"""
REPORT = f"""
mutation Report($message: ID!, $reason: String!) {{
  chatMessageReport(message: $message, reason: $reason) {{ report {{ reason }} {ERRORS} }}
}}
"""

INVISIBLE = [
    "\u200b",
    "\u200b\u200c\u200d\u2060\ufeff",
    " \u200e\u200f \u061c ",
    "\u2800\u3164",
    "\u202e\u2066\u2069",
]
# Kept exactly as typed: right-to-left marks and a zero-width non-joiner inside Urdu, Kazakh and
# Russian letters, a family and a flag made of several code points joined by ZWJ, and the
# variation selector that makes ❤ an emoji.
REAL = [
    "\u200fگوادر کی بندرگاہ\u200c میں جشن!\u200f",
    "Ақтау, қош келдіңіз!",
    "Добро пожаловать",
    "👩\u200d👩\u200d👧\u200d👦",
    "🏳\ufe0f\u200d🌈 ❤\ufe0f",
]


def payload(result, name):
    assert "errors" not in result, result
    return result["data"][name]


@pytest.mark.parametrize("body", INVISIBLE)
def test_a_message_of_invisible_characters_is_too_short_and_not_stored(gql, room, ada, body):
    sent = send_as(gql, ada, room, body)

    assert sent["message"] is None
    assert [(e["field"], e["code"]) for e in sent["errors"]] == [("body", "TOO_SHORT")]
    assert not ChatMessage.objects.exists()


@pytest.mark.parametrize("body", REAL)
def test_real_text_and_emoji_sequences_are_stored_as_written(gql, room, ada, body):
    sent = send_as(gql, ada, room, f" {body}\u200b\n")

    assert sent["errors"] == []
    assert sent["message"]["body"] == body
    assert ChatMessage.objects.get().body == body


def test_an_edit_to_invisible_characters_is_refused_and_changes_nothing(gql, room, ada):
    sent = send_as(gql, ada, room, "Hello")["message"]

    edited = payload(
        gql(EDIT, {"message": sent["id"], "body": "\u200b\u200b"}, user=ada), "chatMessageEdit"
    )

    assert [(e["field"], e["code"]) for e in edited["errors"]] == [("body", "TOO_SHORT")]
    assert ChatMessage.objects.get().body == "Hello"


def test_an_invisible_client_id_is_missing(gql, room, ada):
    sent = send_as(gql, ada, room, "Hello", client_id="\u200b")

    assert [(e["field"], e["code"]) for e in sent["errors"]] == [("clientId", "REQUIRED")]
    assert not ChatMessage.objects.exists()


def test_an_invisible_report_reason_is_missing(gql, room, ada, bob, message_factory):
    said = message_factory(event=room, author=ada, body="Buy now")

    result = gql(REPORT, {"message": gid(said), "reason": "\u200b \u2060"}, user=bob)

    errors = payload(result, "chatMessageReport")["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("reason", "REQUIRED")]
    assert not ChatReport.objects.exists()


def test_an_invisible_mute_reason_is_kept_as_none(gql, room, ada, moderator):
    variables = {"event": gid(room), "user": gid(ada), "minutes": 10, "reason": "\u200b"}

    muted = payload(gql(MUTE, variables, user=moderator), "chatUserMute")

    assert muted["errors"] == []
    assert muted["mute"]["reason"] == ""


def test_an_invisible_display_name_shows_as_no_name(gql, room, user_factory):
    ghost = user_factory(display_name="\u200b\u200b")

    sent = send_as(gql, ghost, room, "Boo")

    assert sent["message"]["author"]["displayName"] == f"User {ghost.pk}"


def test_a_mute_cannot_end_after_the_times_the_system_holds(gql, room, ada, moderator, settings):
    # An operator may allow long mutes; their end must still be a time the system can hold.
    settings.CHAT_MAX_MUTE_MINUTES = 2**31 - 1
    variables = {"event": gid(room), "user": gid(ada), "minutes": 2**31 - 1}

    muted = payload(gql(MUTE, variables, user=moderator), "chatUserMute")

    assert muted["mute"] is None
    assert [(e["field"], e["code"]) for e in muted["errors"]] == [("minutes", "DATE_OUT_OF_RANGE")]
    assert not ChatMute.objects.exists()
