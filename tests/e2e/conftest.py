"""Fixtures of the end-to-end tests: one live server of the websocket tier for the package (it
answers HTTP too), on the test database, and real clients connected to it.

Every test here commits (``django_db(transaction=True)``): the server is another process and
sees committed rows only. The server, the database it shares with the tests and its channel
layer follow the suite's environment: SQLite and the in-memory layer by default (then one
server process holds the layer, and HTTP and websockets share it), PostgreSQL and channels-redis
with DATABASE_URL and REDIS_URL.
"""

import asyncio
from contextlib import ExitStack

import pytest
from django.db import connection
from graphql_relay import to_global_id

from accounts import tokens
from cities.models import OfficeMembership
from tests.e2e.browser import launched_chromium, offline_context
from tests.e2e.clients import NodeClient, PythonClient, node_missing
from tests.e2e.live_server import LiveServer, database_url, sqlite_on_disk
from tests.factories import MembershipFactory
from tests.waiting import eventually

CLIENTS = {"node": NodeClient, "python": PythonClient}
PROBE = "query Probe { __typename }"
PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


@pytest.fixture(scope="package")
def live_database(django_db_setup, django_db_blocker, tmp_path_factory) -> str:
    """DATABASE_URL of the test database, in a form the server's process can open too.

    PostgreSQL's test database is one already. SQLite's is in memory, so for this package only
    it moves to a file (``sqlite_on_disk``), and back when the package is done.
    """
    with ExitStack() as stack:
        if connection.vendor == "sqlite" and connection.is_in_memory_db():
            path = tmp_path_factory.mktemp("e2e-database") / "test.sqlite3"
            with django_db_blocker.unblock():
                stack.enter_context(sqlite_on_disk(path))
        yield database_url()


@pytest.fixture(scope="package")
def websocket_server(live_database, tmp_path_factory) -> LiveServer:
    """The websocket tier's server (production's command, uvicorn serving ``backend.asgi``) on
    the test database, for the package; its log is added to the report of every test that
    fails. It must stop cleanly at the end."""
    server = LiveServer(tmp_path_factory.mktemp("e2e-server") / "websocket.log", live_database)
    server.start()
    yield server
    status = server.stop()
    assert status == 0, f"the server did not exit cleanly ({status}):\n{server.log()[-8000:]}"


@pytest.fixture(scope="package")
def debug_server(live_database, tmp_path_factory) -> LiveServer:
    """The websocket tier's server (which serves HTTP too) with the project's settings and
    DEBUG on, as `make run` serves it: GraphiQL's page and the admin's static files (the test
    settings turn DEBUG off), e-mail printed to its log."""
    server = LiveServer(
        tmp_path_factory.mktemp("browser") / "server.log",
        live_database,
        {"DJANGO_SETTINGS_MODULE": "backend.settings", "DEBUG": "true"},
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium, driven by Playwright, for one module: Playwright's sync API keeps an
    event loop running in this thread while it is open, and the other modules' async tests
    need the thread free of one."""
    with launched_chromium() as browser:
        yield browser


@pytest.fixture
def offline_page(chromium, debug_server):
    """A page that may reach the live server only; ``page.refused`` lists what else it
    tried."""
    context = offline_context(chromium, debug_server.url, locale="en-GB")
    page = context.new_page()
    yield page
    context.close()


LOG_START = pytest.StashKey[dict]()
# The live servers shared by several tests: a failed test's report shows their logs from where
# they stood when it began (a server of the test's own, from its start).
LOGGED_SERVERS = ("websocket_server", "debug_server")


@pytest.fixture(autouse=True)
def _server_log_start(request, websocket_server) -> None:
    """Where each server's log stood when the test began, for ``pytest_runtest_makereport``."""
    request.node.stash[LOG_START] = {
        name: request.getfixturevalue(name).log_path.stat().st_size
        for name in LOGGED_SERVERS
        if name in request.fixturenames
    }


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test's report shows what each live server it used logged during the test."""
    report = yield
    if report.failed:
        starts = item.stash.get(LOG_START, {})
        for name, server in getattr(item, "funcargs", {}).items():
            if isinstance(server, LiveServer):
                with server.log_path.open("rb") as log:
                    log.seek(starts.get(name, 0))
                    text = log.read().decode(errors="replace")
                report.sections.append((f"{name} log", text))
    return report


@pytest.fixture
async def clients(websocket_server, tmp_path):
    """Connect real clients to the live server: ``await clients.connect("node", token=…)``;
    every client is closed after the test."""
    opened = []

    class Clients:
        async def connect(self, kind: str, token=None, keep_alive=False, server=None, **options):
            """``server``: another live server than the package's; ``options``: the client's
            own (NodeClient's ``refresh_token`` and ``http_url``)."""
            if kind == "node" and (missing := node_missing()):
                pytest.fail(missing, pytrace=False)
            client = await CLIENTS[kind].connect(
                (server or websocket_server).ws_url, token, keep_alive, log_dir=tmp_path, **options
            )
            opened.append(client)
            return client

    yield Clients()
    await asyncio.gather(*(client.close() for client in opened))


@pytest.fixture(params=sorted(CLIENTS))
def connect(request, clients):
    """Connect a client of each kind in turn (the test runs once with each)."""

    def connect_(token=None, keep_alive=False):
        return clients.connect(request.param, token, keep_alive)

    return connect_


@pytest.fixture
def listen(websocket_server):
    """Subscribe and return once the server listens to the subscription's channel-layer
    ``group``: what commits from then on is heard.

    A subscription sends nothing on subscribing, so the test asks something else. The server
    runs a socket's messages in order, and a subscription joins its group before the next
    message is read when joining does not wait (the layer is in memory, or the server process
    is in the group already for another subscriber), so the answer to a query sent after the
    subscription comes after the join. The first listener of a group on Redis waits on the
    network for the process to join: there the group itself is watched until its member (the
    server process's channel) appears.
    """

    async def listen_(client, query: str, variables: dict | None, group: str):
        before = websocket_server.group_members(group)
        subscription = await client.subscribe(query, variables)
        assert await client.execute(PROBE) == {"data": {"__typename": "Query"}}
        if before is not None and not before:
            await eventually(lambda: websocket_server.group_members(group))
        return subscription

    return listen_


def gid(instance) -> str:
    return to_global_id(type(instance).__name__, instance.pk)


# -- An office and what it publishes (rows made in fixtures: the ORM does not run in the tests'
# event loop) ------------------------------------------------------------------------------------
@pytest.fixture
def office(office_factory, city_factory):
    return office_factory(city=city_factory(name_en="Aktau", timezone="Asia/Aqtau"))


@pytest.fixture
def publisher_token(user_factory, office) -> str:
    """The access token of a publisher of ``office``."""
    user = user_factory()
    MembershipFactory(user=user, office=office, role=OfficeMembership.Role.PUBLISHER)
    return tokens.create_tokens(user.email, PASSWORD).access_token


@pytest.fixture
def public_event(event_factory, office):
    """An announced event of ``office``."""
    return event_factory(office=office, host_city=office.city)
