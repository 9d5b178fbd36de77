"""What a user's open websockets are told of their account (accounts.realtime): every path that
revokes a session, changes a user's rights or their office roles tells the user's group once the
change commits; a rolled-back change, or one that takes nothing away, tells nothing."""

import logging

import pytest
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone

from accounts import tokens
from accounts.models import RefreshToken, User
from accounts.realtime import AccountChange
from cities.models import CityOffice, OfficeMembership
from core.channel_groups import BROADCAST, USER_ACCOUNT, group_name
from tests.factories import MembershipFactory

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


@pytest.fixture
def told(monkeypatch):
    """``(group, kind)`` of each account message sent to the channel layer, in order."""
    layer = get_channel_layer()
    sent = []
    original = layer.group_send

    async def group_send(group, message):
        if group.startswith("user."):
            assert message["type"] == BROADCAST
            sent.append((group, message["payload"]["kind"]))
        await original(group, message)

    monkeypatch.setattr(layer, "group_send", group_send)
    return sent


@pytest.fixture
def ada(user_factory):
    return user_factory(email="ada@example.org")


@pytest.fixture
def office(office_factory):
    return office_factory()


def news_of(user, change: AccountChange) -> tuple[str, str]:
    return (group_name(USER_ACCOUNT, id=user.pk), change.value)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the block as a committed transaction: what waits for the commit happens after it."""

    def run(function, *args):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            return function(*args)

    return run


# -- Sessions -----------------------------------------------------------------------------------
def test_signing_out_tells_the_users_sockets(committed, told, ada):
    pair = tokens.create_tokens(ada.email, PASSWORD)

    committed(tokens.revoke_tokens, pair.refresh_token)

    assert told == [news_of(ada, AccountChange.SESSION_REVOKED)]
    # Signing out again revokes nothing more, and tells nothing more.
    committed(tokens.revoke_tokens, pair.refresh_token)
    assert len(told) == 1


def test_a_reused_refresh_token_tells_the_users_sockets(
    django_capture_on_commit_callbacks, told, ada
):
    pair = tokens.create_tokens(ada.email, PASSWORD)
    tokens.refresh_tokens(pair.refresh_token)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Exception) as refused:
        tokens.refresh_tokens(pair.refresh_token)

    assert refused.value.code == "TOKEN_REUSED"
    assert told == [news_of(ada, AccountChange.SESSION_REVOKED)]


def test_revoking_a_token_by_saving_it_tells_too(committed, told, ada):
    pair = tokens.create_tokens(ada.email, PASSWORD)
    stored = RefreshToken.objects.get(user=ada)
    assert pair.refresh_token

    def revoke():
        stored.revoked_at = timezone.now()
        stored.save()

    committed(revoke)

    assert told == [news_of(ada, AccountChange.SESSION_REVOKED)]


# -- The account --------------------------------------------------------------------------------
def save_inactive(user):
    user.is_active = False
    user.save()


def sign_out(user):
    pair = tokens.create_tokens(user.email, PASSWORD)
    tokens.revoke_tokens(pair.refresh_token)


def save_inactive_field(user):
    user.is_active = False
    user.save(update_fields=["is_active"])


def update_inactive(user):
    User.objects.filter(pk=user.pk).update(is_active=False)


def bulk_update_inactive(user):
    user.is_active = False
    User.objects.bulk_update([user], ["is_active"])


def revoke_superuser(user):
    User.objects.filter(pk=user.pk).update(is_superuser=False)


@pytest.mark.parametrize(
    "change",
    [save_inactive, save_inactive_field, update_inactive, bulk_update_inactive, revoke_superuser],
    ids=lambda function: function.__name__,
)
def test_a_change_of_a_users_rights_tells_their_sockets(committed, told, ada, change):
    committed(change, ada)

    assert told == [news_of(ada, AccountChange.ACCOUNT_CHANGED)]


def test_deleting_a_user_tells_their_sockets(committed, told, ada):
    group = group_name(USER_ACCOUNT, id=ada.pk)

    committed(ada.delete)

    assert (group, AccountChange.ACCOUNT_DELETED.value) in told


def test_a_change_that_takes_no_right_away_tells_nothing(committed, told, ada):
    def change_preferences():
        ada.language = "ru"
        ada.save(update_fields=["language"])
        User.objects.filter(pk=ada.pk).update(display_name="Ada L.")

    committed(change_preferences)

    assert told == []


def test_a_change_rolled_back_tells_nothing(django_capture_on_commit_callbacks, told, ada):
    class RolledBack(Exception):
        pass

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RolledBack),
        transaction.atomic(),
    ):
        save_inactive(ada)
        raise RolledBack

    assert told == []


def test_nothing_is_told_before_the_commit(django_capture_on_commit_callbacks, told, ada):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        save_inactive(ada)
        assert told == []

    assert told == [news_of(ada, AccountChange.ACCOUNT_CHANGED)]


@pytest.fixture
def layer_refuses(monkeypatch):
    """Every send to the channel layer fails, as while Redis is unreachable."""
    layer = get_channel_layer()

    async def group_send(group, message):
        raise ConnectionError("Error connecting to redis:6379.")

    monkeypatch.setattr(layer, "group_send", group_send)


def is_inactive(user) -> bool:
    return not user.is_active


def is_signed_out(user) -> bool:
    return user.refresh_tokens.get().revoked_at is not None


@pytest.mark.parametrize(
    ("change", "kind", "saved"),
    [(save_inactive, "account_changed", is_inactive), (sign_out, "session_revoked", is_signed_out)],
    ids=["deactivated", "signed out"],
)
def test_news_that_cannot_be_sent_is_an_error_and_the_change_stays(
    committed, layer_refuses, caplog, ada, change, kind, saved
):
    # Given a channel layer that cannot be reached
    # When a change that takes something away commits
    with caplog.at_level(logging.WARNING):
        committed(change, ada)

    # Then it is saved, and the lost news is an error naming the user and what changed
    ada.refresh_from_db()
    assert saved(ada)
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
        (
            "accounts.realtime",
            "ERROR",
            f"Could not tell user {ada.pk}'s open websockets that their account changed "
            f"({kind}): they go on as they were (rights, blocks) until they next check their token",
        )
    ]
    assert isinstance(caplog.records[0].exc_info[1], ConnectionError)


# -- Office roles -------------------------------------------------------------------------------
def test_giving_changing_and_taking_a_role_tell_the_users_sockets(
    committed, told, ada, office_factory
):
    office = office_factory()

    membership = committed(lambda: MembershipFactory(user=ada, office=office))

    def demote():
        membership.role = OfficeMembership.Role.MODERATOR
        membership.save()

    committed(demote)
    committed(membership.delete)
    # An office closing takes its roles with it.
    committed(lambda: MembershipFactory(user=ada, office=office))
    committed(office.delete)

    assert told == [news_of(ada, AccountChange.ROLES_CHANGED)] * 5


def demote_by_update(membership):
    OfficeMembership.objects.filter(pk=membership.pk).update(role=OfficeMembership.Role.EDITOR)


def demote_by_bulk_update(membership):
    membership.role = OfficeMembership.Role.EDITOR
    OfficeMembership.objects.bulk_update([membership], ["role"])


def take_by_queryset_delete(membership):
    OfficeMembership.objects.filter(user=membership.user).delete()


def take_through_the_users_memberships(membership):
    membership.user.memberships.all().delete()


def move_to_another_office_by_update(membership):
    membership.user.memberships.update(
        office=CityOffice.objects.exclude(pk=membership.office_id)[0]
    )


@pytest.mark.parametrize(
    "change",
    [
        demote_by_update,
        demote_by_bulk_update,
        take_by_queryset_delete,
        take_through_the_users_memberships,
        move_to_another_office_by_update,
    ],
    ids=lambda function: function.__name__,
)
def test_a_role_changed_or_taken_in_bulk_tells_the_users_sockets(
    committed, told, ada, office_factory, change
):
    # Given a moderator of one office (and another office)
    office_factory()
    membership = MembershipFactory(
        user=ada, office=office_factory(), role=OfficeMembership.Role.MODERATOR
    )
    told.clear()

    # When the role is changed or taken away without a save
    committed(change, membership)

    # Then the moderator's sockets are told, once
    assert told == [news_of(ada, AccountChange.ROLES_CHANGED)]


def test_roles_given_in_bulk_tell_each_users_sockets(committed, told, ada, user_factory, office):
    grace = user_factory(email="grace@example.org")
    roles = [
        OfficeMembership(user=ada, office=office, role=OfficeMembership.Role.EDITOR),
        OfficeMembership(user=ada, office=office, role=OfficeMembership.Role.PUBLISHER),
        OfficeMembership(user=grace, office=office, role=OfficeMembership.Role.MODERATOR),
    ]

    committed(OfficeMembership.objects.bulk_create, iter(roles))

    assert OfficeMembership.objects.count() == 3
    assert told == [
        news_of(ada, AccountChange.ROLES_CHANGED),
        news_of(grace, AccountChange.ROLES_CHANGED),
    ]


def test_a_role_moved_to_another_user_tells_both(committed, told, ada, user_factory, office):
    grace = user_factory(email="grace@example.org")
    membership = MembershipFactory(user=ada, office=office)
    told.clear()

    committed(lambda: OfficeMembership.objects.filter(pk=membership.pk).update(user=grace))

    assert told == [
        news_of(ada, AccountChange.ROLES_CHANGED),
        news_of(grace, AccountChange.ROLES_CHANGED),
    ]


def test_a_bulk_change_that_touches_no_role_tells_nothing(committed, told, ada, office):
    MembershipFactory(user=ada, office=office)
    told.clear()

    committed(lambda: OfficeMembership.objects.update(created_at=timezone.now()))

    assert told == []


def test_a_bulk_change_rolled_back_tells_nothing(
    django_capture_on_commit_callbacks, told, ada, office
):
    membership = MembershipFactory(user=ada, office=office, role=OfficeMembership.Role.MODERATOR)
    told.clear()

    class RolledBack(Exception):
        pass

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RolledBack),
        transaction.atomic(),
    ):
        demote_by_update(membership)
        OfficeMembership.objects.bulk_create(
            [OfficeMembership(user=ada, office=office, role=OfficeMembership.Role.PUBLISHER)]
        )
        raise RolledBack

    assert told == []
    assert OfficeMembership.objects.get().role == OfficeMembership.Role.MODERATOR
