"""Blocking, called directly (accounts.services, accounts.blocks): whom a user blocks is read
once per user object; blocking oneself, twice or too many people, and unblocking someone not
blocked, are refused with a code and write nothing; every change is told to the blocker's open
websockets once it commits, and to nobody else; the deletion of an account blocked leaves the
blocks of it as blocks of the pseudonym its messages take."""

import uuid

import pytest
from channels.layers import get_channel_layer
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import blocks, deletion, services
from accounts.error_codes import AccountErrorCode
from accounts.models import UserBlock
from accounts.realtime import AccountChange
from chat.models import ChatMessage
from core.channel_groups import USER_ACCOUNT, group_name
from tests.factories import ChatMessageFactory

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
    assert blocks.blocked(ada).users == {bob.pk}
    # Nothing changes for the one blocked: they block nobody, and are not told.
    assert blocks.blocked(bob) == blocks.NOBODY
    assert told == [(group_name(USER_ACCOUNT, id=ada.pk), AccountChange.BLOCKS_CHANGED.value)]


def test_unblocking_shows_them_again_and_tells_the_blockers_sockets(committed, told, ada, bob):
    committed(services.block_user, ada, bob)

    removed = committed(services.unblock_user, ada, bob)

    assert removed.blocked == bob
    assert not blocks.blocked(ada)
    assert not UserBlock.objects.exists()
    assert [kind for _, kind in told] == [AccountChange.BLOCKS_CHANGED.value] * 2


def test_the_blocked_set_is_read_once_per_user_object_and_forgotten_on_a_change(ada, bob, carol):
    UserBlock.objects.create(blocker=ada, blocked=bob)

    with CaptureQueriesContext(connection) as queries:
        assert blocks.blocked(ada).users == {bob.pk}
        assert blocks.blocked(ada).users == {bob.pk}
    assert len(queries.captured_queries) == 1
    assert blocks.known_blocked(ada).users == {bob.pk}

    # The service forgets what the object it was given holds: the same request reads anew.
    services.block_user(ada, carol)
    assert blocks.known_blocked(ada) is None
    assert blocks.blocked(ada).users == {bob.pk, carol.pk}


def test_an_anonymous_viewer_blocks_nobody_and_costs_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert blocks.blocked(AnonymousUser()) is blocks.NOBODY
        assert blocks.known_blocked(None) is blocks.NOBODY


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


def test_a_blocked_account_deleted_leaves_its_blocks_as_blocks_of_its_pseudonym(
    committed, told, ada, bob, carol
):
    # Given Ada and Carol, who block Bob, and Bob, who blocks Carol; Bob's two messages
    said = [ChatMessageFactory(author=bob, body=body) for body in ("one", "two")]
    UserBlock.objects.create(blocker=ada, blocked=bob)
    UserBlock.objects.create(blocker=carol, blocked=bob)
    UserBlock.objects.create(blocker=bob, blocked=carol)

    # When Bob deletes his account
    committed(lambda: deletion.delete_account(bob, signed_in_at=timezone.now()))

    # Then his messages and the blocks of him share one pseudonym, and his own blocks are gone
    [pseudonym] = {ChatMessage.objects.get(pk=m.pk).author_pseudonym for m in said}
    assert isinstance(pseudonym, uuid.UUID)
    assert sorted(
        UserBlock.objects.values_list("blocker", "blocked", "blocked_pseudonym")
    ) == sorted([(ada.pk, None, pseudonym), (carol.pk, None, pseudonym)])
    assert blocks.blocked(ada) == blocks.Blocked(frozenset(), frozenset({pseudonym}))
    assert blocks.blocked(ada).hides(None, pseudonym)
    assert not blocks.blocked(ada).hides(None, uuid.uuid4())
    # and the blockers' sockets read their blocks again
    assert {(group, kind) for group, kind in told if kind == "blocks_changed"} == {
        (group_name(USER_ACCOUNT, id=ada.pk), AccountChange.BLOCKS_CHANGED.value),
        (group_name(USER_ACCOUNT, id=carol.pk), AccountChange.BLOCKS_CHANGED.value),
    }


def test_each_deletion_makes_a_pseudonym_of_its_own(ada, bob, carol):
    for person in (bob, carol):
        ChatMessageFactory(author=person)
        UserBlock.objects.create(blocker=ada, blocked=person)

    for person in (bob, carol):
        deletion.delete_account(person, signed_in_at=timezone.now())

    pseudonyms = set(ChatMessage.objects.values_list("author_pseudonym", flat=True))
    assert len(pseudonyms) == 2
    assert blocks.blocked(ada).pseudonyms == pseudonyms


def test_a_deletion_no_one_blocked_links_nothing(ada, bob, carol):
    # Without a block of the account, its messages need no key: they stay unlinked.
    ChatMessageFactory(author=bob)
    ChatMessageFactory(author=bob)
    UserBlock.objects.create(blocker=bob, blocked=carol)

    deletion.delete_account(bob, signed_in_at=timezone.now())

    assert set(ChatMessage.objects.values_list("author_pseudonym", flat=True)) == {None}


def test_a_block_is_of_someone_or_of_a_deleted_account_never_both_nor_neither(ada, bob):
    with pytest.raises(IntegrityError), transaction.atomic():
        UserBlock.objects.create(blocker=ada, blocked=bob, blocked_pseudonym=uuid.uuid4())
    with pytest.raises(IntegrityError), transaction.atomic():
        UserBlock.objects.create(blocker=ada)
    pseudonym = uuid.uuid4()
    UserBlock.objects.create(blocker=ada, blocked_pseudonym=pseudonym)
    with pytest.raises(IntegrityError), transaction.atomic():
        UserBlock.objects.create(blocker=ada, blocked_pseudonym=pseudonym)


def test_a_block_of_a_deleted_account_is_unblocked_by_its_blocker_alone(committed, ada, bob):
    block = UserBlock.objects.create(blocker=ada, blocked_pseudonym=uuid.uuid4())

    with pytest.raises(ValidationError) as refused:
        committed(services.unblock_deleted_account, bob, block.pk)
    assert refusal(refused.value) == {"user": [AccountErrorCode.NOT_BLOCKED]}

    removed = committed(services.unblock_deleted_account, ada, block.pk)

    assert removed.pk == block.pk
    assert not blocks.blocked(ada)
    assert not UserBlock.objects.exists()
