"""The fuzzed server: daphne serving the ASGI application in a process of its own, with
production settings (DEBUG off, JSON logs), the demo data and the fuzz's own rows, and the
limits that hundreds of requests a minute from one client would trip turned off (they are
tested elsewhere).

The database is a SQLite file of its own on the embedded default (migrated and seeded once per
run, copied for each test), and the test database on PostgreSQL (CI's second leg), where the
test's own writes commit so that the server sees them.
"""

import base64
import io
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import textwrap
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection

from ..waiting import eventually_sync
from . import data, values
from .database import PostgresContent, SQLiteContent
from .domains import Pools

START_SECONDS = 30
REQUEST_SECONDS = 30
PASSWORD = secrets.token_urlsafe(16)

SETUP_SQLITE = """
import django
django.setup()
from django.core.management import call_command
from tests.fuzz.data import seed
call_command("migrate", verbosity=0)
seed({password!r}, stdout=open("/dev/null", "w"))
"""

SIGN_IN = """
mutation($email: String!, $password: String!) {
  tokenCreate(email: $email, password: $password) { accessToken refreshToken errors { code } }
}
"""
REFRESH = """
mutation($token: String!) { tokenRefresh(refreshToken: $token) { refreshToken errors { code } } }
"""
REVOKE = "mutation($token: String!) { tokenRevoke(refreshToken: $token) { errors { code } } }"
# Cursors of every list, as the server hands them out.
CURSORS = """
query($event: ID!) {
  cities(first: 5) { edges { cursor } pageInfo { endCursor } }
  twinnings(first: 5) { edges { cursor } }
  events(first: 5) { edges { cursor } }
  announcements(first: 5) { edges { cursor } }
  event(id: $event) {
    chatMessages(last: 5) { edges { cursor node { cursor } } }
    chatReports(first: 5) { edges { cursor } }
  }
}
"""
# Tables of the Node types (and users, whose IDs chat moderation takes), for the ID pools.
ID_TABLES = {
    "cities_city": "City",
    "cities_cityoffice": "CityOffice",
    "cities_twinning": "Twinning",
    "events_event": "Event",
    "events_announcement": "Announcement",
    "events_chatmessage": "ChatMessage",
    "events_chatreport": "ChatReport",
    "accounts_user": "User",
    "reports_report": "Report",
}


def server_environment(database_url: str) -> dict[str, str]:
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backend.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": database_url,
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "PUSH_BACKEND": "log",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "WARNING",
        # Hundreds of operations from one client in seconds: the limits are tested elsewhere.
        "RATE_LIMIT_MUTATIONS_USER": "0/m",
        "RATE_LIMIT_MUTATIONS_IP": "0/m",
        "RATE_LIMIT_SIGN_IN_IP": "0/m",
        "CHAT_RATE": "0/s",
        "WEBSOCKET_OPERATIONS_PER_SECOND": "0",
        "WEBSOCKET_MAX_CONNECTIONS_PER_USER": "0",
        "WEBSOCKET_MAX_ANONYMOUS_CONNECTIONS_PER_IP": "0",
    }
    for name in ("FIREBASE_PROJECT_ID", "FIREBASE_CREDENTIALS", "SENTRY_DSN", "METRICS_TOKEN"):
        environment.pop(name, None)
    if connection.vendor != "postgresql":
        environment.pop("REDIS_URL", None)
        environment.pop("CELERY_BROKER_URL", None)
    return environment


def postgresql_url() -> str:
    """The URL of the test database the test process uses."""
    database = connection.settings_dict
    credentials = urllib.parse.quote(database["USER"] or "", safe="")
    if database["PASSWORD"]:
        credentials += ":" + urllib.parse.quote(database["PASSWORD"], safe="")
    host = database["HOST"] or "localhost"
    port = database["PORT"] or "5432"
    return f"postgres://{credentials}@{host}:{port}/{database['NAME']}"


def sqlite_template(directory: Path) -> Path:
    """A migrated and seeded SQLite file, made by a process with production settings."""
    path = directory / "template.sqlite3"
    subprocess.run(  # noqa: S603 (this interpreter, a fixed script)
        [sys.executable, "-c", textwrap.dedent(SETUP_SQLITE.format(password=PASSWORD))],
        cwd=settings.BASE_DIR,
        env=server_environment(f"sqlite:///{path}"),
        capture_output=True,
        check=True,
        timeout=180,
    )
    return path


def prepare_database(template: Path | None, directory: Path):
    """The database URL for a new server, and a reader of its content."""
    if connection.vendor == "postgresql":
        data.seed(PASSWORD, stdout=io.StringIO())
        return postgresql_url(), PostgresContent(connection)
    path = directory / "fuzz.sqlite3"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}", SQLiteContent(path)


@dataclass
class LiveServer:
    """A running server, signed in as the superuser, with pools of its real values."""

    url: str
    log_path: Path
    content: object
    process: subprocess.Popen
    headers: dict[str, str] = field(default_factory=dict)
    token: str = ""
    pools: Pools = field(default_factory=Pools)
    session: requests.Session = field(default_factory=requests.Session)

    @property
    def endpoint(self) -> str:
        return f"{self.url}/graphql/"

    @property
    def websocket_url(self) -> str:
        return self.endpoint.replace("http://", "ws://", 1)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_mark(self) -> int:
        """Where the server's log ends now, for ``errors_since``."""
        return self.log_path.stat().st_size

    def errors_since(self, mark: int) -> list[str]:
        """The exceptions the server logged since ``mark``: type, message and the innermost
        frame of the project's own code (cases run one at a time, so they are the case's)."""
        with self.log_path.open("rb") as log:
            log.seek(mark)
            text = log.read().decode(errors="replace")
        found = []
        for line in text.splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            trace = record.get("exc_info") if isinstance(record, dict) else None
            if trace:
                found.append(summarize(trace))
        return found

    def post(self, query: str, variables: dict | None = None, headers=None) -> dict:
        response = self.session.post(
            self.endpoint,
            json={"query": query, "variables": variables or {}},
            headers=headers if headers is not None else self.headers,
            timeout=REQUEST_SECONDS,
        )
        return response.json()

    def sign_in(self) -> None:
        answer = self.post(SIGN_IN, {"email": data.EMAIL, "password": PASSWORD}, headers={})
        self.token = answer["data"]["tokenCreate"]["accessToken"]
        assert self.token, answer
        self.headers = {"Authorization": f"Bearer {self.token}"}
        me = self.post("{ me { email } }")
        assert me == {"data": {"me": {"email": data.EMAIL}}}, me

    def fill_pools(self) -> None:
        """Real IDs from the database; cursors, and refresh tokens of the victim's sign-ins
        (one fresh, one used, its successor, one revoked), from the server."""
        pools = self.pools
        for table, type_name in ID_TABLES.items():
            for key in self.content.ids(table):
                pools.add_id(values.global_id(type_name, key))
        # The event whose chat is open, the last one seed() made.
        live = max(pools.ids["Event"], key=lambda value: int(_key(value)))
        pools.preferred["Event"] = [live]
        answer = self.post(CURSORS, {"event": live})
        assert not answer.get("errors"), answer
        pools.harvest(answer["data"])
        tokens = []
        for _ in range(3):
            answer = self.post(
                SIGN_IN, {"email": data.VICTIM_EMAIL, "password": data.VICTIM_PASSWORD}, {}
            )
            tokens.append(answer["data"]["tokenCreate"]["refreshToken"])
        fresh, used, revoked = tokens
        successor = self.post(REFRESH, {"token": used}, {})["data"]["tokenRefresh"]
        self.post(REVOKE, {"token": revoked}, {})
        pools.refresh_tokens.extend([fresh, used, successor["refreshToken"], revoked])
        pools.device_tokens.extend(data.DEVICE_TOKENS)


PROJECT_FRAME = re.compile(r'File "(?P<path>[^"]+)", line (?P<line>\d+), in (?P<name>\S+)')


def summarize(trace: str) -> str:
    """``ExceptionType: message (at app/module.py:123 function)`` of a logged traceback: the
    last exception, and the deepest frame outside the virtualenv."""
    last = trace.strip().splitlines()[-1]
    frames = [
        match
        for match in PROJECT_FRAME.finditer(trace)
        if str(settings.BASE_DIR) in match["path"] and "/.venv/" not in match["path"]
    ]
    where = ""
    if frames:
        frame = frames[-1]
        path = Path(frame["path"]).relative_to(settings.BASE_DIR)
        where = f" (at {path}:{frame['line']} {frame['name']})"
    return f"{last[:200]}{where}"


def _key(global_id: str) -> str:
    return base64.b64decode(global_id).decode().partition(":")[2]


def start(database_url: str, content, directory: Path):
    """Start daphne on a free port; a generator that yields the LiveServer and stops it."""
    # The port is bound here and handed to daphne, as tests/e2e/live_server.py does: a port
    # found free and bound later could be taken meanwhile by another run on the machine.
    listener = socket.create_server(("127.0.0.1", 0), backlog=128)
    port = listener.getsockname()[1]
    log_path = directory / "server.log"
    with listener, log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 (this interpreter, a fixed command line)
            [
                sys.executable,
                "-m",
                "daphne",
                "--fd",
                str(listener.fileno()),
                "backend.asgi:application",
            ],
            cwd=settings.BASE_DIR,
            env=server_environment(database_url),
            pass_fds=(listener.fileno(),),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", log_path, content, process)
    server.session.trust_env = False  # straight to the loopback, whatever proxy is set

    def up() -> bool:
        if process.poll() is not None:
            pytest.fail(f"The server stopped.\n{server.log()}")
        # The port listens from the start: a request before daphne runs waits in the
        # backlog, and one that times out is tried again.
        try:
            return server.session.get(f"{server.url}/healthz", timeout=1).status_code == 200
        except (requests.ConnectionError, requests.Timeout):
            return False

    try:
        try:
            eventually_sync(up, timeout=START_SECONDS, interval=0.1)
        except TimeoutError:
            pytest.fail(f"The server did not start.\n{server.log()}")
        server.sign_in()
        server.fill_pools()
        yield server
    finally:
        server.session.close()
        content.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
