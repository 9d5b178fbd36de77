"""A chat's history as someone who blocks people reads it: their messages (tombstones too) are
left out, their quotes too, pages stay whole and cursors page on; nothing changes for the people
blocked or for anyone else; a page costs the same queries whatever its size."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import UserBlock
from schema.chat.resolvers import cursor_of
from tests.conftest import bearer_for

from .conftest import gid

HISTORY = """
query History($event: ID!, $last: Int, $before: String) {
  event(id: $event) {
    chatMessages(last: $last, before: $before) {
      edges { cursor node { seq body author { displayName } replyTo { seq body } } }
      pageInfo { hasPreviousPage startCursor }
    }
  }
}
"""


@pytest.fixture
def carol(user_factory):
    return user_factory(email="carol@example.org", display_name="Carol")


@pytest.fixture
def talk(room, ada, bob, carol, message_factory):
    """Bob, Carol, Bob, Carol… twelve messages; Carol's each answer the Bob's before it; Bob's
    sixth is deleted (a tombstone)."""
    said = []
    for n in range(1, 13):
        bobs = n % 2 == 1
        said.append(
            message_factory(
                event=room,
                author=bob if bobs else carol,
                body=f"#{n}",
                reply_to=None if bobs else said[-1],
            )
        )
    tombstone = said[10]
    tombstone.body, tombstone.deleted_at = "", timezone.now()
    tombstone.save()
    return said


def page(gql, room, viewer=None, **variables):
    result = gql(HISTORY, {"event": gid(room), **variables}, user=viewer)
    assert "errors" not in result, result
    return result["data"]["event"]["chatMessages"]


def seqs(history):
    return [edge["node"]["seq"] for edge in history["edges"]]


def test_the_messages_of_people_blocked_are_left_out_with_their_quotes(gql, room, talk, ada, bob):
    UserBlock.objects.create(blocker=ada, blocked=bob)

    history = page(gql, room, ada, last=3)

    # Carol's last three; Bob's in between (and his tombstone, #11) are not there, nor quoted.
    assert history["edges"] == [
        {
            "cursor": cursor_of(n),
            "node": {
                "seq": n,
                "body": f"#{n}",
                "author": {"displayName": "Carol"},
                "replyTo": None,
            },
        }
        for n in (8, 10, 12)
    ]
    assert history["pageInfo"] == {"hasPreviousPage": True, "startCursor": cursor_of(8)}


def test_paging_backwards_reads_every_shown_message_once(gql, room, talk, ada, bob):
    UserBlock.objects.create(blocker=ada, blocked=bob)
    seen, before = [], None
    while True:
        history = page(gql, room, ada, last=2, before=before)
        seen[:0] = seqs(history)
        if not history["pageInfo"]["hasPreviousPage"]:
            break
        before = history["pageInfo"]["startCursor"]

    assert seen == [2, 4, 6, 8, 10, 12]


def test_nothing_changes_for_the_person_blocked_nor_for_anyone_else(
    gql, room, talk, ada, bob, carol
):
    UserBlock.objects.create(blocker=ada, blocked=bob)
    everything = list(range(1, 13))

    for viewer in (bob, carol, None):
        history = page(gql, room, viewer, last=20)
        assert seqs(history) == everything
        # Carol's quotes of Bob are shown.
        assert history["edges"][1]["node"]["replyTo"] == {"seq": 1, "body": "#1"}


def test_unblocking_shows_them_again(gql, room, talk, ada, bob):
    block = UserBlock.objects.create(blocker=ada, blocked=bob)
    assert seqs(page(gql, room, ada, last=20)) == [2, 4, 6, 8, 10, 12]

    block.delete()

    assert seqs(page(gql, room, ada, last=20)) == list(range(1, 13))


def test_a_message_by_a_deleted_account_stays(gql, room, talk, ada, bob, carol, message_factory):
    gone = message_factory(event=room, author=None, body="#13")
    UserBlock.objects.create(blocker=ada, blocked=bob)

    assert seqs(page(gql, room, ada, last=20))[-1] == gone.seq


def test_a_page_costs_the_same_queries_whatever_its_size(
    client, room, ada, bob, carol, message_factory
):
    previous = None
    for n in range(120):
        previous = message_factory(
            event=room, author=(bob, carol)[n % 2], body=f"#{n}", reply_to=previous
        )
    UserBlock.objects.create(blocker=ada, blocked=bob)
    token = bearer_for(ada)
    counts = {}
    for last in (1, 20, 50):
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                "/graphql/",
                json.dumps({"query": HISTORY, "variables": {"event": gid(room), "last": last}}),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
            )
        edges = response.json()["data"]["event"]["chatMessages"]["edges"]
        assert len(edges) == last
        assert {edge["node"]["author"]["displayName"] for edge in edges} == {"Carol"}
        counts[last] = len(queries.captured_queries)

    assert len(set(counts.values())) == 1, counts
