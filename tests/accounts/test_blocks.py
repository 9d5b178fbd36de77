"""Blocking, called directly (accounts.services, accounts.blocks): whom a user blocks is read
once per user object; blocking oneself, twice or too many people, and unblocking someone not
blocked, are refused with a code and write nothing; every change is told to the blocker's open
websockets once it commits, and to nobody else."""

import pytest
from channels.layers import get_channel_layer
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts import blocks, services
from accounts.error_codes import AccountErrorCode
from accounts.models import UserBlock
from accounts.realtime import AccountChange
from core.channel_groups import USER_ACCOUNT, group_name

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(user_factory):
    return user_factory(display_name="Ada")


@pytest.fixture
def bob(user_factory):
    return user_factory(display_name="Bob")


@pytest.fixture
def carol(user_factory):
    return user_factory(display_name="Carol")


@pytest.fixture
def told(monkeypatch):
    """``(group, kind)`` of each account message sent to the channel layer, in order."""
    layer = get_channel_layer()
    sent = []
    original = layer.group_send

    async def group_send(group, message):
        if group.startswith("user."):
            sent.append((group, message["payload"]["kind"]))
        await original(group, message)

    monkeypatch.setattr(layer, "group_send", group_send)
    return sent


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    def run(function, *args):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            return function(*args)

    return run


def refusal(error: ValidationError) -> dict:
    return {field: [e.code for e in errors] for field, errors in error.error_dict.items()}


def test_blocking_hides_someone_for_the_blocker_alone(committed, told, ada, bob):
    block = committed(services.block_user, ada, bob)

    assert (block.blocker, block.blocked) == (ada, bob)
    assert blocks.blocked_ids(ada) == {bob.pk}
    # Nothing changes for the one blocked: they block nobody, and are not told.
    assert blocks.blocked_ids(bob) == frozenset()
    assert told == [(group_name(USER_ACCOUNT, id=ada.pk), AccountChange.BLOCKS_CHANGED.value)]


def test_unblocking_shows_them_again_and_tells_the_blockers_sockets(committed, told, ada, bob):
    committed(services.block_user, ada, bob)

    removed = committed(services.unblock_user, ada, bob)

    assert removed.blocked == bob
    assert blocks.blocked_ids(ada) == frozenset()
    assert not UserBlock.objects.exists()
    assert [kind for _, kind in told] == [AccountChange.BLOCKS_CHANGED.value] * 2


def test_the_blocked_set_is_read_once_per_user_object_and_forgotten_on_a_change(ada, bob, carol):
    UserBlock.objects.create(blocker=ada, blocked=bob)

    with CaptureQueriesContext(connection) as queries:
        assert blocks.blocked_ids(ada) == {bob.pk}
        assert blocks.blocked_ids(ada) == {bob.pk}
    assert len(queries.captured_queries) == 1
    assert blocks.known_blocked_ids(ada) == {bob.pk}

    # The service forgets what the object it was given holds: the same request reads anew.
    services.block_user(ada, carol)
    assert blocks.known_blocked_ids(ada) is None
    assert blocks.blocked_ids(ada) == {bob.pk, carol.pk}


def test_an_anonymous_viewer_blocks_nobody_and_costs_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert blocks.blocked_ids(AnonymousUser()) == frozenset()
        assert blocks.known_blocked_ids(None) == frozenset()


def test_blocking_oneself_is_refused(committed, told, ada):
    with pytest.raises(ValidationError) as refused:
        committed(services.block_user, ada, ada)

    assert refusal(refused.value) == {"user": [AccountErrorCode.CANNOT_BLOCK_SELF]}
    assert not UserBlock.objects.exists()
    assert told == []


def test_blocking_twice_is_refused_and_changes_nothing(committed, told, ada, bob):
    first = committed(services.block_user, ada, bob)

    with pytest.raises(ValidationError) as refused:
        committed(services.block_user, ada, bob)

    assert refusal(refused.value) == {"user": [AccountErrorCode.ALREADY_BLOCKED]}
    assert list(UserBlock.objects.values_list("pk", flat=True)) == [first.pk]
    assert len(told) == 1


def test_unblocking_someone_not_blocked_is_refused(committed, told, ada, bob):
    with pytest.raises(ValidationError) as refused:
        committed(services.unblock_user, ada, bob)

    assert refusal(refused.value) == {"user": [AccountErrorCode.NOT_BLOCKED]}
    assert told == []


def test_blocking_more_than_the_limit_is_refused(monkeypatch, committed, user_factory, ada):
    monkeypatch.setattr(services, "MAX_BLOCKS", 2)
    for _ in range(2):
        committed(services.block_user, ada, user_factory())

    with pytest.raises(ValidationError) as refused:
        committed(services.block_user, ada, user_factory())

    assert refusal(refused.value) == {"user": [AccountErrorCode.TOO_MANY_BLOCKS]}
    assert UserBlock.objects.filter(blocker=ada).count() == 2


def test_the_database_holds_one_block_per_pair_and_none_of_oneself(ada, bob):
    UserBlock.objects.create(blocker=ada, blocked=bob)
    with pytest.raises(IntegrityError), transaction.atomic():
        UserBlock.objects.create(blocker=ada, blocked=bob)
    with pytest.raises(IntegrityError), transaction.atomic():
        UserBlock.objects.create(blocker=ada, blocked=ada)


def test_a_deleted_account_takes_its_blocks_both_ways_with_it(ada, bob, carol):
    UserBlock.objects.create(blocker=ada, blocked=bob)
    UserBlock.objects.create(blocker=carol, blocked=ada)

    ada.delete()

    assert not UserBlock.objects.exists()
