"""Generated queries and mutations against a live server: no answer is a 500, and every error
carries an ``extensions.code``.

For every root query and mutation field of the schema, schemathesis generates documents that
the schema accepts (arguments of every type, nested selections, fragments on interfaces), a
bounded number per field. They are posted to daphne running the ASGI application in a process
of its own, with production settings (DEBUG off, JSON logs) and the demo data, signed in as a
superuser so that mutations get past the permission checks to the services. The database is a
file of its own on the embedded default, and the test database on PostgreSQL (CI's second
leg), where text rules are stricter.

The schema is read from the committed SDL (schema/schema.graphql), which the SDL test keeps
equal to the code's, not by introspection, which a production server may refuse. The cases are
the same on every run (derandomized), so a failure is reproducible; set FUZZ_SEED to explore
others and FUZZ_MAX_EXAMPLES to change how many there are per field.
"""

import io
import json
import os
import secrets
import socket
import subprocess
import sys
import textwrap
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import schemathesis
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.management import call_command
from django.db import connection
from hypothesis import HealthCheck, Phase, given, seed
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.graphql import nodes

from accounts.models import User

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "10"))
SEED = os.environ.get("FUZZ_SEED")
EMAIL = "fuzz@example.org"
PASSWORD = secrets.token_urlsafe(16)
START_SECONDS = 30
SDL = settings.BASE_DIR / "schema" / "schema.graphql"
# Codes an endpoint may give an unexpected exception it hides from the client: still a bug.
SERVER_ERROR_CODES = frozenset({"INTERNAL_SERVER_ERROR", "INTERNAL_ERROR"})
REQUEST_SECONDS = 30

# On PostgreSQL the server uses the test database, so the test's writes must commit.
pytestmark = pytest.mark.django_db(transaction=True)

SIGN_IN = """
mutation($email: String!, $password: String!) {
  tokenCreate(email: $email, password: $password) { accessToken errors { code } }
}
"""

# The one scalar of the schema that schemathesis has no strategy of its own for: JSON text,
# as the fields that take it expect (an object), and some that is not JSON at all.
schemathesis.graphql.scalar(
    "JSONString",
    st.one_of(
        st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3).map(json.dumps),
        st.text(max_size=12),
    ).map(nodes.String),
)

SETUP_SQLITE = """
import django
django.setup()
from django.core.management import call_command
from accounts.models import User
call_command("migrate", verbosity=0)
call_command("seed_demo")
User.objects.create_superuser(email={email!r}, password={password!r})
"""


@dataclass
class Server:
    url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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
        # Hundreds of mutations from one address in seconds: the limits are tested elsewhere.
        "RATE_LIMIT_MUTATIONS_USER": "0/m",
        "RATE_LIMIT_MUTATIONS_IP": "0/m",
        "RATE_LIMIT_SIGN_IN_IP": "0/m",
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


@pytest.fixture
def database_url(tmp_path):
    """A database with the demo data and a superuser, for the server."""
    if connection.vendor == "postgresql":
        # The test database itself: the test's writes commit, so the server sees them.
        call_command("seed_demo", stdout=io.StringIO())
        # Hashed as production hashes (the tests' fast hasher is unknown to the server).
        hasher = PBKDF2PasswordHasher()
        user = User.objects.create_superuser(email=EMAIL, password=None)
        user.password = hasher.encode(PASSWORD, hasher.salt())
        user.save(update_fields=["password"])
        return postgresql_url()
    url = f"sqlite:///{tmp_path / 'fuzz.sqlite3'}"
    subprocess.run(  # noqa: S603 (this interpreter, a fixed script)
        [
            sys.executable,
            "-c",
            textwrap.dedent(SETUP_SQLITE.format(email=EMAIL, password=PASSWORD)),
        ],
        cwd=settings.BASE_DIR,
        env=server_environment(url),
        capture_output=True,
        check=True,
        timeout=120,
    )
    return url


@pytest.fixture
def live_server_process(database_url, collected_static_root, tmp_path, monkeypatch):
    """daphne serving the ASGI application on a free port, its static files collected as
    production's are; stopped after the test."""
    # Straight to the loopback, whatever proxy the machine's environment names.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    port = free_port()
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 (this interpreter, a fixed command line)
            [
                sys.executable,
                "-m",
                "daphne",
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "backend.asgi:application",
            ],
            cwd=settings.BASE_DIR,
            env={**server_environment(database_url), "STATIC_ROOT": str(collected_static_root)},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Server(f"http://127.0.0.1:{port}", log_path)
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                if requests.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"The server did not start.\n{server.log()}")
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def sign_in(server: Server) -> dict[str, str]:
    response = requests.post(
        f"{server.url}/graphql/",
        json={"query": SIGN_IN, "variables": {"email": EMAIL, "password": PASSWORD}},
        timeout=REQUEST_SECONDS,
    )
    token = response.json()["data"]["tokenCreate"]["accessToken"]
    assert token, response.text
    headers = {"Authorization": f"Bearer {token}"}
    me = requests.post(
        f"{server.url}/graphql/",
        json={"query": "{ me { email } }"},
        headers=headers,
        timeout=REQUEST_SECONDS,
    )
    assert me.json() == {"data": {"me": {"email": EMAIL}}}
    return headers


def problems_with(response) -> list[str]:
    """What is wrong with an answer: a 5xx, a body that is not GraphQL's JSON, an error
    without a code, or one coded as a server error (a bug the endpoint masked)."""
    if response.status_code >= 500:
        return [f"HTTP {response.status_code}"]
    try:
        body = json.loads(response.content)
    except ValueError:
        return [f"HTTP {response.status_code} with a body that is not JSON"]
    if not isinstance(body, dict):
        return ["a JSON body that is not an object"]
    problems = []
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if not isinstance(code, str):
            problems.append(f"an error without extensions.code: {error.get('message')!r}")
        elif code in SERVER_ERROR_CODES:
            problems.append(f"a server error: {error}")
    return problems


def test_generated_operations_get_no_server_error_and_only_coded_errors(live_server_process):
    server = live_server_process
    headers = sign_in(server)
    # The committed SDL (a test keeps it equal to the code's), not introspection, which a
    # production server may refuse.
    schema = schemathesis.graphql.from_path(SDL)
    endpoint = f"{server.url}/graphql/"
    session = requests.Session()
    session.trust_env = False
    cases, answered, found = Counter(), Counter(), []

    def fuzz(operation) -> None:
        @hypothesis_settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            derandomize=SEED is None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case):
            cases[operation.label] += 1
            response = case.call(
                base_url=endpoint, headers=headers, session=session, timeout=REQUEST_SECONDS
            )
            assert response.request.url == endpoint
            problems = problems_with(response)
            found.extend(
                f"{operation.label}: {problem}\n{case.as_curl_command(headers)}"
                for problem in problems
            )
            if not problems and (json.loads(response.content).get("data") or {}).get(
                operation.definition.field_name
            ):
                answered[operation.label] += 1

        (run if SEED is None else seed(int(SEED))(run))()

    for result in schema.get_all_operations():
        fuzz(result.ok())

    assert not found, "\n\n".join([*found[:20], "--- server log ---", server.log()[-5000:]])
    # Every field was tried, and the signed-in cases reached the resolvers' results.
    fields = {
        f"{root}.{name}"
        for root, type_ in (("Query", "query_type"), ("Mutation", "mutation_type"))
        for name in getattr(schema.client_schema, type_).fields
    }
    assert set(cases) == fields
    assert answered["Query.me"] > 0
    assert sum(count for label, count in answered.items() if label.startswith("Mutation.")) > 0
