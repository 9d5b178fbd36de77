"""accountDelete: who may delete their account and when (a recent sign-in, no office role, not a
superuser), what a deleted account looks like in the chat, and what a Firebase token of a
deleted account can still do (nothing: it does not make the account again)."""

import datetime
import time
import uuid

import jwt
import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from graphql_relay import to_global_id

from accounts import deletion, tokens
from accounts.models import DeletedAccount, User
from chat import services as chat_services
from cities.models import CityFollow, OfficeMembership
from events import services as event_services
from events.models import Rsvp
from tests.factories import ChatMessageFactory, MembershipFactory

ACCOUNT_DELETE = "mutation { accountDelete { errors { field code message } } }"
ME = "{ me { email displayName } }"
HISTORY = """
query($event: ID!) {
  event(id: $event) {
    chatMessages(last: 10) {
      edges { node { body isDeleted authorDeleted author { id displayName } } }
    }
  }
}
"""
PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


def access_token(user, signed_in_minutes_ago: float) -> str:
    """An access token of the backend's own sign-in, signed in that long ago."""
    signed_in = timezone.now() - datetime.timedelta(minutes=signed_in_minutes_ago)
    token, _ = tokens.issue_access_token(user, uuid.uuid4(), signed_in)
    return token


def errors_of(answer) -> list[tuple]:
    return [(e["field"], e["code"]) for e in answer["data"]["accountDelete"]["errors"]]


# --- A recent sign-in ---------------------------------------------------------------------------
def test_a_recent_sign_in_deletes_the_account(gql, user_factory, city_factory):
    ada = user_factory(email="ada@example.org")
    CityFollow.objects.create(user=ada, city=city_factory())

    answer = gql(ACCOUNT_DELETE, token=access_token(ada, signed_in_minutes_ago=4))

    assert answer == {"data": {"accountDelete": {"errors": []}}}
    assert not User.objects.filter(pk=ada.pk).exists()
    assert not CityFollow.objects.exists()


def test_an_old_sign_in_must_sign_in_again_and_nothing_is_deleted(gql, user_factory, settings):
    settings.ACCOUNT_DELETION_SIGN_IN_SECONDS = 300
    ada = user_factory(email="ada@example.org")

    answer = gql(ACCOUNT_DELETE, token=access_token(ada, signed_in_minutes_ago=6))

    assert errors_of(answer) == [(None, "REAUTHENTICATION_REQUIRED")]
    assert "5 minutes" in answer["data"]["accountDelete"]["errors"][0]["message"]
    assert User.objects.filter(pk=ada.pk).exists()


def test_a_refreshed_token_keeps_the_time_of_its_sign_in(user_factory):
    # A refresh is no sign-in: the new token tells when the person signed in, as Firebase's do.
    ada = user_factory(email="ada@example.org")
    first = tokens.create_tokens("ada@example.org", PASSWORD)
    signed_in = jwt.decode(first.access_token, options={"verify_signature": False})["auth_time"]
    tokens.RefreshToken.objects.filter(user=ada).update(
        created_at=timezone.now() - datetime.timedelta(hours=2)
    )

    second = tokens.refresh_tokens(first.refresh_token)

    claims = jwt.decode(second.access_token, options={"verify_signature": False})
    assert claims["auth_time"] <= signed_in - 7000
    assert tokens.user_for_access_token(second.access_token).signed_in_at == (
        datetime.datetime.fromtimestamp(claims["auth_time"], datetime.UTC)
    )


def test_a_token_without_a_sign_in_time_is_not_recent(gql, user_factory):
    # Tokens issued before they carried one.
    ada = user_factory(email="ada@example.org")
    claims = jwt.decode(access_token(ada, 0), options={"verify_signature": False})
    del claims["auth_time"]
    token = jwt.encode(claims, tokens._signing_key(), algorithm=tokens.ALGORITHM)

    assert errors_of(gql(ACCOUNT_DELETE, token=token)) == [(None, "REAUTHENTICATION_REQUIRED")]


def test_an_old_firebase_sign_in_must_sign_in_again(db, gql, firebase_tokens):
    now = int(time.time())
    token = firebase_tokens.sign(uid="app-user-1", auth_time=now - 3600, iat=now)

    assert errors_of(gql(ACCOUNT_DELETE, token=token)) == [(None, "REAUTHENTICATION_REQUIRED")]
    assert User.objects.filter(firebase_uid="app-user-1").exists()


# --- Accounts that are not deleted this way -------------------------------------------------------
def test_an_office_role_holder_is_refused_until_the_team_takes_it_away(gql, office):
    editor = MembershipFactory(office=office, role=OfficeMembership.Role.EDITOR).user

    answer = gql(ACCOUNT_DELETE, user=editor)

    assert errors_of(answer) == [(None, "OFFICE_ROLE_HELD")]
    assert User.objects.filter(pk=editor.pk).exists()
    assert OfficeMembership.objects.filter(user=editor).exists()

    # Once the office's team has taken the role away, the account can go.
    OfficeMembership.objects.filter(user=editor).delete()
    assert errors_of(gql(ACCOUNT_DELETE, user=editor)) == []
    assert not User.objects.filter(pk=editor.pk).exists()


def test_a_superuser_is_refused(gql, db):
    root = get_user_model().objects.create_superuser("root@example.org", PASSWORD)

    assert errors_of(gql(ACCOUNT_DELETE, user=root)) == [(None, "SUPERUSER_ACCOUNT")]
    assert User.objects.filter(pk=root.pk).exists()


def test_signed_out_is_unauthenticated(gql, db):
    answer = gql(ACCOUNT_DELETE)

    assert answer["data"] == {"accountDelete": None}
    assert answer["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


# --- What others see afterwards ------------------------------------------------------------------
def test_the_chat_shows_a_deleted_accounts_messages_without_a_name(
    gql, user_factory, event_factory, committing, broadcasts_of_chat
):
    event = event_factory()
    ada, bo = user_factory(display_name="Ada"), user_factory(display_name="Bo")
    said = ChatMessageFactory(event=event, author=ada, body="See you at the quay")
    ChatMessageFactory(event=event, author=bo, body="Me too", reply_to=said)
    gone = ChatMessageFactory(event=event, author=ada, body="", deleted_at=timezone.now())
    assert gone.is_deleted

    with committing():
        assert errors_of(gql(ACCOUNT_DELETE, user=ada)) == []

    nodes = [
        edge["node"]
        for edge in gql(HISTORY, {"event": to_global_id("Event", event.pk)})["data"]["event"][
            "chatMessages"
        ]["edges"]
    ]
    assert nodes == [
        {
            "body": "See you at the quay",
            "isDeleted": False,
            "authorDeleted": True,
            "author": None,
        },
        {
            "body": "Me too",
            "isDeleted": False,
            "authorDeleted": False,
            "author": {"id": to_global_id("User", bo.pk), "displayName": "Bo"},
        },
        {"body": None, "isDeleted": True, "authorDeleted": False, "author": None},
    ]


@pytest.fixture
def broadcasts_of_chat(monkeypatch):
    """The chat broadcasts sent once a deletion commits: (group, payload)."""
    from core import channel_groups

    sent = []
    original = channel_groups.broadcast_on_commit

    def record(group, payload, **kwargs):
        if group.startswith("event.") and group.endswith(".chat"):
            sent.append((group, payload))
        return original(group, payload, **kwargs)

    monkeypatch.setattr("chat.realtime.broadcast_on_commit", record)
    return sent


def test_reactions_are_taken_back_and_the_room_hears_the_counts(
    user_factory, event_factory, committing, broadcasts_of_chat, settings
):
    settings.CHAT_RATE = "0/s"
    now = timezone.now()
    event = event_factory(
        starts_at=now - datetime.timedelta(minutes=10), ends_at=now + datetime.timedelta(hours=1)
    )
    ada, bo = user_factory(display_name="Ada"), user_factory(display_name="Bo")
    hers = ChatMessageFactory(event=event, author=ada, body="Hello")
    his = ChatMessageFactory(event=event, author=bo, body="Hi", reply_to=hers)
    for user, message, emoji in [(ada, hers, "🎉"), (bo, hers, "🎉"), (ada, his, "👍")]:
        chat_services.toggle_reaction(user, message, emoji)
    broadcasts_of_chat.clear()

    with committing():
        deletion.delete_account(ada, signed_in_at=timezone.now())

    hers.refresh_from_db()
    his.refresh_from_db()
    assert (hers.reactions, his.reactions) == ({"🎉": 1}, {})
    told = {payload["message"]["id"]: payload["message"] for _, payload in broadcasts_of_chat}
    assert set(told) == {hers.pk, his.pk}
    assert told[hers.pk]["reactions"] == {"🎉": 1}
    # Her own message is heard as it now is: without her.
    assert (told[hers.pk]["author"], told[hers.pk]["authorDeleted"]) == (None, True)
    assert told[his.pk]["author"]["name"] == "Bo"
    # and so is the message his quotes.
    assert (told[his.pk]["reply"]["author"], told[his.pk]["reply"]["authorDeleted"]) == (None, True)


def test_an_rsvp_withdrawn_by_the_deletion_frees_its_place(user_factory, event_factory):
    event = event_factory(capacity=1)
    ada, bo = user_factory(), user_factory()
    event_services.set_rsvp(ada, event, Rsvp.Status.GOING)

    deletion.delete_account(ada, signed_in_at=timezone.now())

    event.refresh_from_db()
    assert event.attendee_count == 0
    event_services.set_rsvp(bo, event, Rsvp.Status.GOING)  # the place is free again
    event.refresh_from_db()
    assert event.attendee_count == 1


# --- Firebase ----------------------------------------------------------------------------------
def test_a_firebase_token_of_a_deleted_account_does_not_make_it_again(db, gql, firebase_tokens):
    signed_in = int(time.time())
    token = firebase_tokens.sign(
        uid="app-user-7", name="Dana", email_verified=True, auth_time=signed_in, iat=signed_in
    )
    assert gql(ME, token=token)["data"]["me"] == {
        "displayName": "Dana",
        "email": "app-user-7@example.com",
    }

    assert errors_of(gql(ACCOUNT_DELETE, token=token)) == []

    # The same token (or a refresh of it: the same sign-in) is refused, and makes nobody.
    answer = gql(ME, token=token)
    assert answer["errors"][0]["extensions"] == {
        "code": "UNAUTHENTICATED",
        "reason": "ACCOUNT_DELETED",
    }
    refreshed = firebase_tokens.sign(uid="app-user-7", auth_time=signed_in)
    assert gql(ME, token=refreshed)["errors"][0]["extensions"]["reason"] == "ACCOUNT_DELETED"
    assert not User.objects.exists()
    # No trace of the uid itself: a keyed digest.
    stored = DeletedAccount.objects.get()
    assert "app-user-7" not in stored.uid_digest
    assert stored.uid_digest == deletion.uid_digest("app-user-7")


@pytest.mark.parametrize("fraction", [0, 400_000, 999_999], ids=["on the second", ".4", ".999999"])
@pytest.mark.parametrize(
    ("seconds_after", "refused"),
    [(-1, True), (0, True), (1, False)],
    ids=["the second before", "the same second", "the second after"],
)
def test_a_sign_in_of_the_deletions_own_second_is_refused(
    db, user_factory, fraction, seconds_after, refused
):
    # Given an account deleted at 12:00:00 and a fraction of a second (microseconds kept)
    second = datetime.datetime(2031, 5, 4, 12, 0, 0, tzinfo=datetime.UTC)
    deleted_at = second + datetime.timedelta(microseconds=fraction)
    person = user_factory(firebase_uid="app-user-7")
    deletion.delete_account(person, signed_in_at=deleted_at, now=deleted_at)

    # When a token's sign-in (auth_time: whole seconds, rounded down) is of a second near it
    auth_time = int(second.timestamp()) + seconds_after

    # Then one of the deletion's own second may have been made before it, and is refused;
    # only one of a later second is surely a sign-in after it
    assert deletion.deleted_before("app-user-7", auth_time) is refused


def test_signing_in_again_after_a_deletion_makes_a_new_account(db, gql, firebase_tokens):
    gql(ME, token=firebase_tokens.sign(uid="app-user-7"))
    deleted_user = User.objects.get()
    a_minute_ago = timezone.now() - datetime.timedelta(minutes=1)
    deletion.delete_account(deleted_user, signed_in_at=a_minute_ago, now=a_minute_ago)

    # A new sign-in (after the deletion) is a person coming back: a new, empty account.
    fresh = firebase_tokens.sign(uid="app-user-7")
    assert gql(ME, token=fresh)["data"]["me"]["displayName"] == ""

    user = User.objects.get()
    assert user.pk != deleted_user.pk
    assert not DeletedAccount.objects.exists()


# --- The admin ----------------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["the page's button", "the list's action"])
def test_the_admins_delete_deletes_as_the_owner_does(
    client, user_factory, event_factory, office, how
):
    event = event_factory(capacity=1)
    ada, bo = user_factory(), user_factory()
    MembershipFactory(user=ada, office=office)
    event_services.set_rsvp(ada, event, Rsvp.Status.GOING)
    event_services.set_rsvp(bo, event, Rsvp.Status.WAITLISTED)
    message = ChatMessageFactory(event=event, author=ada, body="Hello")
    client.force_login(user_factory(is_staff=True, is_superuser=True))

    if how == "the page's button":
        response = client.post(f"/admin/accounts/user/{ada.pk}/delete/", {"post": "yes"})
    else:
        response = client.post(
            "/admin/accounts/user/",
            {"action": "delete_selected", "_selected_action": [ada.pk], "post": "yes"},
        )

    assert response.status_code == 302
    assert not User.objects.filter(pk=ada.pk).exists()
    # The place she held went to the first in line, as her own deletion would have done.
    assert Rsvp.objects.get(user=bo).status == Rsvp.Status.GOING
    message.refresh_from_db()
    assert message.author is None and message.body == "Hello"
    assert not OfficeMembership.objects.filter(user_id=ada.pk).exists()
