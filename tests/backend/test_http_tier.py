"""The HTTP tier as production runs it: ``backend.wsgi`` in a real gunicorn process started with
``backend/gunicorn.py``, on the test database, serving the GraphQL endpoint, the admin and the
health probe; on PostgreSQL, with its database connections pooled, kept and bounded."""

from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import httpx
import pytest
from django.db import connection

from tests.e2e.live_server import LiveServer, database_url, sqlite_on_disk
from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"  # the factory's
# The server's pool: a worker's threads share at most this many connections.
POOL_SIZE = 2
THREADS = 4

FEED = "query Feed { events(first: 5) { edges { node { id title } } } }"
TOKEN_CREATE = """
mutation SignIn($email: String!, $password: String!) {
  tokenCreate(email: $email, password: $password) {
    accessToken
    errors { field code message }
  }
}
"""

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def gunicorn(django_db_setup, django_db_blocker, tmp_path_factory):
    """The HTTP tier on the test database (SQLite's moved to a file the server can open)."""
    with ExitStack() as stack:
        if connection.vendor == "sqlite" and connection.is_in_memory_db():
            path = tmp_path_factory.mktemp("http-tier") / "test.sqlite3"
            with django_db_blocker.unblock():
                stack.enter_context(sqlite_on_disk(path))
        with django_db_blocker.unblock():
            url = database_url()
        server = LiveServer(
            tmp_path_factory.mktemp("http-tier") / "gunicorn.log",
            url,
            environment={
                # One threaded worker, its threads sharing a pool smaller than their number.
                "WEB_CONCURRENCY": "1",
                "GUNICORN_THREADS": str(THREADS),
                "DATABASE_POOL_MAX_SIZE": str(POOL_SIZE),
                "DATABASE_POOL_MIN_SIZE": "1",
                # Every feed request reads the database, so that each borrows a connection.
                "RESPONSE_CACHE_SECONDS": "0",
                "RATE_LIMIT_SIGN_IN_IP": "0/m",
            },
            tier="http",
        )
        server.start()
        yield server
        status = server.stop()
        assert status == 0, f"gunicorn did not exit cleanly ({status}):\n{server.log()[-4000:]}"


@pytest.fixture
def client(gunicorn):
    with httpx.Client(base_url=gunicorn.url, trust_env=False, timeout=10) as http:
        yield http


def graphql(client, query: str, variables: dict | None = None) -> dict:
    response = client.post("/graphql/", json={"query": query, "variables": variables or {}})
    assert response.status_code == 200, response.text
    return response.json()


def test_serves_a_query(client):
    # When the feed is asked for
    answer = graphql(client, FEED)

    # Then it is answered, through gunicorn and the WSGI application
    assert answer == {"data": {"events": {"edges": []}}}


def test_serves_a_mutation(client):
    # Given a user
    user = UserFactory()

    # When they sign in
    answer = graphql(client, TOKEN_CREATE, {"email": user.email, "password": PASSWORD})

    # Then a token comes back, and no errors
    payload = answer["data"]["tokenCreate"]
    assert payload["errors"] == []
    assert payload["accessToken"]


def test_serves_the_admin_login_page_and_its_static_files(client):
    # When the admin's login page is asked for
    page = client.get("/admin/login/")

    # Then it is the form, and the stylesheet it names is served too
    assert page.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in page.text
    assert client.get("/static/admin/css/base.css").status_code == 200


def test_serves_health(client):
    assert client.get("/healthz").status_code == 200


def server_connections() -> list[int]:
    """Backend PIDs of the connections to the test database other than this process's."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend' ORDER BY pid"
        )
        return [pid for (pid,) in cursor.fetchall()]


def test_database_connections_are_kept_and_bounded(client):
    if connection.vendor != "postgresql":
        pytest.skip("the pool is PostgreSQL's (SQLite opens a file per connection)")
    # Given the server has answered one request that read the database
    graphql(client, FEED)
    kept = server_connections()
    assert 1 <= len(kept) <= POOL_SIZE

    # When many requests read the database, more at once than the pool has connections
    with ThreadPoolExecutor(THREADS * 2) as pool:
        answers = list(pool.map(lambda _: graphql(client, FEED), range(40)))

    # Then every one is answered, by the connections the pool keeps: no more than its size,
    # and those open before are still the ones open (reused, not opened per request)
    assert all("errors" not in answer for answer in answers)
    after = server_connections()
    assert len(after) <= POOL_SIZE
    assert set(kept) <= set(after)


def test_pooled_connections_ended_by_postgresql_are_replaced(client):
    if connection.vendor != "postgresql":
        pytest.skip("the pool is PostgreSQL's (SQLite opens a file per connection)")
    # Given the pool holds connections
    graphql(client, FEED)
    ended = server_connections()
    assert ended

    # When PostgreSQL ends them (as a restart or an operator does)
    with connection.cursor() as cursor:
        for pid in ended:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])

    # Then the next requests are answered, on new connections
    for _ in range(THREADS * 2):
        assert "errors" not in graphql(client, FEED)
    assert not set(server_connections()) & set(ended)
