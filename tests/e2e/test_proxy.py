"""Production's shape end to end: Debian's nginx, configured from the repository's template
(deploy/nginx/twinning.conf.template), in front of the HTTP tier (gunicorn) and the websocket
tier (uvicorn), each started with docker-compose.yml's own command, driven with real clients.

Through the proxy: a query and a mutation over HTTP, the graphql-ws client chatting (a message
sent over HTTP arrives on its socket), the proxy cache (kept public answers, per language, never
a signed-in or private one, and off with its switch), the client's address as both tiers see
it, the websocket origin check, the request ID and the body limit; events' share pages and the
app links' files, answered by the HTTP tier.

The tiers are separate processes, as in production, so they share groups only through Redis:
the module runs in CI's second leg (REDIS_URL), where nginx must be installed (`.ci/run`
installs Debian's); on the embedded default's in-memory channel layer it is skipped.

Every port is one the kernel picked for a socket bound here and handed over: to gunicorn as
``fd://N``, to uvicorn as ``--fd N``, to nginx as an inherited socket (its ``NGINX``
environment variable, the way it hands its sockets to a new binary), which it takes for the
``listen`` of the same address.
"""

import asyncio
import datetime
import hashlib
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
import websockets
import yaml
from django.conf import settings
from django.utils import timezone

from core import channel_groups
from events.models import Event
from tests.conftest import bearer_for
from tests.e2e.conftest import gid
from tests.e2e.live_server import LiveServer, spawn_on_socket
from tests.images import pictures

pytestmark = [
    # The servers are other processes: what the tests write is committed. Every test of the
    # module alike, so that pytest-django's ordering (transactional tests last) keeps them
    # together and the servers start once.
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        settings.CHANNEL_LAYERS["default"]["BACKEND"] == "channels.layers.InMemoryChannelLayer",
        reason="The two tiers share groups only through Redis: runs in CI's Redis leg "
        "(REDIS_URL=redis://…).",
    ),
]

COMPOSE_FILE = settings.BASE_DIR / "docker-compose.yml"
NGINX_TEMPLATE = settings.BASE_DIR / "deploy" / "nginx" / "twinning.conf.template"
START_SECONDS = 30
STOP_SECONDS = 10
WAIT_SECONDS = 10
# The one address /metrics lets in without a token (METRICS_ALLOWED_IPS), and a client's
# address on the loopback that is not the proxy's (127.0.0.1): Linux answers all of 127/8.
METRICS_CLIENT = "127.0.0.2"
GRAPHQL_RESPONSE = "application/graphql-response+json"
ANDROID_PACKAGE = "org.example.twinning"
FINGERPRINT = ":".join(["5A"] * 32)

EVENT_TITLE = "query Title($id: ID!) { event(id: $id) { title } }"
CHAT_MESSAGE_SEND = """
mutation Send($event: ID!, $body: String!, $clientId: String!) {
  chatMessageSend(event: $event, body: $body, clientId: $clientId) {
    message { seq body author { displayName } }
    errors { field code message }
  }
}
"""
CHAT_MESSAGES = """
subscription Chat($event: ID!) {
  chatMessages(event: $event) { kind message { seq body author { displayName } } }
}
"""


# ---------------------------------------------------------------------------------------------
# The processes
# ---------------------------------------------------------------------------------------------
def compose_command(service: str) -> list[str]:
    """docker-compose.yml's command of ``service``, to be run from this virtual environment."""
    command = yaml.safe_load(COMPOSE_FILE.read_text())["services"][service]["command"]
    executables = {"python": [sys.executable], "gunicorn": [sys.executable, "-m", "gunicorn"]}
    return executables[command[0]] + command[1:]


def http_tier_command(fd: int) -> list[str]:
    """The http service's command, bound to the socket ``fd`` instead of its port."""
    command = compose_command("http")
    command[command.index("--bind") + 1] = f"fd://{fd}"
    return command


def websocket_tier_command(fd: int) -> list[str]:
    """The websocket service's command, serving the socket ``fd`` instead of its port."""
    command = compose_command("websocket")
    for option in ("--host", "--port"):
        at = command.index(option)
        del command[at : at + 2]
    return [*command, "--fd", str(fd)]


class Process:
    """A server process started on a listening socket bound here, its output in ``log_path``."""

    def __init__(self, name: str, log_path: Path):
        self.name = name
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self.port: int | None = None
        # Whether it had to be killed, not having exited within STOP_SECONDS of SIGTERM.
        self.killed = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self, fd: int) -> tuple[list[str], dict[str, str]]:
        """The command line serving the listening socket ``fd`` (on ``self.port``), and its
        environment."""
        raise NotImplementedError

    def launch(self) -> None:
        """Start on a fresh socket, without waiting for it to serve."""

        def command(fd: int, port: int) -> tuple[list[str], dict[str, str]]:
            self.port = port  # nginx's configuration names it
            return self.command(fd)

        self.process, self.port = spawn_on_socket(command, self.log_path)

    def start(self, ready_path: str = "/readyz") -> None:
        """Start, and return once ``ready_path`` answers 200."""
        self.launch()
        try:
            self.wait_until_ready(ready_path)
        except BaseException:
            self.stop()
            raise

    def wait_until_ready(self, path: str = "/readyz") -> None:
        """Poll ``path`` until it answers 200; fail if the process exits or takes too long.

        The port listens from the start: a request made early waits in the backlog, so each
        try is short and a failed one tries again."""
        deadline = time.monotonic() + START_SECONDS
        with httpx.Client(trust_env=False, timeout=0.5) as client:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        f"{self.name} exited ({self.process.returncode}):\n{self.log()}"
                    )
                try:
                    if client.get(f"{self.url}{path}").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.name} did not answer {path}:\n{self.log()}")

    def terminate(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL if it has not exited in time; the exit status."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.killed = True
                self.process.kill()
                self.process.wait(timeout=STOP_SECONDS)
        return self.process.returncode

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-8000:]


class Tier(Process):
    """One of the two web tiers, with the end-to-end tests' server environment."""

    def __init__(self, name: str, log_path: Path, command, environment: dict[str, str]):
        super().__init__(name, log_path)
        self._command = command
        self.environment = environment

    def command(self, fd: int) -> tuple[list[str], dict[str, str]]:
        return self._command(fd), self.environment


def render_template(values: dict[str, str]) -> str:
    """The template with its ``${NAME}``s replaced, as the nginx image's envsubst step does;
    a name without a value fails here rather than reaching nginx."""
    return re.sub(r"\$\{(\w+)\}", lambda match: values[match[1]], NGINX_TEMPLATE.read_text())


class Nginx(Process):
    """Debian's nginx with the repository's template, in a directory of its own: its
    configuration, pid file, logs, temporary files and cache."""

    def __init__(self, directory: Path, http: Process, websocket: Process, cache: str = "on"):
        super().__init__("nginx", directory / "error.log")
        self.directory = directory
        self.http = http
        self.websocket = websocket
        self.cache = cache

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql/"

    def configure(self, port: int) -> list[str]:
        """Write the configuration for ``port``; the command line that runs it."""
        directory = self.directory
        (directory / "twinning.conf").write_text(
            render_template(
                {
                    "NGINX_LISTEN": f"127.0.0.1:{port}",
                    "HTTP_UPSTREAM": f"127.0.0.1:{self.http.port}",
                    "WEBSOCKET_UPSTREAM": f"127.0.0.1:{self.websocket.port}",
                    "NGINX_CACHE_PATH": str(directory / "cache"),
                    "NGINX_PROXY_CACHE": self.cache,
                    # Where the tiers store pictures: the run's own (backend/test_settings.py).
                    "NGINX_MEDIA_ROOT": os.environ["TEST_MEDIA_ROOT"],
                }
            )
        )
        # What the image's nginx.conf holds around conf.d/, with this directory's paths. As
        # root, nginx's workers would otherwise run as nobody, who cannot enter the test's
        # temporary directory.
        user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
        temporary = "\n".join(
            f"    {kind}_temp_path {directory / kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (directory / "nginx.conf").write_text(
            f"""{user}
daemon off;
worker_processes 1;
pid {directory / "nginx.pid"};
error_log {self.log_path} notice;
events {{ worker_connections 256; }}
http {{
    access_log {directory / "access.log"};
{temporary}
    include {directory / "twinning.conf"};
}}
"""
        )
        nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
        return [
            nginx,
            "-p",
            str(directory),
            "-c",
            str(directory / "nginx.conf"),
            "-e",
            str(self.log_path),
        ]

    def command(self, fd: int) -> tuple[list[str], dict[str, str]]:
        # nginx takes the sockets named in NGINX as its own, for the `listen` of the same
        # address.
        return self.configure(self.port), {**os.environ, "NGINX": f"{fd};"}

    def start(self) -> None:
        super().start(ready_path="/healthz")


def nginx_missing() -> str | None:
    if shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin"):
        return None
    return "nginx is not installed: `.ci/run` installs Debian's (apt-get install nginx)."


# ---------------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiers(live_database, tmp_path_factory):
    """The HTTP and the websocket tier on the test database, as production configures them
    behind one proxy (TRUSTED_PROXY_COUNT=1); /metrics lets METRICS_CLIENT in, and an
    anonymous address holds one socket at a time, so that the tests see which address each
    tier took for the client's. Both must stop cleanly at the end."""
    directory = tmp_path_factory.mktemp("tiers")
    environment = LiveServer(directory / "unused.log", live_database).environment()
    environment.update(
        TRUSTED_PROXY_COUNT="1",
        METRICS_ALLOWED_IPS=METRICS_CLIENT,
        WEBSOCKET_MAX_ANONYMOUS_CONNECTIONS_PER_IP="1",
        # One worker process: what the tests check does not depend on how many there are,
        # and each costs a second or two of start-up.
        WEB_CONCURRENCY="1",
        # The apps whose links the association files name.
        ANDROID_PACKAGE_NAME=ANDROID_PACKAGE,
        ANDROID_SHA256_CERT_FINGERPRINTS=FINGERPRINT,
        IOS_TEAM_ID="ABCDE12345",
        IOS_BUNDLE_ID="org.example.twinning",
    )
    http = Tier("the HTTP tier", directory / "http.log", http_tier_command, environment)
    websocket = Tier(
        "the websocket tier", directory / "websocket.log", websocket_tier_command, environment
    )
    both = (http, websocket)
    with ExitStack() as stack:
        # Both start, and later stop, at the same time.
        for tier in both:
            stack.callback(tier.stop)
            tier.launch()
        for tier in both:
            tier.wait_until_ready()
        yield both
        for tier in both:
            tier.terminate()
        for tier in both:
            tier.stop()
            assert not tier.killed, f"{tier.name} did not exit on SIGTERM:\n{tier.log()}"


def start_nginx(tmp_path_factory, tiers, cache: str = "on") -> Nginx:
    if missing := nginx_missing():
        pytest.fail(missing, pytrace=False)
    proxy = Nginx(tmp_path_factory.mktemp("nginx"), *tiers, cache=cache)
    proxy.start()
    return proxy


@pytest.fixture(scope="module")
def proxy(tiers, tmp_path_factory):
    """nginx in front of the tiers, for the module."""
    proxy = start_nginx(tmp_path_factory, tiers)
    yield proxy
    assert proxy.stop() == 0, proxy.log()


@pytest.fixture
def event(event_factory, office_factory):
    """A public event with an English and a Russian title, starting in ten minutes (its chat
    room is open)."""
    return event_factory(
        office=office_factory(),
        title_en=f"Twinning days {uuid.uuid4().hex[:6]}",
        title_ru="Дни городов-побратимов",
        starts_at=timezone.now() + datetime.timedelta(minutes=10),
    )


@pytest.fixture
def token(user_factory) -> str:
    return bearer_for(user_factory(display_name="Ada"))


async def get_query(proxy, query: str, variables: dict, **headers) -> httpx.Response:
    """A GET query through the proxy, as an app or a CDN sends it."""
    async with httpx.AsyncClient(trust_env=False, timeout=WAIT_SECONDS) as client:
        return await client.get(
            f"{proxy.url}/graphql/",
            params={"query": query, "variables": json.dumps(variables)},
            headers={"Accept": GRAPHQL_RESPONSE, **headers},
        )


async def post(proxy, query: str, variables: dict, token=None, **headers) -> httpx.Response:
    if token:
        headers["Authorization"] = f"Bearer {token}"
    async with httpx.AsyncClient(trust_env=False, timeout=WAIT_SECONDS) as client:
        return await client.post(
            f"{proxy.url}/graphql/",
            json={"query": query, "variables": variables},
            headers={"Accept": GRAPHQL_RESPONSE, **headers},
        )


# ---------------------------------------------------------------------------------------------
# The API through the proxy
# ---------------------------------------------------------------------------------------------
async def test_a_query_a_mutation_and_a_chat_go_through_the_proxy(
    proxy, clients, listen, event, token
):
    # Given the graphql-ws client, signed in, listening to the event's chat through the proxy
    group = channel_groups.group_name(channel_groups.EVENT_CHAT, id=event.pk)
    ada = await clients.connect("node", token=token, server=proxy)
    heard = await listen(ada, CHAT_MESSAGES, {"event": gid(event)}, group)

    # When a query and a mutation are sent over HTTP, to the HTTP tier
    query = await post(proxy, EVENT_TITLE, {"id": gid(event)})
    variables = {"event": gid(event), "body": "Salem from Aktau!", "clientId": uuid.uuid4().hex}
    sent = await post(proxy, CHAT_MESSAGE_SEND, variables, token)

    # Then both are answered, and the message reaches the socket on the websocket tier
    assert query.json() == {"data": {"event": {"title": event.title_en}}}
    assert query.headers["Server"].startswith("nginx")
    payload = sent.json()["data"]["chatMessageSend"]
    assert payload["errors"] == []
    message = {"seq": payload["message"]["seq"], "body": "Salem from Aktau!"}
    assert (await heard.next())["data"]["chatMessages"] == {
        "kind": "CREATED",
        "message": {**message, "author": {"displayName": "Ada"}},
    }
    # And a message sent over the socket is heard there too
    variables = {"event": gid(event), "body": "Rakhmet!", "clientId": uuid.uuid4().hex}
    answer = await ada.execute(CHAT_MESSAGE_SEND, variables)
    assert answer["data"]["chatMessageSend"]["errors"] == []
    assert (await heard.next())["data"]["chatMessages"]["message"]["body"] == "Rakhmet!"


AVATAR_UPLOAD = """
mutation ($file: Upload!) {
  avatarUpload(file: $file) {
    viewer { avatar { full { url width height mimeType } } }
    errors { field code message }
  }
}
"""


async def upload(proxy, token: str, data: bytes) -> httpx.Response:
    """``AVATAR_UPLOAD`` with ``data``, as apollo-upload-client sends it: a multipart body of
    the operations, the map, then the file."""
    async with httpx.AsyncClient(trust_env=False, timeout=WAIT_SECONDS) as client:
        return await client.post(
            f"{proxy.url}/graphql/",
            data={
                "operations": json.dumps({"query": AVATAR_UPLOAD, "variables": {"file": None}}),
                "map": json.dumps({"0": ["variables.file"]}),
            },
            files={"0": ("me.jpg", data, "image/jpeg")},
            headers={"Authorization": f"Bearer {token}", "Accept": GRAPHQL_RESPONSE},
        )


async def test_an_avatar_goes_up_through_the_proxy_and_comes_back_from_it(proxy, token):
    # Given a phone's photo of 3 MB, more than the proxy took before pictures were uploaded
    photo = pictures.noisy_photo(1600, 1200)
    assert len(photo) > 1_500_000

    # When the app uploads it as its avatar, through the proxy to the HTTP tier
    response = await upload(proxy, token, photo)

    # Then it is its avatar, at a URL on the proxy's host
    assert response.status_code == 200, response.text
    payload = response.json()["data"]["avatarUpload"]
    assert payload["errors"] == []
    full = payload["viewer"]["avatar"]["full"]
    assert full["url"].startswith(f"{proxy.url}/media/images/")
    # And the proxy serves that file itself, cached for good
    async with httpx.AsyncClient(trust_env=False, timeout=WAIT_SECONDS) as client:
        picture = await client.get(full["url"])
        listing = await client.get(f"{proxy.url}/media/images/")
        beside = await client.get(f"{proxy.url}/media/")
    assert picture.status_code == 200
    assert picture.headers["Content-Type"] == "image/webp"
    assert picture.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert picture.content[:4] == b"RIFF" and picture.content[8:12] == b"WEBP"
    assert listing.status_code in (403, 404) and beside.status_code == 404


async def test_an_upload_too_large_for_the_app_is_answered_by_the_app(proxy, token):
    # Over GRAPHQL_MAX_UPLOAD_BYTES and the body limit (10 MB and 100 KiB), under the proxy's
    response = await upload(proxy, token, b"\xff\xd8\xff" + b"\0" * 10_200_000)

    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_the_request_id_is_the_clients_or_the_proxys(proxy):
    async with httpx.AsyncClient(trust_env=False, timeout=WAIT_SECONDS) as client:
        own = await client.get(f"{proxy.url}/healthz", headers={"X-Request-ID": "app-trace-1234"})
        none = await client.get(f"{proxy.url}/healthz")
        insane = await client.get(f"{proxy.url}/healthz", headers={"X-Request-ID": "<x>"})

    # The app answers with the ID it logged: the client's when it is sane
    assert own.headers["X-Request-ID"] == "app-trace-1234"
    # else nginx's $request_id, 32 hexadecimal digits (the app's own would be a UUID with dashes)
    assert re.fullmatch(r"[0-9a-f]{32}", none.headers["X-Request-ID"])
    assert re.fullmatch(r"[0-9a-f]{32}", insane.headers["X-Request-ID"])


async def test_a_body_over_the_apps_limit_is_refused_by_the_app(proxy):
    body = json.dumps({"query": "{ __typename }", "padding": "x" * settings.GRAPHQL_MAX_BODY_BYTES})

    async with httpx.AsyncClient(trust_env=False, timeout=WAIT_SECONDS) as client:
        response = await client.post(
            f"{proxy.url}/graphql/",
            content=body,
            headers={"Content-Type": "application/json", "Accept": GRAPHQL_RESPONSE},
        )

    # The app's answer, a GraphQL error, not nginx's page
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


# ---------------------------------------------------------------------------------------------
# The proxy cache
# ---------------------------------------------------------------------------------------------
async def test_an_anonymous_get_query_is_answered_by_the_proxy_once_kept(proxy, event):
    variables = {"id": gid(event)}

    first = await get_query(proxy, EVENT_TITLE, variables, **{"X-Request-ID": "first-request"})
    second = await get_query(proxy, EVENT_TITLE, variables, **{"X-Request-ID": "second-request"})

    assert first.headers["X-Cache-Status"] == "MISS"
    assert (
        first.headers["Cache-Control"] == f"public, max-age={settings.GRAPHQL_GET_MAX_AGE_SECONDS}"
    )
    assert second.headers["X-Cache-Status"] == "HIT"
    assert second.content == first.content
    assert second.json() == {"data": {"event": {"title": event.title_en}}}
    # Each with its own request's ID, the kept one too
    assert [first.headers["X-Request-ID"], second.headers["X-Request-ID"]] == [
        "first-request",
        "second-request",
    ]


async def test_each_language_gets_its_own_kept_answer(proxy, event):
    variables = {"id": gid(event)}

    answers = [
        await get_query(proxy, EVENT_TITLE, variables, **{"Accept-Language": language})
        for language in ("ru", "en", "ru", "en")
    ]

    assert [answer.headers["X-Cache-Status"] for answer in answers] == [
        "MISS",
        "MISS",
        "HIT",
        "HIT",
    ]
    titles = [answer.json()["data"]["event"]["title"] for answer in answers]
    assert titles == [event.title_ru, event.title_en, event.title_ru, event.title_en]


async def test_a_signed_in_request_is_never_answered_from_the_proxy_cache(proxy, event, token):
    # Given an anonymous answer kept for the same URL
    variables = {"id": gid(event)}
    await get_query(proxy, EVENT_TITLE, variables)
    assert (await get_query(proxy, EVENT_TITLE, variables)).headers["X-Cache-Status"] == "HIT"

    # When a signed-in client asks, twice
    signed_in = [
        await get_query(proxy, EVENT_TITLE, variables, Authorization=f"Bearer {token}")
        for _ in range(2)
    ]

    # Then the app answers each, privately
    for answer in signed_in:
        assert answer.headers["X-Cache-Status"] == "BYPASS"
        assert answer.headers["Cache-Control"] == "private, no-store"
        assert answer.json() == {"data": {"event": {"title": event.title_en}}}


async def test_a_private_answer_is_not_kept(proxy):
    # An error is answered `private, no-store`
    answers = [await get_query(proxy, "query Nothing { nothing }", {}) for _ in range(2)]

    assert [answer.headers["X-Cache-Status"] for answer in answers] == ["MISS", "MISS"]
    assert answers[1].headers["Cache-Control"] == "private, no-store"


async def test_a_persisted_query_by_get_is_kept(proxy, event):
    # Given the query persisted (Apollo's automatic persisted queries)
    query = f"query Persisted{uuid.uuid4().hex[:8]}($id: ID!) {{ event(id: $id) {{ title }} }}"
    digest = hashlib.sha256(query.encode()).hexdigest()
    extensions = json.dumps({"persistedQuery": {"version": 1, "sha256Hash": digest}})
    variables = json.dumps({"id": gid(event)})

    async def by_hash():
        async with httpx.AsyncClient(trust_env=False, timeout=WAIT_SECONDS) as client:
            return await client.get(
                f"{proxy.url}/graphql/",
                params={"extensions": extensions, "variables": variables},
                headers={"Accept": GRAPHQL_RESPONSE},
            )

    async with httpx.AsyncClient(trust_env=False, timeout=WAIT_SECONDS) as client:
        stored = await client.get(
            f"{proxy.url}/graphql/",
            params={"query": query, "extensions": extensions, "variables": variables},
            headers={"Accept": GRAPHQL_RESPONSE},
        )
    assert stored.json() == {"data": {"event": {"title": event.title_en}}}

    # When it is asked for by its hash alone, twice
    answers = [await by_hash(), await by_hash()]

    # Then the proxy keeps the first answer
    assert [answer.headers["X-Cache-Status"] for answer in answers] == ["MISS", "HIT"]
    assert answers[1].json() == {"data": {"event": {"title": event.title_en}}}


@pytest.fixture
def other(event, event_factory):
    return event_factory(office=event.office, title_en=f"Other days {uuid.uuid4().hex[:6]}")


async def test_an_anonymous_post_query_is_kept_by_its_body(proxy, event, other):
    # Apollo's clients send queries by POST: the proxy keeps those too, one entry per body
    answers = [
        await post(proxy, EVENT_TITLE, {"id": gid(kept)}) for kept in (event, event, other, other)
    ]

    assert [answer.headers["X-Cache-Status"] for answer in answers] == [
        "MISS",
        "HIT",
        "MISS",
        "HIT",
    ]
    titles = [answer.json()["data"]["event"]["title"] for answer in answers]
    assert titles == [event.title_en, event.title_en, other.title_en, other.title_en]
    assert answers[1].headers["Cache-Control"].startswith("public")
    # A GET of the same query is an entry of its own
    assert (await get_query(proxy, EVENT_TITLE, {"id": gid(event)})).headers[
        "X-Cache-Status"
    ] == "MISS"


async def test_posts_signed_in_or_of_mutations_are_never_kept(proxy, event, token):
    variables = {"id": gid(event)}
    await post(proxy, EVENT_TITLE, variables)
    assert (await post(proxy, EVENT_TITLE, variables)).headers["X-Cache-Status"] == "HIT"

    signed_in = [await post(proxy, EVENT_TITLE, variables, token) for _ in range(2)]
    mutation = 'mutation { deviceUnregister(token: "nothing") { errors { code } } }'
    anonymous_mutations = [await post(proxy, mutation, {}) for _ in range(2)]

    assert [answer.headers["X-Cache-Status"] for answer in signed_in] == ["BYPASS", "BYPASS"]
    assert signed_in[1].headers["Cache-Control"] == "private, no-store"
    # Looked up, answered by the app each time (private), never stored
    assert [answer.headers["X-Cache-Status"] for answer in anonymous_mutations] == [
        "MISS",
        "MISS",
    ]
    assert anonymous_mutations[1].headers["Cache-Control"] == "private, no-store"


async def test_the_proxy_cache_can_be_turned_off(tiers, tmp_path_factory, event):
    uncached = start_nginx(tmp_path_factory, tiers, cache="off")
    try:
        answers = [await get_query(uncached, EVENT_TITLE, {"id": gid(event)}) for _ in range(2)]
    finally:
        assert uncached.stop() == 0, uncached.log()

    assert [answer.headers["X-Cache-Status"] for answer in answers] == ["BYPASS", "BYPASS"]
    # The answer is still public: a CDN or the app may keep it
    assert answers[1].headers["Cache-Control"].startswith("public")


# ---------------------------------------------------------------------------------------------
# The client's address, and the websocket's origin
# ---------------------------------------------------------------------------------------------
async def test_the_http_tier_sees_the_clients_address_which_a_client_cannot_forge(proxy):
    # /metrics lets METRICS_CLIENT in, and refuses anyone else (401)
    transport = httpx.AsyncHTTPTransport(local_address=METRICS_CLIENT)
    async with httpx.AsyncClient(transport=transport, trust_env=False) as allowed:
        from_the_client = await allowed.get(f"{proxy.url}/metrics")
    async with httpx.AsyncClient(trust_env=False) as other:
        forged = await other.get(
            f"{proxy.url}/metrics", headers={"X-Forwarded-For": METRICS_CLIENT}
        )

    assert from_the_client.status_code == 200
    assert forged.status_code == 401


async def open_socket(proxy, address: str, **options):
    """An anonymous graphql-transport-ws socket through the proxy from ``address``: what the
    server answers ``connection_init`` with (``connection_ack``, or the close code)."""
    async with websockets.connect(
        proxy.ws_url,
        subprotocols=["graphql-transport-ws"],
        local_addr=(address, 0),
        proxy=None,
        open_timeout=WAIT_SECONDS,
        **options,
    ) as socket_:
        await socket_.send(json.dumps({"type": "connection_init", "payload": {}}))
        try:
            async with asyncio.timeout(WAIT_SECONDS):
                return json.loads(await socket_.recv())["type"], socket_
        except websockets.ConnectionClosed as closed:
            return closed.rcvd.code, socket_


async def test_the_websocket_tier_sees_the_clients_address_which_a_client_cannot_forge(proxy):
    # Each anonymous address holds one socket at a time (the tiers' setting)
    async with websockets.connect(
        proxy.ws_url, subprotocols=["graphql-transport-ws"], local_addr=("127.0.0.3", 0), proxy=None
    ) as first:
        await first.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await first.recv())["type"] == "connection_ack"

        # Another address is another client, though both come from the proxy's
        other, _ = await open_socket(proxy, "127.0.0.4")
        # The first address, claiming to be yet another, is still itself
        forged, _ = await open_socket(
            proxy, "127.0.0.3", additional_headers={"X-Forwarded-For": "127.0.0.5"}
        )

    assert other == "connection_ack"
    assert forged == 4008


async def test_the_websocket_origin_check_holds_through_the_proxy(proxy):
    own, _ = await open_socket(proxy, "127.0.0.6", origin=f"http://127.0.0.1:{proxy.port}")
    with pytest.raises(websockets.InvalidStatus) as refused:
        await open_socket(proxy, "127.0.0.7", origin="https://elsewhere.example")

    # A page on the API's own host (as the browser names it, port included) may connect
    assert own == "connection_ack"
    # Another site's may not
    assert refused.value.response.status_code == 403


# ---------------------------------------------------------------------------------------------
# Share links and the app links' files
# ---------------------------------------------------------------------------------------------
def requests_counted(tier: Process, route: str, status: int) -> float:
    """How many requests ``tier`` says it answered on the URL pattern ``route`` with
    ``status`` (its /metrics, asked directly from the address it lets in)."""
    transport = httpx.HTTPTransport(local_address=METRICS_CLIENT)
    with httpx.Client(transport=transport, trust_env=False) as client:
        metrics = client.get(f"{tier.url}/metrics").text
    labels = f'method="GET",route="{route}",status="{status}"'
    for line in metrics.splitlines():
        if line.startswith(f"twinning_http_requests_total{{{labels}}} "):
            return float(line.split()[-1])
    return 0.0


def fetch(proxy, path: str, **headers) -> httpx.Response:
    """A GET through the proxy. (These tests are synchronous: they use the ORM between
    requests, which the other tests' event loop may not.)"""
    with httpx.Client(trust_env=False, timeout=WAIT_SECONDS) as client:
        return client.get(f"{proxy.url}{path}", headers=headers)


def test_a_share_page_is_answered_by_the_http_tier_and_kept_per_language(proxy, tiers, event):
    route = "e/<pk:pk>"
    before = [requests_counted(tier, route, 200) for tier in tiers]

    answers = [
        fetch(proxy, f"/e/{event.pk}", **{"Accept-Language": language})
        for language in ("ru", "en", "ru", "en")
    ]

    assert [answer.status_code for answer in answers] == [200] * 4
    assert [answer.headers["X-Cache-Status"] for answer in answers] == [
        "MISS",
        "MISS",
        "HIT",
        "HIT",
    ]
    assert [answer.headers["Content-Language"] for answer in answers] == ["ru", "en", "ru", "en"]
    assert event.title_ru in answers[2].text and event.title_en in answers[3].text
    # The two misses reached the HTTP tier, none the websocket tier
    after = [requests_counted(tier, route, 200) for tier in tiers]
    assert after[0] - before[0] == 2
    assert after[1] == before[1]


def test_a_drafts_share_link_is_never_kept(proxy, event):
    Event.objects.filter(pk=event.pk).update(status=Event.Status.DRAFT)
    hidden = [fetch(proxy, f"/e/{event.pk}") for _ in range(2)]

    Event.objects.filter(pk=event.pk).update(status=Event.Status.ANNOUNCED)
    announced = fetch(proxy, f"/e/{event.pk}")

    assert [answer.status_code for answer in hidden] == [404, 404]
    assert [answer.headers["X-Cache-Status"] for answer in hidden] == ["MISS", "MISS"]
    # Shown at once when announced: the 404 was not kept
    assert announced.status_code == 200
    assert event.title_en in announced.text


@pytest.mark.parametrize(
    ("path", "route"),
    [
        ("/.well-known/assetlinks.json", ".well-known/assetlinks.json"),
        (
            "/.well-known/apple-app-site-association",
            ".well-known/apple-app-site-association",
        ),
    ],
)
def test_the_app_links_files_come_from_the_http_tier_unredirected(proxy, tiers, path, route):
    before = [requests_counted(tier, route, 200) for tier in tiers]

    answer = fetch(proxy, path)

    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/json"
    document = answer.json()
    if path.endswith(".json"):
        assert document[0]["target"]["package_name"] == ANDROID_PACKAGE
        assert document[0]["target"]["sha256_cert_fingerprints"] == [FINGERPRINT]
    else:
        assert document["applinks"]["details"][0]["appIDs"] == ["ABCDE12345.org.example.twinning"]
    after = [requests_counted(tier, route, 200) for tier in tiers]
    assert (after[0] - before[0], after[1] - before[1]) == (1, 0)
