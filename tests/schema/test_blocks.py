"""userBlock, userUnblock and me.blockedUsers over HTTP: payloads, the errors and their codes,
and the viewer's list paged by keyset; a block of an account deleted since, listed and unblocked
by an ID of its own."""

import pytest
from django.utils import timezone
from graphql_relay import to_global_id

from accounts import deletion
from accounts.display_names import tag_of
from accounts.models import UserBlock
from tests.factories import UserFactory

BLOCK = """
mutation Block($user: ID!) {
  userBlock(user: $user) {
    user { id displayName blockedAt }
    errors { field code message }
  }
}
"""
UNBLOCK = """
mutation Unblock($user: ID!) {
  userUnblock(user: $user) {
    user { id displayName }
    errors { field code message }
  }
}
"""
BLOCKED = """
query Blocked($first: Int, $after: String) {
  me {
    blockedUsers(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id displayName blockedAt } }
    }
  }
}
"""


def uid(user) -> str:
    return to_global_id("User", user.pk)


@pytest.fixture
def ada(user_factory):
    return user_factory(display_name="Ada")


@pytest.fixture
def bob(user_factory):
    return user_factory(display_name="Bob")


def payload(result, field):
    assert "errors" not in result, result
    return result["data"][field]


def test_blocking_and_unblocking_answer_whom(gql, ada, bob):
    blocked = payload(gql(BLOCK, {"user": uid(bob)}, user=ada), "userBlock")

    assert blocked["errors"] == []
    assert blocked["user"]["id"] == uid(bob)
    assert blocked["user"]["displayName"] == "Bob"
    assert blocked["user"]["blockedAt"]
    assert UserBlock.objects.filter(blocker=ada, blocked=bob).exists()

    unblocked = payload(gql(UNBLOCK, {"user": uid(bob)}, user=ada), "userUnblock")

    assert unblocked == {"user": {"id": uid(bob), "displayName": "Bob"}, "errors": []}
    assert not UserBlock.objects.exists()


def test_a_name_that_shows_nothing_is_listed_as_the_chat_shows_it(gql, ada, user_factory):
    nameless = user_factory(display_name="\u200b")

    blocked = payload(gql(BLOCK, {"user": uid(nameless)}, user=ada), "userBlock")

    assert blocked["user"]["displayName"] == f"User {nameless.pk}"


@pytest.mark.parametrize(
    ("who", "mutation", "code"),
    [
        ("self", BLOCK, "CANNOT_BLOCK_SELF"),
        ("blocked", BLOCK, "ALREADY_BLOCKED"),
        ("bob", UNBLOCK, "NOT_BLOCKED"),
    ],
)
def test_refusals_say_why_on_the_user_argument_and_write_nothing(
    gql, ada, bob, who, mutation, code
):
    carol = UserFactory(display_name="Carol")
    UserBlock.objects.create(blocker=ada, blocked=carol)
    target = {"self": ada, "blocked": carol, "bob": bob}[who]
    before = list(UserBlock.objects.values_list("blocker", "blocked"))

    result = gql(mutation, {"user": uid(target)}, user=ada)

    field = "userBlock" if mutation is BLOCK else "userUnblock"
    [error] = payload(result, field)["errors"]
    assert (error["field"], error["code"]) == ("user", code)
    assert error["message"]
    assert payload(result, field)["user"] is None
    assert list(UserBlock.objects.values_list("blocker", "blocked")) == before


@pytest.mark.parametrize(
    "user_id",
    [
        to_global_id("User", 10**9),
        to_global_id("Event", 1),
        "not an id",
        to_global_id("User", "1e3"),
    ],
)
@pytest.mark.parametrize("mutation", [BLOCK, UNBLOCK])
def test_an_id_that_names_no_user_is_not_found(gql, ada, user_id, mutation):
    result = gql(mutation, {"user": user_id}, user=ada)

    field = "userBlock" if mutation is BLOCK else "userUnblock"
    [error] = payload(result, field)["errors"]
    assert (error["field"], error["code"]) == ("user", "NOT_FOUND")
    assert not UserBlock.objects.exists()


@pytest.mark.parametrize("mutation", [BLOCK, UNBLOCK])
def test_signed_out_is_unauthenticated(gql, bob, mutation):
    result = gql(mutation, {"user": uid(bob)})

    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert not UserBlock.objects.exists()


def blocked_page(gql, viewer, **variables):
    return payload(gql(BLOCKED, variables, user=viewer), "me")["blockedUsers"]


def test_the_viewers_list_is_theirs_newest_first(gql, ada, bob, user_factory):
    carol, dan = user_factory(display_name="Carol"), user_factory(display_name="Dan")
    for person in (bob, carol):
        gql(BLOCK, {"user": uid(person)}, user=ada)
    gql(BLOCK, {"user": uid(dan)}, user=bob)

    page = blocked_page(gql, ada)

    assert page["totalCount"] == 2
    assert [edge["node"]["displayName"] for edge in page["edges"]] == ["Carol", "Bob"]
    assert [edge["node"]["displayName"] for edge in blocked_page(gql, bob)["edges"]] == ["Dan"]


def test_the_list_pages_by_keyset_whatever_is_blocked_between_pages(gql, ada, user_factory):
    people = [user_factory(display_name=f"P{n}") for n in range(5)]
    for person in people:
        gql(BLOCK, {"user": uid(person)}, user=ada)

    first = blocked_page(gql, ada, first=2)
    # Between two pages: someone new blocked (on top, before the cursor) and someone of the
    # first page unblocked.
    gql(BLOCK, {"user": uid(user_factory(display_name="New"))}, user=ada)
    gql(UNBLOCK, {"user": uid(people[4])}, user=ada)
    rest = blocked_page(gql, ada, first=10, after=first["pageInfo"]["endCursor"])

    names = [edge["node"]["displayName"] for edge in first["edges"] + rest["edges"]]
    assert names == ["P4", "P3", "P2", "P1", "P0"]
    assert rest["pageInfo"]["hasNextPage"] is False


def test_a_cursor_of_another_list_is_refused(gql, ada):
    result = gql(BLOCKED, {"after": "bm90IGEgY3Vyc29y"}, user=ada)

    assert result["errors"][0]["extensions"]["code"] == "INVALID_CURSOR"


BLOCKED_ACCOUNTS = """
query {
  me { blockedUsers(first: 10) { totalCount edges { node { id displayName accountDeleted } } } }
}
"""


def test_a_block_of_an_account_deleted_since_is_listed_without_a_name_and_unblocked_by_its_id(
    gql, ada, bob, user_factory
):
    # Given Ada, who blocks Bob and Carol; Carol deletes her account
    carol = user_factory(display_name="Carol")
    for person in (bob, carol):
        UserBlock.objects.create(blocker=ada, blocked=person)
    deletion.delete_account(carol, signed_in_at=timezone.now())
    block = UserBlock.objects.get(blocked=None)

    # When Ada lists whom she blocks
    listed = payload(gql(BLOCKED_ACCOUNTS, user=ada), "me")["blockedUsers"]

    # Then the block of Carol's account is there, without her name, under an ID of its own
    gone = to_global_id("DeletedAccount", block.pk)
    assert listed["totalCount"] == 2
    assert sorted((e["node"]["id"], e["node"]["displayName"]) for e in listed["edges"]) == sorted(
        [(uid(bob), "Bob"), (gone, "")]
    )
    assert {e["node"]["accountDeleted"] for e in listed["edges"]} == {True, False}

    # And that ID is not someone to block, nor another's to unblock, but hers to unblock
    [error] = payload(gql(BLOCK, {"user": gone}, user=ada), "userBlock")["errors"]
    assert (error["field"], error["code"]) == ("user", "NOT_FOUND")
    [error] = payload(gql(UNBLOCK, {"user": gone}, user=bob), "userUnblock")["errors"]
    assert (error["field"], error["code"]) == ("user", "NOT_BLOCKED")
    unblocked = payload(gql(UNBLOCK, {"user": gone}, user=ada), "userUnblock")
    assert unblocked == {"user": {"id": gone, "displayName": ""}, "errors": []}
    assert list(UserBlock.objects.values_list("blocked", flat=True)) == [bob.pk]


def test_a_block_list_tells_two_people_of_one_name_apart(gql, user_factory):
    viewer = user_factory()
    danas = [user_factory(display_name="Dana"), user_factory(display_name="Dana")]
    for dana in danas:
        UserBlock.objects.create(blocker=viewer, blocked=dana)

    answer = gql(
        "{ me { blockedUsers { edges { node {"
        " displayName nameTag avatar { thumbnail { url } } } } } } }",
        user=viewer,
    )

    nodes = [edge["node"] for edge in answer["data"]["me"]["blockedUsers"]["edges"]]
    assert {node["displayName"] for node in nodes} == {"Dana"}
    assert {node["nameTag"] for node in nodes} == {tag_of(dana.pk) for dana in danas}
    assert [node["avatar"] for node in nodes] == [None, None]
