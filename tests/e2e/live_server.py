"""The project's servers in processes of their own, for the end-to-end tests: real sockets, real
HTTP, the channel layer of the settings.

Either tier is started with production's command (``TIERS``): the websocket tier,
``python -m backend.websocket_server`` (uvicorn serving ``backend.asgi``), or the HTTP tier,
gunicorn serving ``backend.wsgi``; with the test settings and the test database, so that what a
test writes is what the server reads and the other way round. The listening socket is bound
here, on 127.0.0.1 and a port the kernel picks, and handed to the server (``--fd N``,
``--bind fd://N``): no other process can take the port between choosing and binding it. The
server counts as started once ``/readyz`` answers 200, which also says that it reached the
database and its channel layer.
"""

import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import closing, contextmanager
from pathlib import Path
from urllib.parse import quote

import httpx
import redis
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer
from django.conf import settings
from django.db import connection

START_SECONDS = 30
STOP_SECONDS = 10
GRACEFUL_SECONDS = 5

# Production's command line of each tier, given the listening socket's file descriptor.
TIERS = {
    "websocket": lambda fd: ["-m", "backend.websocket_server", "--fd", str(fd)],
    "http": lambda fd: [
        "-m",
        "gunicorn",
        "--config",
        "python:backend.gunicorn",
        "--bind",
        f"fd://{fd}",
        "backend.wsgi:application",
    ],
}
# The server's own pings (graphql-transport-ws `ping`): often enough for a test to see a dozen
# within seconds (production's 25 s would not fit a test).
KEEPALIVE_SECONDS = 0.5


def database_url() -> str:
    """DATABASE_URL naming the database the test process is connected to now."""
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{database['NAME']}"
    if connection.vendor != "postgresql":
        raise NotImplementedError(f"No live server on {connection.vendor}.")
    credentials = quote(database["USER"] or "", safe="")
    if database["PASSWORD"]:
        credentials += ":" + quote(database["PASSWORD"], safe="")
    host = database["HOST"] or "localhost"
    port = f":{database['PORT']}" if database["PORT"] else ""
    return f"postgres://{credentials}@{host}{port}/{quote(database['NAME'], safe='')}"


@contextmanager
def sqlite_on_disk(path: Path):
    """The test process's SQLite test database copied to ``path`` and used from there while the
    block runs; then the in-memory database again, as the block found it.

    pytest-django keeps SQLite's test database in memory, which no other process can open. The
    copy is SQLite's online backup (as Django's parallel runner clones it); the connection is
    pointed at the file, and the in-memory one is kept aside, open, since closing it would
    destroy that database. Connections already open in other threads would stay on the
    in-memory database: the tests that share the file use the ORM from their own thread only.
    """
    connection.ensure_connection()
    memory = connection.connection
    with closing(sqlite3.connect(path)) as disk:
        memory.backup(disk)
    name = connection.settings_dict["NAME"]
    connection.connection = None
    connection.settings_dict["NAME"] = str(path)
    try:
        yield
    finally:
        connection.close()  # the file's connection: a real close, as the name is a file's
        connection.settings_dict["NAME"] = name
        connection.connection = memory


def spawn_on_socket(
    command: Callable[[int, int], tuple[list[str], dict[str, str]]], log_path: Path
) -> tuple[subprocess.Popen, int]:
    """Start a server on a listening socket of 127.0.0.1 bound here (the kernel picks the
    port): ``command(fd, port)`` gives its command line, serving the socket handed over as the
    file descriptor ``fd``, and its environment. Its output goes to ``log_path``. Returns the
    process and the port, which listens from the start: a request made before the server runs
    waits in the socket's backlog.

    This process's copy of the socket is closed once the server has it, so that only the
    server accepts on it (and a server that stops listening refuses connections)."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=128)
    port = listener.getsockname()[1]
    with listener, log_path.open("wb") as log:
        line, environment = command(listener.fileno(), port)
        process = subprocess.Popen(  # noqa: S603 (the tests' own command lines)
            line,
            cwd=settings.BASE_DIR,
            env=environment,
            pass_fds=(listener.fileno(),),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return process, port


class LiveServer:
    """A server process of one ``tier`` (a key of ``TIERS``) on 127.0.0.1.

    ``url`` is its http:// base, ``ws_url`` its GraphQL websocket (the websocket tier's).
    What the server writes to stdout and stderr (its access log, errors, tracebacks) goes to
    ``log_path``; ``log()`` reads it back for failure messages. ``environment`` adds to or
    replaces the server's environment variables (another Redis, other settings).
    """

    def __init__(
        self,
        log_path: Path,
        database: str,
        environment: dict[str, str] | None = None,
        tier: str = "websocket",
    ):
        self.log_path = log_path
        self.database = database
        self.overrides = environment or {}
        self.tier = tier
        self.command = TIERS[tier]
        self.process: subprocess.Popen | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql/"

    def environment(self) -> dict[str, str]:
        """The test process's environment, with the test settings, the test database, a
        keep-alive and a graceful time short enough to test, and no rate limits on mutations,
        chat messages and websocket operations: the tests send faster than people type (the
        limits have tests of their own, in tests/schema)."""
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "backend.test_settings",
            "DATABASE_URL": self.database,
            "WEBSOCKET_KEEPALIVE_SECONDS": str(KEEPALIVE_SECONDS),
            # Shorter than STOP_SECONDS: a server that cannot finish in time stops by itself
            # and says why in its log, rather than being killed.
            "GRACEFUL_SHUTDOWN_SECONDS": str(GRACEFUL_SECONDS),
            "CHAT_RATE": "0/m",
            "RATE_LIMIT_MUTATIONS_USER": "0/m",
            "RATE_LIMIT_MUTATIONS_IP": "0/m",
            "WEBSOCKET_OPERATIONS_PER_SECOND": "0",
            "PYTHONUNBUFFERED": "1",
            **self.overrides,
        }

    def start(self) -> None:
        self.process, self.port = spawn_on_socket(
            lambda fd, port: ([sys.executable, *self.command(fd)], self.environment()),
            self.log_path,
        )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_until_ready(self) -> None:
        """Poll ``/readyz`` until it answers 200; fail early if the server exits.

        The port listens from the start (it was bound here), so a request made before the
        server runs waits in the socket's backlog: each try is short, and a failed one tries again.
        """
        deadline = time.monotonic() + START_SECONDS
        with httpx.Client(trust_env=False, timeout=0.5) as client:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        f"{self} exited ({self.process.returncode}) before serving:\n{self.log()}"
                    )
                try:
                    if client.get(f"{self.url}/readyz").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{self} did not serve /readyz within {START_SECONDS} s:\n{self.log()}"
                    )

    def __str__(self) -> str:
        return f"the {self.tier} tier's server"

    def stop(self) -> int | None:
        """SIGTERM, which the server answers by finishing what is in flight and exiting with 0;
        SIGKILL if it has not exited in time. Returns the exit status (negative: killed by that
        signal)."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.terminate()
        return self.wait()

    def wait(self, timeout: float = STOP_SECONDS) -> int:
        """The exit status once the process has exited; SIGKILL if it has not within
        ``timeout`` seconds."""
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_SECONDS)
        return self.process.returncode

    def log(self) -> str:
        """Everything the server has written so far."""
        return self.log_path.read_text(errors="replace")

    def group_members(self, group: str) -> set[bytes] | None:
        """The channels in a channel-layer ``group`` where the test can see them (the Redis
        layer, shared with the server); None for the in-memory layer, which lives in the
        server's process."""
        layer = get_channel_layer()
        if not isinstance(layer, RedisChannelLayer):
            return None
        # channels-redis keeps a group as a sorted set under "<prefix>:group:<name>".
        (host,) = layer.hosts
        with redis.Redis.from_url(host["address"]) as client:
            return set(client.zrange(f"{layer.prefix}:group:{group}", 0, -1))
