"""`me { export }`: everything held about the viewer as JSON, section by section as the registry
of personal data declares it, never a secret, at a cost that does not grow with what it finds."""

import json
import re
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import deletion, personal_data
from accounts import services as account_services
from accounts.export import WITHHELD
from accounts.models import UserBlock
from core.ratelimit import Rate
from tests.accounts.everything import (
    CLIENT_IDS,
    EMAIL,
    FIREBASE_UID,
    NAME,
    PHONE,
    PK,
    TABLET,
    make_everything,
)
from tests.factories import ChatMessageFactory

EXPORT = "{ me { export } }"


def declared_sections() -> set[str]:
    return {
        entry.export.section
        for entry in personal_data.entries()
        if isinstance(entry.export, personal_data.Export)
    }


def export_of(gql, user) -> dict:
    answer = gql(EXPORT, user=user)
    assert "errors" not in answer, answer
    return json.loads(answer["data"]["me"]["export"])


@pytest.fixture
def world(db, client, committing, settings):
    settings.CHAT_RATE = "0/s"
    return make_everything(client, committing)


def test_the_export_holds_everything_about_the_viewer(gql, world):
    exported = export_of(gql, world.person)
    sections = exported["sections"]

    # Every section the registry declares, and nothing else
    assert set(sections) == declared_sections()
    assert exported["format"] == "twinning-account-export/1"

    profile = sections["profile"]
    assert (profile["id"], profile["email"], profile["displayName"]) == (PK, EMAIL, NAME)
    assert profile["firebaseUid"] == FIREBASE_UID
    assert (profile["language"], profile["mutedCategories"]) == ("kk", ["SPORTS"])
    assert (profile["quietHoursStart"], profile["quietHoursEnd"]) == ("23:00:00", "06:00:00")
    assert profile["listedAsAttendee"] is True
    # The calendar feed: that there is one, not its secret.
    assert profile["calendarToken"] == WITHHELD

    assert {d["token"] for d in sections["devices"]} == {PHONE, TABLET}
    assert {t["topic"] for t in sections["pushTopics"]} == {
        f"city-{world.city.pk}-kk",
        f"twinning-{world.pair.pk}-kk",
    }
    assert {p["deviceToken"] for p in sections["pushes"]} == {PHONE, TABLET}
    assert [c["cityNameEn"] for c in sections["followedCities"]] == ["Aktau"]
    assert [t["twinningId"] for t in sections["followedTwinnings"]] == [world.pair.pk]
    assert sorted((r["eventId"], r["status"]) for r in sections["rsvps"]) == sorted(
        [(world.concert.pk, "GOING"), (world.talk.pk, "INTERESTED")]
    )
    assert [(m["body"], m["replyToId"]) for m in sections["chatMessages"]] == [
        ("See you at the quay", None),
        ("Thanks!", world.other_said.pk),
    ]
    assert sorted((r["messageId"], r["emoji"]) for r in sections["chatReactions"]) == sorted(
        [(world.other_said.pk, "👍"), (world.said.pk, "🎉")]
    )
    assert [(r["messageId"], r["reason"]) for r in sections["chatReports"]] == [
        (world.other_said.pk, "Off topic")
    ]
    assert [m["reason"] for m in sections["chatMutes"]] == ["Cool down"]
    # One session per sign-in, however often it was refreshed.
    assert len(sections["sessions"]) == 1
    assert sections["sessions"][0]["lastRefreshedAt"] is not None
    assert [i["role"] for i in sections["officeInvitations"]] == ["EDITOR"]
    assert sections["officeRoles"] == []
    assert [g["groupName"] for g in sections["groups"]] == ["City office staff"]
    assert len(sections["adminLog"]) == 1
    assert [(b["blockedId"], b["blockedAccountDeleted"]) for b in sections["blocks"]] == [
        (world.moderator.pk, False)
    ]

    # And in words, what is left out and why
    assert "clientId" in exported["omitted"]["chatMessages"]
    assert "events.StateChange" in exported["notExported"]
    assert "events.RsvpChange" in exported["notExported"]


def test_the_export_holds_no_secret_and_nothing_of_anyone_else(gql, world):
    text = gql(EXPORT, user=world.person)["data"]["me"]["export"]

    for secret in [
        world.calendar_token,
        world.password_hash,
        *world.refresh_tokens,
        *(world.needles()[f"refresh token {n}'s hash"] for n in range(2)),
        *CLIENT_IDS,
    ]:
        assert secret not in text
    # The other person's message and report are theirs.
    assert "Welcome, all" not in text and "Spam" not in text
    assert world.other.email not in text


def test_a_block_of_an_account_deleted_since_is_exported_as_such(gql, user_factory):
    # Given Ada, who blocks Bob and Carol; Carol deletes her account
    ada, bob, carol = user_factory(), user_factory(), user_factory()
    for person in (bob, carol):
        account_services.block_user(ada, person)
    ChatMessageFactory(author=carol)
    deletion.delete_account(carol, signed_in_at=timezone.now())

    # When Ada exports her data
    exported = export_of(gql, ada)

    # Then her blocks say which is of an account deleted since, without its pseudonym
    assert [
        (b["blockedId"], b["blockedAccountDeleted"]) for b in exported["sections"]["blocks"]
    ] == [
        (bob.pk, False),
        (None, True),
    ]
    assert "blockedPseudonym" in exported["omitted"]["blocks"]
    pseudonym = str(UserBlock.objects.get(blocked=None).blocked_pseudonym)
    assert pseudonym not in json.dumps(exported)


def test_the_export_is_a_query_per_section_whatever_it_holds(gql, user_factory, event_factory):
    light, heavy = user_factory(), user_factory()
    event = event_factory()
    for number in range(30):
        ChatMessageFactory(event=event, author=heavy, body=f"Message {number}")

    with CaptureQueriesContext(connection) as few:
        export_of(gql, light)
    with CaptureQueriesContext(connection) as many:
        exported = export_of(gql, heavy)

    assert len(exported["sections"]["chatMessages"]) == 30
    assert len(many) == len(few)


def test_exports_are_limited_per_user(gql, user_factory, settings):
    settings.ACCOUNT_EXPORT_RATE = Rate.parse("2/h")
    ada, bo = user_factory(), user_factory()
    export_of(gql, ada)
    export_of(gql, ada)

    answer = gql(EXPORT, user=ada)

    assert answer["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert answer["errors"][0]["extensions"]["retryAfter"] >= 1
    # Someone else's exports are counted apart.
    export_of(gql, bo)


def test_a_refused_export_nulls_the_export_alone(gql, user_factory, settings):
    # Given someone who has used up their exports
    settings.ACCOUNT_EXPORT_RATE = Rate.parse("1/h")
    ada = user_factory(display_name="Ada")
    export_of(gql, ada)

    # When they ask for their name and an export at once
    answer = gql("{ me { displayName export } }", user=ada)

    # Then the name is answered and the export is null, with the error at its path
    assert answer["data"] == {"me": {"displayName": "Ada", "export": None}}
    [error] = answer["errors"]
    assert error["path"] == ["me", "export"]
    assert error["extensions"]["code"] == "RATE_LIMITED"


def test_the_readme_lists_the_sections_the_registry_declares():
    # README, "Leaving": the paragraph on the export names each section in `backticks`
    # between "holds `sections`" and "Beside them".
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    paragraph = readme[readme.index("**The export** (`me { export }`") :]
    listed = paragraph[paragraph.index("holds `sections`") : paragraph.index("Beside them")]
    documented = set(re.findall(r"`(\w+)`", listed)) - {"sections"}

    assert documented == declared_sections()


def test_signed_out_there_is_nothing_to_export(gql, db):
    assert gql(EXPORT) == {"data": {"me": None}}
