"""Serving benchmark: the same requests through each way of serving the app, side by side.

What it measures, on PostgreSQL and Redis, with production settings (``DEBUG=false``, the static
files collected into a directory of the run's own) and the demo data (``seed_demo``), in
Russian (``Accept-Language: ru``), anonymous:

For each *topology* (``--topologies``; by default today's single daphne process, the HTTP tier
as ``backend/gunicorn.py`` configures it, and that tier behind nginx with the repository's
configuration), with Debian's ``wrk`` (16 connections, ``--latency``, a Lua script for bodies
and headers that also counts answers that are not 200 or carry ``errors``):

- ``/healthz``;
- the feed (``events(first: 20)`` as docs/benchmarks.md has it) by POST, cached: the response
  cache on and warm; through nginx, its proxy cache (anonymous queries are answered
  ``public, max-age=60``, and nginx keeps POSTs by their body), unless ``cache=off``;
- the feed by anonymous GET: likewise;
- ``event(id)`` over the public events taken in turn, cached (likewise);
- the feed and ``event(id)`` uncached: the same servers started again with
  ``RESPONSE_CACHE_SECONDS=0``, and nginx's proxy cache off.

Each row: requests/s, p50/p99 latency, errors, and the server's CPU per request (user + system
time of every process of the server, nginx's included where it is in the path, from /proc over
the run, divided by the requests answered); and the ratio of requests/s to the first topology's.
With ``--rounds N`` every topology is measured N times in turn and each row reports the
medians, its ratio the median of the ratios taken within each round, with their range.

A topology is written ``name[:option…]``: ``daphne``; ``gunicorn`` (``backend/gunicorn.py`` as
it is) with ``sync`` or ``gthread``, ``w=N`` workers and ``t=N`` threads on top; ``granian``
(its WSGI interface) with ``w=N`` and ``t=N`` (blocking threads); a prefix ``nginx+`` puts
nginx in front, and its option ``cache=off`` turns its proxy cache off (every request reaches
the app; the uncached rows always run so: anonymous queries are answered public, which nginx
would keep, by POST as by GET); an upper-case ``NAME=value`` is an environment variable of the
app (``gunicorn:DATABASE_CONN_MAX_AGE=0``). ``--scenarios`` picks rows.

``--scenario push-wave``, instead: the minute after an announcement to ``--devices`` devices
(10,000) while a Celery worker sends it to the fake FCM server (as bench/push_fanout.py sets it
up), 16 connections fetch that event by ``event(id)`` from the HTTP tier: requests/s and p99,
with the sending's progress.

The bench database (``--database``) is created at the start and dropped at the end; the Redis
database (``--redis``) is flushed at the start. Servers listen on 127.0.0.1 from ``--port``.
Results are in docs/benchmarks.md, "Serving: the HTTP tier and the proxy".

Run from the project root (about 5 minutes)::

    flock /tmp/bench.lock .venv/bin/python bench/serving.py
    flock /tmp/bench.lock .venv/bin/python bench/serving.py --topologies \\
        gunicorn:sync:w=2,gunicorn:gthread:w=2:t=4,granian:w=2:t=4 --scenarios healthz,feed
    flock /tmp/bench.lock .venv/bin/python bench/serving.py --scenario push-wave
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The project's root first; and not this file's directory, which Python puts first when this
# runs as a script, where this file's name hides the standard library's http package.
sys.path[:] = [str(ROOT), *(p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench")]

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import string  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from urllib.parse import urlencode  # noqa: E402

from bench.support import (  # noqa: E402
    bench_database,
    in_child,
    machine,
    process_cpu,
    production_environment,
)

DEFAULT_DATABASE = "postgres://root@127.0.0.1:5432/twinning_httpbench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/8"
LANGUAGE = "ru"
BIN = Path(sys.executable).parent
WRK = shutil.which("wrk") or "/usr/bin/wrk"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
START_SECONDS = 60

FEED = (
    "query Feed($first: Int, $after: String) { events(first: $first, after: $after) {"
    " pageInfo { hasNextPage endCursor } edges { node { id title category status"
    " localStartsAt localEndsAt timeZone venueName hostCity { name }"
    " twinning { kind cityA { name } cityB { name } } } } } }"
)
EVENT = (
    "query Event($id: ID!) { event(id: $id) { id title summary description category status"
    " localStartsAt localEndsAt timeZone venueName venueAddress hostCity { name }"
    " twinning { kind cityA { name } cityB { name } } } }"
)
SCENARIOS = ("healthz", "feed", "feed-get", "event", "feed-uncached", "event-uncached")
DEFAULT_TOPOLOGIES = "daphne,gunicorn,nginx+gunicorn"


# --- The app's environment and data ----------------------------------------------------------


def app_environment(config: dict) -> dict:
    """Production settings on the bench's database and Redis."""
    return production_environment(
        config["database"],
        config["redis"],
        CHANNEL_LAYER_PREFIX="httpbench",
        STATIC_ROOT=config["static_root"],
        PYTHONUNBUFFERED="1",
    )


def prepare(config: dict) -> dict:
    """Migrate the bench database, load the demo data, and list the public events."""
    os.environ.update(app_environment(config))
    import django

    django.setup()
    from django.core.management import call_command

    from events.models import Event

    call_command("migrate", verbosity=0, interactive=False)
    call_command("seed_demo", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    ids = list(Event.objects.public().order_by("starts_at", "id").values_list("pk", flat=True))
    return {"event_ids": ids[:50], "public_events": len(ids)}


def global_id(kind: str, pk: int) -> str:
    from graphql_relay import to_global_id

    return to_global_id(kind, pk)


# --- Servers ---------------------------------------------------------------------------------


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants now, from /proc."""
    pids, index = [pid], 0
    while index < len(pids):
        current = pids[index]
        index += 1
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{current}/task/{task}/children") as children:
                    pids += [int(child) for child in children.read().split()]
            except OSError:
                pass
    return pids


def wait_for(port: int, path: str = "/healthz", process=None) -> None:
    import http.client

    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server on port {port} exited ({process.returncode})")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", path)
            status = connection.getresponse().status
            connection.close()
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"nothing answered {path} on port {port}")


class Topology:
    """The processes of one way of serving, started with ``start`` and stopped with
    ``stop``; ``port`` takes the load, ``pids()`` are the processes whose CPU counts."""

    def __init__(self, spec: str, config: dict, environment: dict, ports):
        self.spec, self.config = spec, config
        self.proxied = spec.startswith("nginx+")
        parts = spec.removeprefix("nginx+").split(":")
        self.kind, options = parts[0], parts[1:]
        self.environment = dict(environment)
        self.options: dict[str, str] = {}
        for option in options:
            name, _, value = option.partition("=")
            if name.isupper():
                self.environment[name] = value
            else:
                self.options[name] = value
        if self.kind not in ("daphne", "gunicorn", "granian"):
            raise SystemExit(f"unknown server {self.kind!r} in {spec!r}")
        self.ports = ports
        self.processes: list[subprocess.Popen] = []
        self.nginx_dir: str | None = None

    def app_command(self, port: int) -> list[str]:
        address = f"127.0.0.1:{port}"
        if self.kind == "daphne":
            # As docker-compose.yml ran it before the two tiers.
            return [str(BIN / "daphne"), "-v", "0", "--bind", "127.0.0.1", "--port", str(port),
                    "backend.asgi:application"]  # fmt: skip
        if self.kind == "gunicorn":
            command = [str(BIN / "gunicorn"), "--config", "python:backend.gunicorn",
                       "--bind", address]  # fmt: skip
            for name in ("sync", "gthread"):
                if name in self.options:
                    command += ["--worker-class", name]
            if "w" in self.options:
                command += ["--workers", self.options["w"]]
            if "t" in self.options:
                command += ["--threads", self.options["t"]]
            if "k" in self.options:
                command += ["--keep-alive", self.options["k"]]
            return [*command, "backend.wsgi:application"]
        return [str(BIN / "granian"), "--interface", "wsgi", "--host", "127.0.0.1",
                "--port", str(port), "--workers", self.options.get("w", "2"),
                "--blocking-threads", self.options.get("t", "1"), "--log-level", "warning",
                "--no-ws", "backend.wsgi:application"]  # fmt: skip

    def start(self) -> "Topology":
        app_port = next(self.ports)
        environment = {**os.environ, **self.environment}
        self.processes.append(
            subprocess.Popen(  # noqa: S603 (the virtualenv's own servers)
                self.app_command(app_port), cwd=ROOT, env=environment, stdin=subprocess.DEVNULL
            )
        )
        wait_for(app_port, process=self.processes[0])
        self.port = app_port
        if self.proxied:
            self.port = next(self.ports)
            self.start_nginx(app_port)
        return self

    def start_nginx(self, app_port: int) -> None:
        self.nginx_dir = tempfile.mkdtemp(prefix="bench-nginx-")
        config_path = Path(self.nginx_dir) / "nginx.conf"
        config_path.write_text(
            nginx_config(
                self.port,
                app_port,
                next(self.ports),
                self.nginx_dir,
                self.config,
                cache=self.options.get("cache", "on"),
            )
        )
        self.processes.append(
            subprocess.Popen(  # noqa: S603 (Debian's nginx, with the bench's own files)
                [NGINX, "-p", self.nginx_dir, "-c", str(config_path), "-e", "stderr"],
                stdin=subprocess.DEVNULL,
            )
        )
        wait_for(self.port, process=self.processes[-1])

    def pids(self) -> list[int]:
        return [pid for process in self.processes for pid in process_tree(process.pid)]

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM if process.args[0] != NGINX else signal.SIGQUIT)
        for process in self.processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self.nginx_dir:
            shutil.rmtree(self.nginx_dir, ignore_errors=True)


# --- nginx -----------------------------------------------------------------------------------

# Used only while the repository has no configuration of its own under deploy/nginx/: the
# same routing and proxy cache, kept to what the bench needs.
FALLBACK_SERVER = """
proxy_cache_path ${NGINX_CACHE_DIR} levels=1:2 keys_zone=graphql:10m max_size=100m inactive=10m;
upstream http_tier { server ${HTTP_UPSTREAM}; keepalive 32; }
upstream websocket_tier { server ${WEBSOCKET_UPSTREAM}; }
map $http_upgrade $connection_upgrade { default upgrade; "" ""; }
server {
    listen ${NGINX_LISTEN};
    location /graphql/ {
        if ($http_upgrade = "websocket") { proxy_pass http://websocket_tier; }
        proxy_pass http://http_tier;
        proxy_http_version 1.1;
        proxy_set_header Connection $connection_upgrade;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_cache graphql;
        proxy_cache_key "$request_method$request_uri";
        proxy_cache_bypass $http_authorization $cookie_sessionid;
        proxy_no_cache $http_authorization $cookie_sessionid;
    }
    location / {
        proxy_pass http://http_tier;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
}
"""


def nginx_template() -> tuple[str, str]:
    """The repository's nginx configuration template (deploy/nginx/), and its path."""
    directory = ROOT / "deploy" / "nginx"
    candidates = sorted(directory.glob("*.template")) + sorted(directory.glob("*.conf*"))
    if candidates:
        return candidates[0].read_text(), str(candidates[0].relative_to(ROOT))
    return FALLBACK_SERVER, "the bench's own (no deploy/nginx/ in this checkout)"


def nginx_config(
    listen: int, http_port: int, ws_port: int, directory: str, config: dict, cache: str = "on"
) -> str:
    """A whole nginx.conf around the template, its ``${NAME}`` filled in as envsubst would:
    the upstreams, the listening address and the cache's directory are the bench's, the proxy
    cache's switch ``cache`` (a topology's ``cache=off``)."""
    template, _ = nginx_template()
    cache_dir = Path(directory) / "cache"
    cache_dir.mkdir()
    # nginx's workers run as another user when started by root: they must reach the cache.
    os.chmod(directory, 0o755)  # noqa: S103 (a directory of the bench's own)
    os.chmod(cache_dir, 0o777)  # noqa: S103 (likewise)
    values = {
        "HTTP_UPSTREAM": f"127.0.0.1:{http_port}",
        "WEBSOCKET_UPSTREAM": f"127.0.0.1:{ws_port}",
        "NGINX_LISTEN": f"127.0.0.1:{listen}",
        "NGINX_PORT": str(listen),
        "LISTEN_PORT": str(listen),
        "NGINX_CACHE_DIR": str(cache_dir),
        "NGINX_CACHE_PATH": str(cache_dir),
        "NGINX_PROXY_CACHE": cache,
        **config.get("nginx_values", {}),
    }
    rendered = string.Template(template).safe_substitute(values)
    if unfilled := set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)\}", rendered)):
        raise SystemExit(
            f"the nginx template needs {sorted(unfilled)}: give them with --nginx NAME=value"
        )
    if re.search(r"^\s*http\s*\{", rendered, re.MULTILINE) is None:
        rendered = (
            "worker_processes auto;\nevents { worker_connections 1024; }\n"
            "http {\n    access_log off;\n" + rendered + "\n}\n"
        )
    return f"pid {directory}/nginx.pid;\nerror_log stderr warn;\ndaemon off;\n" + rendered.replace(
        "/var/run/nginx.pid", f"{directory}/nginx.pid"
    ).replace("/var/cache/nginx", str(cache_dir)).replace("/var/log/nginx/", f"{directory}/")


# --- The load generator ----------------------------------------------------------------------

LUA = r"""
-- Formatted in init, once wrk knows the host (wrk.format adds the Host header).
local requests, count, index = {}, 0, 0
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  requests = {%(requests)s}
  count = #requests
  failures = 0
  first_failure = ""
end
function request()
  index = index %% count + 1
  return requests[index]
end
function response(status, headers, body)
  if status ~= 200 or (body and string.find(body, '"errors"', 1, true)) then
    failures = failures + 1
    if first_failure == "" then first_failure = status .. " " .. string.sub(body or "", 1, 200) end
  end
end
function done(summary, latency, requests_)
  local failed, first = 0, ""
  for _, thread in ipairs(threads) do
    failed = failed + thread:get("failures")
    if first == "" then first = thread:get("first_failure") end
  end
  io.write(string.format(
    'WRK_JSON {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p90_us": %%d, ' ..
    '"p99_us": %%d, "max_us": %%d, "socket_errors": %%d, "failures": %%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    failed))
  io.write("WRK_FIRST_FAILURE " .. string.gsub(first, "\n", " ") .. "\n")
end
"""


def lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid Lua string for these ASCII requests


def wrk_script(requests: list[tuple[str, str, dict, str]]) -> str:
    """A Lua script sending ``requests`` (method, path, headers, body) in turn."""
    formatted = []
    for method, path, headers, body in requests:
        header_table = ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items())
        formatted.append(
            f"wrk.format({lua_string(method)}, {lua_string(path)}, {{{header_table}}}, "
            f"{lua_string(body) if body else 'nil'})"
        )
    return LUA % {"requests": ", ".join(formatted)}


def run_wrk(port: int, script: str, seconds: float, connections: int, threads: int = 2) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    try:
        command = [WRK, "-t", str(threads), "-c", str(connections), "-d", f"{round(seconds)}s"]
        command += ["--timeout", "10s", "--latency", "-s", file.name, f"http://127.0.0.1:{port}/"]
        started = time.monotonic()
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode:
            raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}{done.stderr}")
        output = done.stdout
        wall = time.monotonic() - started
    finally:
        os.unlink(file.name)
    line = next(line for line in output.splitlines() if line.startswith("WRK_JSON "))
    result = json.loads(line.removeprefix("WRK_JSON "))
    result["wall"] = wall
    failure = [line for line in output.splitlines() if line.startswith("WRK_FIRST_FAILURE ")]
    result["first_failure"] = failure[0].removeprefix("WRK_FIRST_FAILURE ") if failure else ""
    return result


def requests_for(scenario: str, event_ids: list[int]) -> list[tuple[str, str, dict, str]]:
    post = {"Content-Type": "application/json", "Accept-Language": LANGUAGE}
    feed = json.dumps({"query": FEED, "variables": {"first": 20}, "operationName": "Feed"})
    if scenario == "healthz":
        return [("GET", "/healthz", {}, "")]
    if scenario in ("feed", "feed-uncached"):
        return [("POST", "/graphql/", post, feed)]
    if scenario == "feed-get":
        query = urlencode(
            {"query": FEED, "variables": json.dumps({"first": 20}), "operationName": "Feed"}
        )
        return [("GET", f"/graphql/?{query}", {"Accept-Language": LANGUAGE}, "")]
    if scenario in ("event", "event-uncached"):
        return [
            (
                "POST",
                "/graphql/",
                post,
                json.dumps(
                    {
                        "query": EVENT,
                        "variables": {"id": global_id("Event", pk)},
                        "operationName": "Event",
                    }
                ),
            )
            for pk in event_ids
        ]
    raise SystemExit(f"unknown scenario {scenario!r}")


def measure(topology: Topology, scenario: str, config: dict, event_ids: list[int]) -> dict:
    script = wrk_script(requests_for(scenario, event_ids))
    # Warm: every worker has loaded the app, parsed the documents and filled the caches.
    if config["warmup"]:
        run_wrk(topology.port, script, config["warmup"], config["connections"])
    pids = topology.pids()
    before = {pid: process_cpu(pid) for pid in pids}
    load = os.getloadavg()[0]
    result = run_wrk(topology.port, script, config["seconds"], config["connections"])
    cpu = sum(process_cpu(pid) - before[pid] for pid in pids)
    seconds = result["duration_us"] / 1e6
    return {
        "topology": topology.spec,
        "scenario": scenario,
        "per_second": result["requests"] / seconds,
        "p50_ms": result["p50_us"] / 1000,
        "p90_ms": result["p90_us"] / 1000,
        "p99_ms": result["p99_us"] / 1000,
        "max_ms": result["max_us"] / 1000,
        "requests": result["requests"],
        "errors": result["failures"] + result["socket_errors"],
        "first_failure": result["first_failure"],
        "server_cpu_s": cpu,
        "cpu_ms_per_request": 1000 * cpu / max(1, result["requests"]),
        "processes": len(pids),
        "load_before": load,
    }


def ports(first: int, last: int):
    """The free ports from ``first`` to ``last``: one another program listens on is passed
    over, so that no row measures a server the bench did not start (a run interrupted before
    it stopped its servers leaves them listening)."""
    for port in range(first, last + 1):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        yield port
    raise SystemExit(f"ran out of ports {first}-{last}")


def topologies_run(config: dict, event_ids: list[int]) -> list[dict]:
    rows = []
    port_source = ports(config["port"], config["port"] + 99)
    for spec in config["topologies"]:
        for cache in (True, False):
            scenarios = [s for s in config["scenarios"] if s.endswith("-uncached") != cache]
            if not scenarios:
                continue
            environment = app_environment(config)
            environment["RESPONSE_CACHE_SECONDS"] = "3600" if cache else "0"
            topology = Topology(spec, config, environment, port_source)
            if not cache:
                topology.options["cache"] = "off"
            topology.start()
            try:
                for scenario in scenarios:
                    row = measure(topology, scenario, config, event_ids)
                    rows.append(row)
                    print(
                        f"  {spec:32} {scenario:15} {row['per_second']:8,.0f}/s "
                        f"p50 {row['p50_ms']:6.1f} p99 {row['p99_ms']:6.1f} ms "
                        f"cpu {row['cpu_ms_per_request']:5.2f} ms/req errors {row['errors']}",
                        flush=True,
                    )
                    if row["errors"]:
                        print(f"    first: {row['first_failure'][:300]}", flush=True)
            finally:
                topology.stop()
    return rows


# --- The push wave ---------------------------------------------------------------------------


def push_wave(config: dict, event_ids: list[int]) -> dict:
    """Announce an event to ``devices`` devices with a Celery worker sending to the fake FCM,
    and meanwhile fetch that event from the HTTP tier with 16 connections."""
    from bench.push_wave import run

    return run(config, Topology, measure, ports(config["port"], config["port"] + 99))


# --- The run ---------------------------------------------------------------------------------


def report(results: dict) -> str:
    m = results["machine"]
    lines = [
        "",
        "Serving benchmark",
        f"machine: {m['cores']} cores, {m['cpu']}, Python {m['python']}; "
        f"load average before: {m['load_before'][0]:.2f}",
        f"wrk: {results['connections']} connections, 2 threads, {results['seconds']} s a row "
        f"after {results['warmup']} s of warm-up; nginx configuration: {results['nginx']}",
        f"demo data: {results['data']['public_events']} public events",
        "",
    ]
    rows = results["rows"]
    base_spec = results["topologies"][0]
    rounds = max(row["round"] for row in rows) + 1
    # Each ratio is taken within its round (the same minutes of the machine), then the median
    # of the rounds' is reported, with their range.
    base = {(row["round"], row["scenario"]): row for row in rows if row["topology"] == base_spec}
    groups: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        groups.setdefault((row["topology"], row["scenario"]), []).append(row)
    middle = "median of " + str(rounds) + " rounds, " if rounds > 1 else ""
    header = (
        f"{'topology':34} {'scenario':15} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'CPU ms/req':>10} {'errors':>6} {'× ' + base_spec:>12}"
    )
    if middle:
        lines.append(f"({middle}the ratios' range in brackets)")
    lines += [header, "-" * len(header)]
    for (topology, scenario), group in groups.items():
        ratios = []
        for row in group:
            reference = base.get((row["round"], scenario))
            if scenario == "feed-get" and reference is None:
                reference = base.get((row["round"], "feed"))
            if reference:
                ratios.append(row["per_second"] / reference["per_second"])
        ratio = statistics.median(ratios) if ratios else float("nan")
        spread = f" [{min(ratios):.2f}–{max(ratios):.2f}]" if len(ratios) > 1 else ""
        lines.append(
            f"{topology:34} {scenario:15} "
            f"{statistics.median(r['per_second'] for r in group):8,.0f} "
            f"{statistics.median(r['p50_ms'] for r in group):7.1f} "
            f"{statistics.median(r['p99_ms'] for r in group):7.1f} "
            f"{statistics.median(r['cpu_ms_per_request'] for r in group):10.2f} "
            f"{sum(r['errors'] for r in group):6d} {ratio:11.2f}×{spread}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--redis", default=DEFAULT_REDIS)
    parser.add_argument("--port", type=int, default=18100, help="first of 100 ports to use")
    parser.add_argument("--topologies", default=DEFAULT_TOPOLOGIES)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--scenario", choices=("serving", "push-wave"), default="serving")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="measure every topology this many times, in turn; report the medians",
    )
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--wave-seconds", type=float, default=60)
    parser.add_argument("--nginx", action="append", default=[], metavar="NAME=value")
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()

    config = {
        "database": args.database,
        "redis": args.redis,
        "port": args.port,
        "topologies": [spec for spec in args.topologies.split(",") if spec],
        "scenarios": [s for s in args.scenarios.split(",") if s],
        "seconds": args.seconds,
        "warmup": args.warmup,
        "connections": args.connections,
        "devices": args.devices,
        "wave_seconds": args.wave_seconds,
        "nginx_values": dict(value.split("=", 1) for value in args.nginx),
        "static_root": tempfile.mkdtemp(prefix="bench-static-"),
    }
    for scenario in config["scenarios"]:
        if scenario not in SCENARIOS:
            raise SystemExit(f"unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
    import redis

    if args.scenario == "serving":
        # Answers cached by an earlier run (of other ids in another database) must not be served.
        redis.Redis.from_url(config["redis"]).flushdb()
    results = {"machine": machine(), **{k: config[k] for k in ("seconds", "warmup")}}
    results.update(
        connections=config["connections"],
        topologies=config["topologies"],
        nginx=nginx_template()[1],
    )
    with bench_database(config["database"], keep=args.keep_database):
        try:
            print("Preparing the database and the static files…", flush=True)
            results["data"] = in_child(prepare, config)
            event_ids = results["data"]["event_ids"]
            os.environ.update(app_environment(config))
            if args.scenario == "push-wave":
                results["push_wave"] = push_wave(config, event_ids)
                print(json.dumps(results["push_wave"], indent=2))
            else:
                results["rows"] = []
                for round_ in range(args.rounds):
                    if args.rounds > 1:
                        print(f"Round {round_ + 1} of {args.rounds}", flush=True)
                    rows = topologies_run(config, event_ids)
                    results["rows"] += [{**row, "round": round_} for row in rows]
                print(report(results))
        finally:
            shutil.rmtree(config["static_root"], ignore_errors=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
