"""The Subscription fields over the websocket, frame by frame: what each subscriber hears when the
services change events and announcements, and what it never hears.

Changes go through ``events.services`` in a worker thread (``in_db``), so that their broadcasts
leave on commit as in production. A test that expects silence after some change makes one more
change that is heard (``tests.sentinels``): frames of one subscription keep their order, so the
next frame being the later change's proves the earlier one was skipped, not late.
"""

import asyncio
import datetime
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db import connections, transaction
from django.utils import timezone
from graphql_relay import to_global_id

from backend.asgi import application
from cities.models import OfficeMembership
from core import channel_groups
from events import realtime, services
from events.models import Event
from graphql_server.websocket.group_hub import GroupHub
from schema.events import subscriptions
from tests.conftest import bearer_for
from tests.factories import MembershipFactory
from tests.sentinels import nothing_before
from tests.sockets import (
    HOST,
    PROTOCOL,
    SENTINEL_PONG,
    close_all,
    complete_frame,
    error_frame,
    in_db,
    init,
    next_frame,
    receive,
    sentinel_ping,
    subscribe,
)
from tests.waiting import eventually

pytestmark = pytest.mark.django_db(transaction=True)

EVENT_ANNOUNCED = """
subscription Announced($filter: EventAnnouncedFilterInput) {
  eventAnnounced(filter: $filter) { title category hostCity { name } }
}
"""
EVENT_CHANGED = """
subscription Changed($event: ID!) {
  eventChanged(event: $event) { title status startsAt endsAt cancellationReason }
}
"""
ANNOUNCEMENT_POSTED = """
subscription Posted($city: ID, $twinning: ID) {
  announcementPosted(city: $city, twinning: $twinning) { title city { name } }
}
"""

Status = Event.Status
Category = Event.Category
ANNOUNCED_GROUP = channel_groups.group_name(channel_groups.EVENTS_ANNOUNCED)
ALL_ANNOUNCEMENTS_GROUP = channel_groups.group_name(channel_groups.ANNOUNCEMENTS_POSTED)


# ---------------------------------------------------------------------------------------------
# Sockets
# ---------------------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
async def database_thread():
    """The consumer's database work and ``in_db`` in one known thread, whose connections are
    closed when the test ends (as in tests/graphql_server/websocket/test_protocol.py)."""
    loop = asyncio.get_running_loop()
    loop.set_default_executor(ThreadPoolExecutor(max_workers=1))
    yield
    await loop.run_in_executor(None, connections.close_all)


@pytest.fixture
async def connected():
    """Open a websocket through connection_init → connection_ack, signed in as ``user`` and in
    ``language`` when given; every socket is closed after the test."""
    sockets = []

    async def connect(user=None, language=None):
        socket = WebsocketCommunicator(
            application, "/graphql/", headers=[(b"host", HOST.encode())], subprotocols=[PROTOCOL]
        )
        socket.scope["client"] = ("203.0.113.7", 50000)
        sockets.append(socket)
        assert (await socket.connect())[0]
        payload = {}
        if user is not None:
            payload["token"] = await in_db(bearer_for, user)
        if language is not None:
            payload["language"] = language
        await init(socket, payload)
        assert await receive(socket) == {"type": "connection_ack"}
        return socket

    yield connect
    await close_all(sockets)


@pytest.fixture
def joined(monkeypatch):
    """The groups subscriptions joined, in order: one entry per listener, once the process's
    hub hands it the group's broadcasts."""
    added = []
    original = GroupHub.join

    async def join(hub, group, listener):
        await original(hub, group, listener)
        added.append(group)

    monkeypatch.setattr(GroupHub, "join", join)
    return added


@pytest.fixture
def sent_to(monkeypatch):
    """The groups the shared channel layer was asked to send to, in order."""
    layer = get_channel_layer()
    groups_sent_to = []
    original = layer.group_send

    async def group_send(group, message):
        groups_sent_to.append(group)
        await original(group, message)

    monkeypatch.setattr(layer, "group_send", group_send)
    return groups_sent_to


async def listen(socket, joined, operation_id, query, variables, group):
    """Subscribe and wait until the socket has joined ``group``: what commits from then on is
    heard (a subscription sends nothing on subscribing, so the join is what there is to see)."""
    before = joined.count(group)
    await subscribe(socket, operation_id, query, variables)
    await eventually(lambda: joined.count(group) > before)


def gid(instance) -> str:
    return to_global_id(type(instance).__name__, instance.pk)


# ---------------------------------------------------------------------------------------------
# Cities, offices, people, events
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def aktau(city_factory):
    return city_factory(name_en="Aktau", name_ru="Актау")


@pytest.fixture
def almaty(city_factory):
    return city_factory(name_en="Almaty", name_ru="Алматы")


@pytest.fixture
def bursa(city_factory):
    return city_factory(name_en="Bursa", name_ru="Бурса", country="TR", timezone="Europe/Istanbul")


@pytest.fixture
def pair(twinning_factory, aktau, bursa):
    """Aktau and Bursa, twinned."""
    return twinning_factory(city_a=aktau, city_b=bursa)


@pytest.fixture
def offices(office_factory, aktau, almaty, bursa):
    return {city.name_en: office_factory(city=city) for city in (aktau, almaty, bursa)}


@pytest.fixture
def publisher(user_factory, offices):
    """Announces, edits, postpones and cancels for every office."""
    user = user_factory(email="publisher@example.org")
    for office in offices.values():
        MembershipFactory(user=user, office=office, role=OfficeMembership.Role.PUBLISHER)
    return user


@pytest.fixture
def draft(event_factory, offices):
    """A draft of a city's office: ``draft("Aktau", title_en=…)``."""

    def make(city_name, **fields):
        office = offices[city_name]
        return event_factory(
            office=office, host_city=office.city, status=Status.DRAFT, announced_at=None, **fields
        )

    return make


def future(days: int, hours: int = 0) -> datetime.datetime:
    return timezone.now().replace(microsecond=0) + datetime.timedelta(days=days, hours=hours)


# ---------------------------------------------------------------------------------------------
# eventAnnounced
# ---------------------------------------------------------------------------------------------
async def test_event_announced_sends_the_citys_and_its_twinnings_events_in_the_viewers_language(
    connected, joined, publisher, pair, aktau, almaty, draft
):
    elsewhere = await in_db(lambda: draft("Almaty", title_en="Apple fair", title_ru="Ярмарка"))
    partners = await in_db(
        lambda: draft("Bursa", twinning=pair, title_en="Silk days", title_ru="Дни шёлка")
    )
    at_home = await in_db(
        lambda: draft("Aktau", title_en="Caspian jazz", title_ru="Каспийский джаз")
    )
    last = await in_db(lambda: draft("Aktau", title_en="Fish market", title_ru="Рыбный рынок"))
    socket = await connected(language="ru")
    await listen(
        socket, joined, "new", EVENT_ANNOUNCED, {"filter": {"city": gid(aktau)}}, ANNOUNCED_GROUP
    )

    for event in (elsewhere, partners, at_home):
        await in_db(services.announce_event, publisher, event)

    assert await receive(socket) == next_frame(
        "new",
        {
            "eventAnnounced": {
                "title": "Дни шёлка",
                "category": "CULTURAL",
                "hostCity": {"name": "Бурса"},
            }
        },
    )
    assert await receive(socket) == next_frame(
        "new",
        {
            "eventAnnounced": {
                "title": "Каспийский джаз",
                "category": "CULTURAL",
                "hostCity": {"name": "Актау"},
            }
        },
    )
    await nothing_before(
        in_db(services.announce_event, publisher, last),
        {
            socket: next_frame(
                "new",
                {
                    "eventAnnounced": {
                        "title": "Рыбный рынок",
                        "category": "CULTURAL",
                        "hostCity": {"name": "Актау"},
                    }
                },
            )
        },
    )


async def test_event_announced_filters_by_category_and_by_twinning(
    connected, joined, publisher, pair, aktau, draft
):
    concert = await in_db(lambda: draft("Aktau", title_en="Concert", category=Category.CULTURAL))
    match = await in_db(lambda: draft("Aktau", title_en="Derby", category=Category.SPORTS))
    partners = await in_db(lambda: draft("Bursa", title_en="Silk days", twinning=pair))
    # Heard by both: a sports event of the twinning, which Aktau's filter takes in too.
    friendly = await in_db(
        lambda: draft("Bursa", title_en="Friendly", category=Category.SPORTS, twinning=pair)
    )
    sports = await connected()
    await listen(
        sports,
        joined,
        "sports",
        EVENT_ANNOUNCED,
        {"filter": {"city": gid(aktau), "category": "SPORTS"}},
        ANNOUNCED_GROUP,
    )
    twinning = await connected()
    await listen(
        twinning,
        joined,
        "pair",
        EVENT_ANNOUNCED,
        {"filter": {"twinning": gid(pair)}},
        ANNOUNCED_GROUP,
    )

    for event in (concert, match, partners):
        await in_db(services.announce_event, publisher, event)

    assert await receive(sports) == next_frame(
        "sports",
        {"eventAnnounced": {"title": "Derby", "category": "SPORTS", "hostCity": {"name": "Aktau"}}},
    )
    assert await receive(twinning) == next_frame(
        "pair",
        {
            "eventAnnounced": {
                "title": "Silk days",
                "category": "CULTURAL",
                "hostCity": {"name": "Bursa"},
            }
        },
    )
    friendly_frame = {
        "eventAnnounced": {"title": "Friendly", "category": "SPORTS", "hostCity": {"name": "Bursa"}}
    }
    await nothing_before(
        in_db(services.announce_event, publisher, friendly),
        {
            sports: next_frame("sports", friendly_frame),
            twinning: next_frame("pair", friendly_frame),
        },
    )


async def test_event_announced_never_sends_a_draft(connected, joined, publisher, offices, draft):
    later = await in_db(lambda: draft("Aktau", title_en="Announced later"))
    last = await in_db(lambda: draft("Aktau", title_en="Announced last"))
    socket = await connected(user=publisher)
    await listen(socket, joined, "new", EVENT_ANNOUNCED, None, ANNOUNCED_GROUP)

    # A draft is created and edited: nothing is announced.
    data = {
        "title_en": "Still a draft",
        "category": Category.CULTURAL,
        "starts_at": future(9),
        "ends_at": future(9, hours=2),
        "timezone": "Asia/Aqtau",
        "venue_name": "Town hall",
    }
    created = await in_db(services.create_event, publisher, offices["Aktau"], data)
    await in_db(services.update_event, publisher, created, {"title_en": "Still a draft, edited"})
    # Even a payload that names a draft is dropped by the subscriber's own read.
    facts = await in_db(realtime.event_facts, created)
    await channel_groups.broadcast(
        ANNOUNCED_GROUP, {"kind": "announced", "event": created.pk, **facts}
    )
    await in_db(services.announce_event, publisher, later)

    assert await receive(socket) == next_frame(
        "new",
        {
            "eventAnnounced": {
                "title": "Announced later",
                "category": "CULTURAL",
                "hostCity": {"name": "Aktau"},
            }
        },
    )
    await nothing_before(
        in_db(services.announce_event, publisher, last),
        {
            socket: next_frame(
                "new",
                {
                    "eventAnnounced": {
                        "title": "Announced last",
                        "category": "CULTURAL",
                        "hostCity": {"name": "Aktau"},
                    }
                },
            )
        },
    )


# ---------------------------------------------------------------------------------------------
# eventChanged
# ---------------------------------------------------------------------------------------------
async def test_event_changed_sends_the_event_after_each_update_postponement_and_cancellation(
    connected, joined, publisher, offices, event_factory
):
    office = offices["Aktau"]
    starts, ends = future(7), future(7, hours=2)
    new_starts, new_ends = future(14), future(14, hours=3)
    event = await in_db(
        lambda: event_factory(
            office=office,
            host_city=office.city,
            title_en="Caspian jazz",
            starts_at=starts,
            ends_at=ends,
        )
    )
    socket = await connected()
    group = channel_groups.group_name(channel_groups.EVENT_CHANGES, id=event.pk)
    await listen(socket, joined, "watch", EVENT_CHANGED, {"event": gid(event)}, group)

    await in_db(services.update_event, publisher, event, {"title_en": "Caspian jazz night"})
    assert await receive(socket) == next_frame(
        "watch",
        {
            "eventChanged": {
                "title": "Caspian jazz night",
                "status": "ANNOUNCED",
                "startsAt": starts.isoformat(),
                "endsAt": ends.isoformat(),
                "cancellationReason": "",
            }
        },
    )

    await in_db(services.postpone_event, publisher, event, new_starts, new_ends)
    assert await receive(socket) == next_frame(
        "watch",
        {
            "eventChanged": {
                "title": "Caspian jazz night",
                "status": "POSTPONED",
                "startsAt": new_starts.isoformat(),
                "endsAt": new_ends.isoformat(),
                "cancellationReason": "",
            }
        },
    )

    await in_db(services.cancel_event, publisher, event, "Storm warning")
    assert await receive(socket) == next_frame(
        "watch",
        {
            "eventChanged": {
                "title": "Caspian jazz night",
                "status": "CANCELLED",
                "startsAt": new_starts.isoformat(),
                "endsAt": new_ends.isoformat(),
                "cancellationReason": "Storm warning",
            }
        },
    )

    # Each change was told once. The services edit a cancelled event no more: the sentinel is
    # an edit of the row behind their back, told as they tell a change.
    def retitle():
        with transaction.atomic():
            Event.objects.filter(pk=event.pk).update(title_en="Caspian jazz (called off)")
            realtime.event_changed(event, realtime.EventChange.UPDATED)

    await nothing_before(
        in_db(retitle),
        {
            socket: next_frame(
                "watch",
                {
                    "eventChanged": {
                        "title": "Caspian jazz (called off)",
                        "status": "CANCELLED",
                        "startsAt": new_starts.isoformat(),
                        "endsAt": new_ends.isoformat(),
                        "cancellationReason": "Storm warning",
                    }
                },
            )
        },
    )


@pytest.fixture
def outsider(user_factory, office_factory):
    """A publisher of an office that has nothing to do with Aktau's drafts."""
    user = user_factory(email="outsider@example.org")
    MembershipFactory(user=user, office=office_factory(), role=OfficeMembership.Role.PUBLISHER)
    return user


@pytest.mark.parametrize(
    ("target", "message", "code"),
    [
        ("the draft", "Nothing with this ID.", "NOT_FOUND"),
        ("nonsense", "'nonsense' is not the ID of an Event.", "INVALID_ID"),
    ],
    ids=["a draft of another office", "not an event's ID"],
)
async def test_event_changed_is_refused_at_subscribe_for_an_event_the_viewer_cannot_see(
    connected, outsider, draft, target, message, code
):
    secret = await in_db(lambda: draft("Aktau", title_en="Secret plans"))
    socket = await connected(user=outsider)
    event_id = gid(secret) if target == "the draft" else target

    await subscribe(socket, "watch", EVENT_CHANGED, {"event": event_id})

    assert await receive(socket) == error_frame(
        "watch",
        {
            "message": message,
            "locations": [{"line": 3, "column": 3}],
            "path": ["eventChanged"],
            "extensions": {"code": code, "field": "event"},
        },
    )
    # No complete: the operation ended with its error, and the ping's pong comes next.
    await nothing_before(sentinel_ping(socket), {socket: SENTINEL_PONG})


@pytest.fixture
def reads(monkeypatch):
    """What eventChanged's reads of the event found: its title, or None when the viewer may not
    see it. A skipped change leaves nothing else to wait for."""
    found = []
    original = subscriptions.visible_event

    def visible_event(viewer, pk):
        event = original(viewer, pk)
        found.append(None if event is None else event.title_en)
        return event

    monkeypatch.setattr(subscriptions, "visible_event", visible_event)
    return found


async def test_event_changed_stops_sending_an_event_the_viewer_may_no_longer_see(
    connected, joined, reads, user_factory, publisher, offices, draft
):
    plan = await in_db(lambda: draft("Aktau", title_en="Plan v1"))
    member = await in_db(lambda: user_factory(email="member@example.org"))
    editor = {"user": member, "office": offices["Aktau"], "role": OfficeMembership.Role.EDITOR}
    await in_db(lambda: MembershipFactory(**editor))
    socket = await connected(user=member)
    group = channel_groups.group_name(channel_groups.EVENT_CHANGES, id=plan.pk)
    await listen(socket, joined, "watch", EVENT_CHANGED, {"event": gid(plan)}, group)

    def rename(title):
        return in_db(services.update_event, publisher, plan, {"title_en": title})

    def frame(title):
        return next_frame(
            "watch",
            {
                "eventChanged": {
                    "title": title,
                    "status": "DRAFT",
                    "startsAt": plan.starts_at.isoformat(),
                    "endsAt": plan.ends_at.isoformat(),
                    "cancellationReason": "",
                }
            },
        )

    # Given a member of the office, who hears of the draft's edits,
    await rename("Plan v2")
    assert await receive(socket) == frame("Plan v2")

    # when they leave the office, the next edit is read for them, found invisible, not sent;
    await in_db(lambda: OfficeMembership.objects.filter(user=member).delete())
    await rename("Plan v3")
    await eventually(lambda: len(reads) == 3)
    assert reads == ["Plan v1", "Plan v2", None]

    # back in the office, they hear of the edit after it, and of nothing before it.
    await in_db(lambda: MembershipFactory(**editor))
    await nothing_before(rename("Plan v4"), {socket: frame("Plan v4")})
    await nothing_before(rename("Plan v5"), {socket: frame("Plan v5")})


# ---------------------------------------------------------------------------------------------
# announcementPosted
# ---------------------------------------------------------------------------------------------
def post(publisher, office, title, **data):
    """Post an announcement through the service, in the database thread."""
    data = {"title_en": title, "body_en": "Details at the city office.", **data}
    return in_db(services.create_announcement, publisher, office, data)


def posted_frame(operation_id, title, city):
    return next_frame(
        operation_id, {"announcementPosted": {"title": title, "city": {"name": city}}}
    )


async def test_announcement_posted_filters_by_city_and_twinning(
    connected, joined, publisher, offices, pair, aktau
):
    one_city = await connected()
    city_group = channel_groups.group_name(channel_groups.CITY_ANNOUNCEMENTS, id=aktau.pk)
    await listen(one_city, joined, "aktau", ANNOUNCEMENT_POSTED, {"city": gid(aktau)}, city_group)
    twinning = await connected()
    await listen(
        twinning,
        joined,
        "pair",
        ANNOUNCEMENT_POSTED,
        {"twinning": gid(pair)},
        ALL_ANNOUNCEMENTS_GROUP,
    )
    everything = await connected()
    await listen(everything, joined, "all", ANNOUNCEMENT_POSTED, {}, ALL_ANNOUNCEMENTS_GROUP)

    await post(publisher, offices["Almaty"], "Apple harvest")
    await post(publisher, offices["Aktau"], "Town day")
    await post(publisher, offices["Bursa"], "Delegation to Aktau", twinning=pair)

    assert await receive(one_city) == posted_frame("aktau", "Town day", "Aktau")
    assert await receive(twinning) == posted_frame("pair", "Delegation to Aktau", "Bursa")
    assert await receive(everything) == posted_frame("all", "Apple harvest", "Almaty")
    assert await receive(everything) == posted_frame("all", "Town day", "Aktau")
    assert await receive(everything) == posted_frame("all", "Delegation to Aktau", "Bursa")
    # Heard by all three: an announcement of Aktau's for the twinning.
    await nothing_before(
        post(publisher, offices["Aktau"], "Twinning ball", twinning=pair),
        {
            one_city: posted_frame("aktau", "Twinning ball", "Aktau"),
            twinning: posted_frame("pair", "Twinning ball", "Aktau"),
            everything: posted_frame("all", "Twinning ball", "Aktau"),
        },
    )


async def test_a_client_complete_stops_deliveries(
    connected, joined, discarded, publisher, offices, aktau
):
    socket = await connected()
    city_group = channel_groups.group_name(channel_groups.CITY_ANNOUNCEMENTS, id=aktau.pk)
    await listen(socket, joined, "aktau", ANNOUNCEMENT_POSTED, {"city": gid(aktau)}, city_group)
    await listen(socket, joined, "all", ANNOUNCEMENT_POSTED, None, ALL_ANNOUNCEMENTS_GROUP)

    await socket.send_json_to(complete_frame("aktau"))
    await eventually(lambda: city_group in discarded)
    await post(publisher, offices["Aktau"], "Town day")

    assert await receive(socket) == posted_frame("all", "Town day", "Aktau")
    await nothing_before(
        post(publisher, offices["Aktau"], "Fish market"),
        {socket: posted_frame("all", "Fish market", "Aktau")},
    )


# ---------------------------------------------------------------------------------------------
# After commit only
# ---------------------------------------------------------------------------------------------
class RolledBack(Exception):
    pass


async def test_a_change_rolled_back_is_never_broadcast(
    connected, joined, sent_to, publisher, offices
):
    socket = await connected()
    await listen(socket, joined, "all", ANNOUNCEMENT_POSTED, None, ALL_ANNOUNCEMENTS_GROUP)
    sent_to.clear()  # what the fixtures' rows told, on commit, of their users' roles

    def post_then_fail():
        with transaction.atomic():
            data = {"title_en": "Oops", "body_en": "Posted by mistake."}
            services.create_announcement(publisher, offices["Aktau"], data)
            raise RolledBack

    with pytest.raises(RolledBack):
        await in_db(post_then_fail)
    assert sent_to == []

    await nothing_before(
        post(publisher, offices["Aktau"], "Town day"),
        {socket: posted_frame("all", "Town day", "Aktau")},
    )


async def test_a_broadcast_waits_for_the_commit(connected, joined, sent_to, publisher, offices):
    socket = await connected()
    await listen(socket, joined, "all", ANNOUNCEMENT_POSTED, None, ALL_ANNOUNCEMENTS_GROUP)
    earlier = await post(publisher, offices["Aktau"], "Fish market")
    assert await receive(socket) == posted_frame("all", "Fish market", "Aktau")
    sent_to.clear()  # what the fixtures' rows and the earlier announcement told, on commit
    written, commit = threading.Event(), threading.Event()

    def post_and_hold_the_transaction():
        with transaction.atomic():
            data = {"title_en": "Town day", "body_en": "Details at the city office."}
            services.create_announcement(publisher, offices["Aktau"], data)
            written.set()
            commit.wait(timeout=5)

    posting = asyncio.ensure_future(in_db(post_and_hold_the_transaction))
    # While the announcement is written but not committed, nothing leaves for any group.
    await eventually(written.is_set)
    assert sent_to == []

    async def tell_again_then_commit():
        # The earlier announcement told again, from here while the transaction is open: its
        # frame comes before anything the announcement being written could have sent.
        payload = {"kind": "posted", "announcement": earlier.pk, "city": earlier.city_id}
        await channel_groups.broadcast(ALL_ANNOUNCEMENTS_GROUP, {**payload, "twinning": None})
        commit.set()
        await posting

    await nothing_before(
        tell_again_then_commit(), {socket: posted_frame("all", "Fish market", "Aktau")}
    )
    assert await receive(socket) == posted_frame("all", "Town day", "Aktau")
    assert sent_to == [
        "announcements.posted",  # the earlier announcement, told again
        f"city.{offices['Aktau'].city_id}.announcements",
        "announcements.posted",
    ]


# ---------------------------------------------------------------------------------------------
# What the services broadcast
# ---------------------------------------------------------------------------------------------
def test_the_services_broadcast_ids_and_kinds_only(
    monkeypatch, publisher, offices, pair, aktau, bursa, draft
):
    sent = []
    monkeypatch.setattr(realtime, "broadcast_on_commit", lambda *message: sent.append(message))
    event = draft("Bursa", twinning=pair, category=Category.SPORTS)
    changes = f"event.{event.pk}.changes"

    services.announce_event(publisher, event)
    services.update_event(publisher, event, {"venue_name": "Stadium"})
    services.postpone_event(publisher, event, future(20), future(20, hours=2))
    services.cancel_event(publisher, event, "Flooded pitch")
    announcement = services.create_announcement(
        publisher, offices["Aktau"], {"title_en": "Town day", "body_en": "…", "twinning": pair}
    )

    facts = {"category": "SPORTS", "twinning": pair.pk, "cities": sorted([aktau.pk, bursa.pk])}
    posted = {
        "kind": "posted",
        "announcement": announcement.pk,
        "city": aktau.pk,
        "twinning": pair.pk,
    }
    assert sent == [
        ("events.announced", {"kind": "announced", "event": event.pk, **facts}),
        (changes, {"kind": "announced", "event": event.pk}),
        (changes, {"kind": "updated", "event": event.pk}),
        (changes, {"kind": "postponed", "event": event.pk}),
        (changes, {"kind": "cancelled", "event": event.pk}),
        (f"city.{aktau.pk}.announcements", posted),
        ("announcements.posted", posted),
    ]
