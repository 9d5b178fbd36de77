"""The websocket chat benchmark: one event's chat heard live by a thousand subscribers.

What it measures, on PostgreSQL and Redis, as production runs (``DEBUG=false``, the Redis
channel layer, production's database settings):

1. **Chat fan-out.** Two processes of the websocket tier (``--server``: ``uvicorn``, which is
   ``python -m backend.websocket_server``, or ``daphne backend.asgi:application``, or both in
   turn, side by side in one run), each on a loopback port of its own, as two backends behind
   a load balancer, over one Redis channel layer. A load client (``bench/ws_chat_client.mjs``,
   one Node process) opens 1,000 websockets, half to each server, each signed in as a user of
   its own and subscribed to the event's ``chatMessages`` with what a chat screen shows (kind,
   cursor, id, seq, body, time, author). Senders here (``--senders``, each one message at a
   time, in threads) post ``chatMessageSend`` over HTTP to the HTTP tier, gunicorn as
   production starts it (``--send-over websocket``: over a socket to each websocket process
   instead), at a fixed rate; each body carries the moment its request started. For each rate
   in turn, for a fixed time: deliveries per second (deliveries over the time from the first
   send to the last arrival), latency from the start of the send to each arrival (p50, p95,
   p99, max), the send's own time (p50, p95), gaps and repeats in each socket's sequence of
   room numbers (must be 0), and the CPU used by each server, the HTTP tier, the client and
   the rest of the machine.

   Both sides stamp with the kernel's monotonic clock (CLOCK_MONOTONIC: ``time.monotonic_ns()``
   here, ``process.hrtime.bigint()`` in Node), never the wall clock: on virtual machines the
   wall clock is slewed by milliseconds a second, and Node's ``performance.timeOrigin +
   performance.now()`` (its start's wall time plus a monotonic count) drifts away from
   Python's ``time.time()`` by more than the latency over a run of minutes.
2. **Idle connections** (``--skip-idle`` to leave it out). One process of each server; after a
   warm-up of 50 sockets, ``--idle`` sockets are opened, signed in and acknowledged, then left
   silent; the process's resident memory before and after gives the memory per idle
   connection and how many fit in 1 GiB. Once more in a fresh process with each socket also
   subscribed to the event's chat (the room being quiet).

The database (default ``twinning_wsbench``) is created at the start and dropped at the end;
the Redis database (default 9) is flushed at the start. Results are in docs/benchmarks.md,
"Websocket chat, second round". Needs Node.js and ``make install`` (for the ``ws`` package).

Run from the project root, on an otherwise idle machine (about 6 minutes)::

    .venv/bin/python bench/ws_chat.py --server daphne,uvicorn --rates 5,10,20
    .venv/bin/python bench/ws_chat.py --rates 20 --seconds 60 --skip-idle
"""

import argparse
import contextlib
import http.client
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.support import (  # noqa: E402
    CpuMeter,
    DaphneServers,
    bench_database,
    child_pids,
    in_child,
    machine,
    process_rss_mib,
    production_environment,
)

DEFAULT_DATABASE = "postgres://root@127.0.0.1:5432/twinning_wsbench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/9"
CLIENT = ROOT / "bench" / "ws_chat_client.mjs"
CHILD_TIMEOUT = 600
# How long after its last send a phase's deliveries may still arrive.
DRAIN_SECONDS = 15

SEND = """
mutation Send($event: ID!, $body: String!, $clientId: String!) {
  chatMessageSend(event: $event, body: $body, clientId: $clientId) {
    message { id seq }
    errors { code message }
  }
}
"""


def server_environment(config: dict) -> dict:
    """The app's environment as the bench runs it: production settings, the bench's database
    and Redis, and no rate limits on the sender (one user posting many times a second)."""
    return production_environment(
        config["database"],
        config["redis"],
        CELERY_BROKER_URL="memory://",
        CELERY_TASK_ALWAYS_EAGER="true",
        # WhiteNoise warns that static files were never collected; the bench serves none.
        PYTHONWARNINGS="ignore:No directory at",
        ACCESS_TOKEN_LIFETIME_SECONDS="7200",  # noqa: S106 (a lifetime, not a password)
        CHAT_RATE="0/m",
        RATE_LIMIT_MUTATIONS_USER="0/m",
        RATE_LIMIT_MUTATIONS_IP="0/m",
    )


# --- The room and its people -------------------------------------------------------------------


def prepare(config: dict) -> dict:
    """Migrate; a city, its office and an announced event whose room is open; a sender and
    ``listeners`` users; their access tokens."""
    os.environ.update(server_environment(config))
    import django

    django.setup()
    import datetime

    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.utils import timezone
    from graphql_relay import to_global_id

    from accounts.models import User
    from accounts.tokens import issue_access_token
    from cities.models import City, CityOffice
    from events.models import Event

    call_command("migrate", verbosity=0)
    unusable = make_password(None)
    city = City.objects.create(
        name_en="Aktau",
        name_ru="Актау",
        country="KZ",
        latitude=43.65,
        longitude=51.17,
        timezone="Asia/Aqtau",
    )
    office = CityOffice.objects.create(city=city, name_en="Aktau international office")
    starts = timezone.now() + datetime.timedelta(minutes=10)
    event = Event.objects.create(
        title_en="Caspian sister ports forum",
        category=Event.Category.BUSINESS,
        host_city=city,
        office=office,
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=3),
        timezone=city.timezone,
        venue_name="Port authority hall",
        latitude=city.latitude,
        longitude=city.longitude,
        status=Event.Status.ANNOUNCED,
    )
    # Signed in by token only: no password anyone could sign in with.
    users = User.objects.bulk_create(
        User(email=f"person{n}@bench.example", display_name=f"Person {n}", password=unusable)
        for n in range(config["listeners"] + 1)
    )
    tokens = [issue_access_token(user, uuid.uuid4())[0] for user in users]
    return {"event": to_global_id("Event", event.pk), "sender": tokens[0], "listeners": tokens[1:]}


# --- The sender --------------------------------------------------------------------------------


class Sender:
    """Posts chat messages over HTTP to the servers in turn, at a fixed rate."""

    def __init__(self, ports: list[int], token: str, event: str):
        self.connections = [http.client.HTTPConnection("127.0.0.1", port) for port in ports]
        self.token, self.event = token, event
        self.turn = 0

    def send(self, phase: str) -> tuple[bool, int, int]:
        """Post one message of ``phase``; whether it was stored, and when its request started
        and ended (ns on the monotonic clock). The body carries the start, in ms: the
        latency the client measures is from the moment the request starts."""
        connection = self.connections[self.turn % len(self.connections)]
        self.turn += 1
        started = time.monotonic_ns()
        variables = {
            "event": self.event,
            "body": f"{phase}:{started / 1e6:.3f}",
            "clientId": uuid.uuid4().hex,
        }
        payload = json.dumps({"query": SEND, "variables": variables})
        connection.request(
            "POST",
            "/graphql/",
            body=payload,
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "Authorization": f"Bearer {self.token}",
            },
        )
        response = connection.getresponse()
        answer = json.loads(response.read())
        ended = time.monotonic_ns()
        result = (answer.get("data") or {}).get("chatMessageSend") or {}
        return response.status == 200 and result.get("errors") == [], started, ended

    def run_share(self, phase: str, rate: float, schedule: range, start: float) -> list:
        """Send messages ``schedule`` of the step (the n-th due ``n / rate`` seconds after
        ``start``), each on time or, when late, at once: (ok, started, ended) of each."""
        sends = []
        for n in schedule:
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            sends.append(self.send(phase))
        return sends


class Senders:
    """Several senders, each in a thread of its own, taking the messages of a step in turn:
    as many people chatting at once, so that a send that takes longer than the interval
    between two messages does not hold up the next one. One sender sends one message at a
    time."""

    def __init__(self, senders: list[Sender]):
        self.senders = senders

    def run(self, phase: str, rate: float, seconds: float) -> dict:
        """Send ``rate`` messages a second for ``seconds``: what was sent and when."""
        count = max(1, round(rate * seconds))
        many = len(self.senders)
        start = time.perf_counter()
        with ThreadPoolExecutor(many) as pool:
            shares = list(
                pool.map(
                    lambda k: self.senders[k].run_share(phase, rate, range(k, count, many), start),
                    range(many),
                )
            )
        sends = [send for share in shares for send in share]
        took = [(ended - started) / 1e6 for _, started, ended in sends]
        sent = sum(ok for ok, _, _ in sends)
        return {
            "sent": sent,
            "failed": len(sends) - sent,
            "first_ms": min(started for _, started, _ in sends) / 1e6,
            "send_seconds": time.perf_counter() - start,
            "mutation_ms_median": statistics.median(took),
            "mutation_ms_p95": percentile(took, 0.95),
            "mutation_ms_max": max(took),
        }


class WebsocketSender(Sender):
    """Sends the same mutation over websockets (one to each server, in turn), as a chat screen
    with its socket open does: signed in once, at `connection_init`."""

    def __init__(self, ports: list[int], token: str, event: str):
        from websockets.sync.client import connect

        self.sockets = []
        for port in ports:
            socket = connect(
                f"ws://127.0.0.1:{port}/graphql/", subprotocols=["graphql-transport-ws"]
            )
            socket.send(json.dumps({"type": "connection_init", "payload": {"token": token}}))
            if json.loads(socket.recv(10))["type"] != "connection_ack":
                raise RuntimeError("the sender's socket was not acknowledged")
            self.sockets.append(socket)
        self.event = event
        self.turn = 0

    def send(self, phase: str) -> tuple[bool, int, int]:
        socket = self.sockets[self.turn % len(self.sockets)]
        self.turn += 1
        started = time.monotonic_ns()
        variables = {
            "event": self.event,
            "body": f"{phase}:{started / 1e6:.3f}",
            "clientId": uuid.uuid4().hex,
        }
        socket.send(
            json.dumps(
                {
                    "id": str(self.turn),
                    "type": "subscribe",
                    "payload": {"query": SEND, "variables": variables},
                }
            )
        )
        ok = False
        while True:
            frame = json.loads(socket.recv(30))
            if frame["type"] == "next":
                result = (frame["payload"].get("data") or {}).get("chatMessageSend") or {}
                ok = result.get("errors") == []
            elif frame["type"] in ("complete", "error"):
                break
        return ok, started, time.monotonic_ns()


# --- The load client ---------------------------------------------------------------------------


class LoadClient:
    """The Node load client (``ws_chat_client.mjs``), driven over its stdin and stdout."""

    def __init__(self, urls: list[str], tokens: list[str], event: str, mode: str, subscribe=False):
        self.tokens_file = tempfile.NamedTemporaryFile("w", suffix=".tokens", delete=False)  # noqa: SIM115
        self.tokens_file.write("\n".join(tokens))
        self.tokens_file.close()
        command = [
            "node",
            str(CLIENT),
            "--urls",
            ",".join(urls),
            "--tokens",
            self.tokens_file.name,
            "--event",
            event,
            "--mode",
            mode,
        ]
        if subscribe:
            command.append("--subscribe")
        self.process = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def read(self, timeout: float = 180) -> dict:
        result = {}

        def reader():
            result["line"] = self.process.stdout.readline()

        thread = threading.Thread(target=reader, daemon=True)
        thread.start()
        thread.join(timeout)
        if not result.get("line"):
            raise RuntimeError("the load client stopped answering")
        return json.loads(result["line"])

    def ask(self, command: dict) -> dict:
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return self.read()

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.process.stdin.write('{"close": true}\n')
                self.process.stdin.flush()
                self.process.wait(30)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        os.unlink(self.tokens_file.name)


def percentile(values: list[float], fraction: float) -> float:
    """The value below which ``fraction`` of ``values`` lie (nearest rank, as the client's)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))]


def redis_pid() -> int | None:
    try:
        return int(subprocess.check_output(["pgrep", "-o", "redis-server"], text=True).split()[0])  # noqa: S607
    except (subprocess.CalledProcessError, IndexError, ValueError):
        return None


# --- 1. Chat fan-out ---------------------------------------------------------------------------


def wait_for(client: LoadClient, phase: str, expected: int, last_send: float) -> dict:
    """The client's report of ``phase`` once ``expected`` deliveries are in, or the drain
    time after the last send is over."""
    while True:
        report = client.ask({"report": phase})
        if report["deliveries"] >= expected or time.monotonic() - last_send > DRAIN_SECONDS:
            return report
        time.sleep(0.25)


def chat_fan_out(config: dict, prepared: dict, server: str) -> dict:
    """Each rate in turn, on two websocket processes of ``server``; the sends over HTTP to
    the HTTP tier (gunicorn, as production) or over a websocket to each process."""
    environment = server_environment(config)
    results = {"server": server, "steps": []}
    with contextlib.ExitStack() as stack:
        servers = stack.enter_context(
            DaphneServers(ROOT, environment, count=2, listen="separate", server=server)
        )
        urls = [f"ws://127.0.0.1:{port}/graphql/" for port in servers.ports]
        measured = {"server 1": servers.pids[0], "server 2": servers.pids[1]}
        if config["send_over"] == "websocket":
            sender = Senders(
                [
                    WebsocketSender(servers.ports, prepared["sender"], prepared["event"])
                    for _ in range(config["senders"])
                ]
            )
        else:
            http = stack.enter_context(
                DaphneServers(ROOT, environment, count=1, listen="separate", server="gunicorn")
            )
            sender = Senders(
                [
                    Sender(http.ports, prepared["sender"], prepared["event"])
                    for _ in range(config["senders"])
                ]
            )
            measured["http"] = http.pids[0]
            for number, worker in enumerate(child_pids(http.pids[0]), 1):
                measured[f"http worker {number}"] = worker
        client = LoadClient(urls, prepared["listeners"], prepared["event"], "chat")
        try:
            ready = client.read()
            results["connections"] = ready
            listeners = ready["ready"]
            # Warm-up: every subscriber has heard a message (so every subscription is live
            # before anything is measured) and the code paths are warm.
            warm = sender.run("warmup", 2, config["warmup"])
            wait_for(client, "warmup", warm["sent"] * listeners, time.monotonic())
            for rate in config["rates"]:
                phase = f"r{rate:g}"
                meter = CpuMeter(
                    {
                        **measured,
                        "client": client.pid,
                        "redis": redis_pid(),
                        "sender": os.getpid(),
                    }
                ).start()
                sent = sender.run(phase, rate, config["seconds"])
                report = wait_for(client, phase, sent["sent"] * listeners, time.monotonic())
                cpu = meter.stop()
                span = (report["last_at"] - sent["first_ms"]) / 1000 if report["last_at"] else 0
                results["steps"].append(
                    {
                        "rate": rate,
                        "listeners": listeners,
                        **sent,
                        "expected": sent["sent"] * listeners,
                        "deliveries": report["deliveries"],
                        "deliveries_per_second": report["deliveries"] / span if span else 0,
                        "latency_ms": report["latency_ms"],
                        "spread_ms_median": report["spread_ms_median"],
                        "slowest": report["slowest"],
                        "gaps": report["gaps"],
                        "repeats": report["repeats"],
                        "errors": report["errors"],
                        "closed": report["closed"],
                        "cpu": cpu,
                    }
                )
                print(server, format_step(results["steps"][-1]), flush=True)
        finally:
            client.close()
    return results


# --- 2. Idle connections -----------------------------------------------------------------------


def idle_memory(config: dict, prepared: dict, server: str, subscribe: bool) -> dict:
    environment = server_environment(config)
    count = config["idle"]
    listeners = prepared["listeners"]
    # Every user may hold a few connections (WEBSOCKET_MAX_CONNECTIONS_PER_USER).
    tokens = [listeners[n % len(listeners)] for n in range(count)]
    with DaphneServers(ROOT, environment, count=1, listen="separate", server=server) as servers:
        url = f"ws://127.0.0.1:{servers.port}/graphql/"
        pid = servers.pids[0]
        warm = LoadClient([url], listeners[:50], prepared["event"], "chat")
        warm.read()
        warm.close()
        time.sleep(2)
        before = process_rss_mib(pid)
        client = LoadClient([url], tokens, prepared["event"], "idle", subscribe=subscribe)
        try:
            ready = client.read()
            time.sleep(3)
            after = process_rss_mib(pid)
        finally:
            client.close()
    per_connection_kib = (after - before) * 1024 / ready["ready"]
    return {
        "server": server,
        "subscribed": subscribe,
        "connections": ready,
        "rss_before_mib": before,
        "rss_after_mib": after,
        "per_connection_kib": per_connection_kib,
        "connections_per_gib": int(1024 * 1024 / per_connection_kib),
    }


# --- The run -----------------------------------------------------------------------------------


def format_step(step: dict) -> str:
    latency = step["latency_ms"]
    cpu = step["cpu"]
    wall = cpu["wall"]
    shares = ", ".join(
        f"{name} {used / wall:.0%}" for name, used in cpu.items() if name not in ("wall",)
    )
    return (
        f"{step['rate']:>5g} msg/s x {step['listeners']}: "
        f"{step['deliveries_per_second']:8.0f} deliveries/s "
        f"({step['deliveries']}/{step['expected']}), "
        f"latency p50 {latency['p50']} p95 {latency['p95']} p99 {latency['p99']} "
        f"max {latency['max']} ms, gaps {step['gaps']}, repeats {step['repeats']}, "
        f"errors {step['errors']}, send p50 {step['mutation_ms_median']:.1f} ms "
        f"p95 {step['mutation_ms_p95']:.1f} max {step['mutation_ms_max']:.0f}, "
        f"spread {step['spread_ms_median']} ms; "
        f"CPU: {shares}; slowest {step['slowest'][:3]}"
    )


def report(results: dict) -> str:
    config = results["config"]
    sends = "over HTTP to gunicorn" if config["send_over"] == "http" else "over websockets"
    lines = [
        f"Machine: {results['machine']['cores']} cores, {results['machine']['cpu']}, "
        f"Python {results['machine']['python']}, load before {results['machine']['load_before']}",
    ]
    for chat in results["chat"]:
        lines += [
            "",
            f"1. Chat fan-out, {chat['server']}: 2 processes over Redis, "
            f"{chat['connections']['ready']} subscribers "
            f"({chat['connections']['failed']} failed to connect), sent {sends} by "
            f"{config['senders']} senders, "
            f"{config['seconds']:g} s per rate",
        ]
        lines += [format_step(step) for step in chat["steps"]]
    for idle in results.get("idle", []):
        what = "subscribed to the chat" if idle["subscribed"] else "acknowledged"
        lines += [
            "",
            f"2. Idle connections, {idle['server']} ({what}): {idle['connections']['ready']} "
            f"sockets, RSS {idle['rss_before_mib']:.1f} -> {idle['rss_after_mib']:.1f} MiB: "
            f"{idle['per_connection_kib']:.1f} KiB each, "
            f"{idle['connections_per_gib']:,} per GiB",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--redis", default=DEFAULT_REDIS)
    parser.add_argument("--listeners", type=int, default=1000)
    parser.add_argument(
        "--rates", default="3,5,7,10", help="messages per second, one step each (default 3,5,7,10)"
    )
    parser.add_argument("--seconds", type=float, default=20, help="per step (default 20)")
    parser.add_argument("--warmup", type=float, default=5, help="seconds (default 5)")
    parser.add_argument(
        "--send-over",
        choices=("http", "websocket"),
        default="http",
        help="how the sender posts its messages (default http)",
    )
    parser.add_argument(
        "--senders",
        type=int,
        default=2,
        help="senders sending at once, each one message at a time (default 2)",
    )
    parser.add_argument(
        "--server",
        default="uvicorn",
        help="the websocket tier's server: uvicorn (python -m backend.websocket_server), daphne, "
        "or both in turn, comma-separated (default uvicorn)",
    )
    parser.add_argument("--idle", type=int, default=2000, help="idle sockets (default 2000)")
    parser.add_argument("--skip-idle", action="store_true")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    servers = args.server.split(",")
    if not set(servers) <= {"daphne", "uvicorn"}:
        parser.error("--server takes daphne, uvicorn or both")
    config = {
        "database": args.database,
        "redis": args.redis,
        "listeners": args.listeners,
        "rates": [float(rate) for rate in args.rates.split(",")],
        "seconds": args.seconds,
        "warmup": args.warmup,
        "idle": args.idle,
        "send_over": args.send_over,
        "senders": args.senders,
    }
    import redis

    results = {"machine": machine(), "config": config}
    with bench_database(config["database"]):
        redis.Redis.from_url(config["redis"]).flushdb()
        prepared = in_child(prepare, config, CHILD_TIMEOUT)
        results["chat"] = [chat_fan_out(config, prepared, server) for server in servers]
        if not args.skip_idle:
            results["idle"] = [
                idle_memory(config, prepared, server, subscribe)
                for subscribe in (False, True)
                for server in servers
            ]
    print()
    print(report(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
