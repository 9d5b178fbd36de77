"""The viewer's consent to be named among who is coming to the events they answer: off until
they turn it on, through `preferencesUpdate` as every other preference."""

import pytest
from django.core.exceptions import ValidationError

from accounts import services
from accounts.models import User

LISTED = "{ me { preferences { listedAsAttendee } } }"

UPDATE = """
mutation($listed: Boolean) {
  preferencesUpdate(listedAsAttendee: $listed) {
    viewer { preferences { listedAsAttendee } }
    errors { field code message }
  }
}
"""


def test_a_new_user_is_not_listed(gql, user_factory):
    # Given a user who never said anything about it
    user = user_factory()

    # When they read their preferences
    result = gql(LISTED, user=user)

    # Then they are not listed
    assert result == {"data": {"me": {"preferences": {"listedAsAttendee": False}}}}
    assert User.objects.get(pk=user.pk).listed_as_attendee is False


def test_the_user_turns_the_listing_on_and_off(gql, user_factory):
    # Given a user
    user = user_factory()

    # When they turn the listing on, then off
    on = gql(UPDATE, {"listed": True}, user=user)["data"]["preferencesUpdate"]
    stored_on = User.objects.get(pk=user.pk).listed_as_attendee
    off = gql(UPDATE, {"listed": False}, user=user)["data"]["preferencesUpdate"]

    # Then each answer says so, and so does the stored preference
    assert on == {"viewer": {"preferences": {"listedAsAttendee": True}}, "errors": []}
    assert stored_on is True
    assert off == {"viewer": {"preferences": {"listedAsAttendee": False}}, "errors": []}
    assert User.objects.get(pk=user.pk).listed_as_attendee is False


def test_other_preferences_leave_the_listing_as_it_is(gql, user_factory):
    # Given a listed user
    user = user_factory()
    services.update_preferences(user, listed_as_attendee=True)

    # When they change only their language
    result = gql('mutation { preferencesUpdate(language: "kk") { errors { code } } }', user=user)

    # Then they are still listed
    assert result == {"data": {"preferencesUpdate": {"errors": []}}}
    assert User.objects.get(pk=user.pk).listed_as_attendee is True


def test_null_is_refused_with_a_code_and_changes_nothing(gql, user_factory):
    # Given a listed user
    user = user_factory()
    services.update_preferences(user, listed_as_attendee=True)

    # When they send null for the listing
    result = gql(UPDATE, {"listed": None}, user=user)["data"]["preferencesUpdate"]

    # Then it is refused on its field, and they stay listed
    assert result["viewer"] is None
    assert [(error["field"], error["code"]) for error in result["errors"]] == [
        ("listedAsAttendee", "PREFERENCE_REQUIRED")
    ]
    assert User.objects.get(pk=user.pk).listed_as_attendee is True


@pytest.mark.parametrize("value", [None, "yes", 1])
def test_the_service_takes_only_true_or_false(user_factory, value):
    user = user_factory()

    with pytest.raises(ValidationError) as refused:
        services.update_preferences(user, listed_as_attendee=value)

    assert refused.value.error_dict["listed_as_attendee"][0].code == "PREFERENCE_REQUIRED"
    assert User.objects.get(pk=user.pk).listed_as_attendee is False
