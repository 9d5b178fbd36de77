"""What the benchmarks share: measurements in fresh processes, CPU readings, the bench database,
the machine's description and loopback listening sockets for server processes.

Imported by the scripts in this directory (``from bench.support import …``), which put the
project's root on ``sys.path`` first.
"""

import argparse
import json
import multiprocessing
import os
import platform
import socket
import time
import traceback
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# --- Running a measurement in a fresh process ------------------------------------------------


def production_environment(database: str, redis: str, **more: str) -> dict[str, str]:
    """The app's environment in a bench: production settings (DEBUG off) on the bench's own
    database and Redis, served over plain HTTP on 127.0.0.1, logging warnings and worse;
    ``more`` adds or replaces variables."""
    return {
        "DJANGO_SETTINGS_MODULE": "backend.settings",
        "SECRET_KEY": "bench-secret-key-not-for-production-use-0123456789",
        "DEBUG": "false",
        "DATABASE_URL": database,
        "REDIS_URL": redis,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
        **more,
    }


def _child_main(target, config, connection) -> None:
    try:
        connection.send(("ok", target(config)))
    except BaseException:
        connection.send(("error", traceback.format_exc()))
    finally:
        connection.close()


def in_child(target, config: dict, timeout: float = 1800):
    """Run ``target(config)`` in a new process; its result, or its traceback raised here."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child_main, args=(target, config, sender))
    child.start()
    sender.close()
    try:
        if not receiver.poll(timeout):
            raise TimeoutError(f"{target.__name__} took more than {timeout} s")
        status, value = receiver.recv()
    finally:
        child.join(10)
        if child.is_alive():
            child.terminate()
            child.join()
    if status != "ok":
        raise RuntimeError(f"{target.__name__} failed:\n{value}")
    return value


# --- CPU and memory ---------------------------------------------------------------------------


def expect(pipe, what: str, timeout: float, who: str):
    """The value a child process sends on ``pipe`` as ``(what, value)``; TimeoutError if it
    says nothing in ``timeout`` seconds, RuntimeError with its traceback if it sends
    ``("error", traceback)`` or anything else. ``who`` names the child in those errors."""
    if not pipe.poll(timeout):
        raise TimeoutError(f"{who} did not say {what!r} in {timeout} s")
    status, value = pipe.recv()
    if status != what:
        raise RuntimeError(f"{who} failed:\n{value}")
    return value


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (all its threads), from /proc."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def process_rss_mib(pid: int) -> float:
    """The resident memory of process ``pid`` now, in MiB, from /proc."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def machine_cpu() -> float:
    """Busy CPU seconds of the whole machine (all cores), from /proc/stat."""
    with open("/proc/stat") as stat:
        values = [int(value) for value in stat.readline().split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = values
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


class CpuMeter:
    """CPU seconds used between ``start`` and ``stop`` by named processes and the machine;
    ``other`` is what the machine used besides the named processes."""

    def __init__(self, pids: dict[str, int | None]):
        self.pids = {name: pid for name, pid in pids.items() if pid}

    def start(self) -> "CpuMeter":
        self._wall = time.perf_counter()
        self._machine = machine_cpu()
        self._procs = {name: process_cpu(pid) for name, pid in self.pids.items()}
        return self

    def stop(self) -> dict[str, float]:
        wall = time.perf_counter() - self._wall
        used = {name: process_cpu(pid) - self._procs[name] for name, pid in self.pids.items()}
        used["machine"] = machine_cpu() - self._machine
        used["other"] = used["machine"] - sum(v for k, v in used.items() if k != "machine")
        used["wall"] = wall
        return used


# --- The bench database and the machine ------------------------------------------------------


def maintenance(url: str):
    """A connection to the server's ``postgres`` database, and the bench database's name."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if parts.scheme not in ("postgres", "postgresql") or not name:
        raise SystemExit("--database must be a postgres:// URL with a database name.")
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("The bench only talks to a local PostgreSQL.")
    admin = urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))
    return psycopg.connect(admin, autocommit=True), name


@contextmanager
def bench_database(url: str, keep: bool = False):
    """The bench database of ``url`` made afresh (an earlier run's dropped first), its name
    given to the block, and dropped when the block ends, however it ends (``keep``: left for
    a look afterwards)."""
    admin, name = maintenance(url)
    try:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
        yield name
    finally:
        if not keep:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


# The catalogue of twinnings: the whole one beside the checkout when it is there (../shared/data),
# else the Kazakhstan–Pakistan subset the project ships.
CATALOGUE_FILE = (
    Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "twin_cities.csv"
)
CATALOGUE_SUBSET_FILE = (
    Path(__file__).resolve().parent.parent / "cities" / "data" / "twin_cities_kz_pk.csv"
)


def catalogue_arguments(description: str, database: str):
    """The options of a bench over the imported catalogue (``bench/search.py``,
    ``bench/city_search.py``); the caller adds its own before parsing."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--database", default=database)
    parser.add_argument(
        "--cities-file",
        default=str(CATALOGUE_FILE if CATALOGUE_FILE.exists() else CATALOGUE_SUBSET_FILE),
    )
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each query")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--json", help="also write the raw results to this file")
    parser.add_argument("--keep-database", action="store_true")
    return parser


def run_on_catalogue(args, seed, measure, seeding: str, heading: str) -> dict:
    """Seed a fresh bench database (``seed`` in a child process, saying ``seeding``), print the
    table's ``heading``, measure (``measure`` in another child), then print the machine, the
    load and the time taken, and write the results to ``--json`` when asked."""
    results = {"machine": machine(), "args": vars(args)}
    config = {**vars(args), "redis": ""}
    started = time.perf_counter()
    with bench_database(args.database, keep=args.keep_database) as name:
        print(seeding.format(name=name), flush=True)
        results["seed"] = in_child(seed, config)
        print(f"  {results['seed']}", flush=True)
        print(heading, flush=True)
        results["measured"] = in_child(measure, config)
        results["load_after"] = os.getloadavg()
    m = results["machine"]
    print(
        f"\nmachine: {m['cores']} cores, {m['cpu']}, PostgreSQL {results['seed']['postgres']}; "
        f"load (1 min) before {m['load_before'][0]:.2f}, after {results['load_after'][0]:.2f}; "
        f"median of {args.runs} runs; whole run {time.perf_counter() - started:.0f} s"
    )
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2, default=str, ensure_ascii=False)
    return results


def machine() -> dict:
    """The machine the figures were measured on, and how busy it was before."""
    model = ""
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "load_before": os.getloadavg(),
    }


# --- Server processes ------------------------------------------------------------------------


def listening_sockets(count: int, shared: bool = False) -> tuple[list, int]:
    """``count`` sockets listening on one loopback port, each with SO_REUSEPORT: given one
    each, the server processes share the port and the kernel spreads new connections over
    them (by a hash of the client's address and port), as behind a load balancer. With
    ``shared``, one socket that every process accepts on (gunicorn's way), for comparison."""
    sockets = []
    port = 0
    for _ in range(1 if shared else count):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(4096)
        listener.set_inheritable(True)
        port = listener.getsockname()[1]
        sockets.append(listener)
    return sockets, port


# How each server is started on a listening socket handed over as file descriptor ``fd``: as
# production starts it (the websocket tier's launcher, gunicorn with the HTTP tier's
# configuration), or daphne, the single ASGI server the project ran before.
SERVER_COMMANDS = {
    "daphne": lambda directory, fd: [
        f"{directory}/daphne",
        "-v",
        "0",
        "--fd",
        fd,
        "backend.asgi:application",
    ],
    "uvicorn": lambda directory, fd: [
        f"{directory}/python",
        "-m",
        "backend.websocket_server",
        "--fd",
        fd,
    ],
    "gunicorn": lambda directory, fd: [
        f"{directory}/gunicorn",
        "--config",
        "python:backend.gunicorn",
        # Its start and stop only, not a line per worker in the bench's report.
        "--log-level",
        "warning",
        "--bind",
        f"fd://{fd}",
        "backend.wsgi:application",
    ],
}


def child_pids(pid: int) -> list[int]:
    """The direct children of process ``pid`` (gunicorn's workers), from /proc."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            return [int(child) for child in children.read().split()]
    except OSError:
        return []


class DaphneServers:
    """``count`` server processes serving the app as production starts it, with
    ``environment`` on top of this process's own (a value of None removes the variable).
    ``server`` names the command (``SERVER_COMMANDS``): daphne (``daphne
    backend.asgi:application``) unless told.

    ``listen``: ``"reuseport"`` gives each process its own socket on one shared port (see
    ``listening_sockets``); ``"shared"`` one socket that every process accepts on;
    ``"separate"`` a port per process, as a load balancer's backends (``ports`` lists them).
    """

    def __init__(
        self,
        root,
        environment: dict,
        count: int = 2,
        listen: str = "reuseport",
        server: str = "daphne",
    ):
        self.root, self.environment, self.count, self.listen = root, environment, count, listen
        self.server = server
        self.processes = []
        self.ports: list[int] = []
        self.static_root = None

    def __enter__(self) -> "DaphneServers":
        import subprocess
        import sys
        import tempfile
        from pathlib import Path

        if self.listen == "separate":
            sockets = []
            for _ in range(self.count):
                listener, port = listening_sockets(1)
                sockets += listener
                self.ports.append(port)
        else:
            shared = self.listen == "shared"
            sockets, port = listening_sockets(self.count, shared)
            sockets = sockets * self.count if shared else sockets
            self.ports = [port] * self.count
        bin_directory = str(Path(sys.executable).parent)
        environment = {
            name: value
            for name, value in {**os.environ, **self.environment}.items()
            if value is not None
        }
        if "STATIC_ROOT" not in environment:
            # As production starts: the static files collected first (the server refuses to
            # start without them), here into a directory of this run's own.
            self.static_root = tempfile.mkdtemp(prefix="bench-static-")
            environment["STATIC_ROOT"] = self.static_root
            subprocess.run(
                [sys.executable, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"],
                cwd=self.root,
                env=environment,
                check=True,
            )
        try:
            for listener in sockets:
                fd = listener.fileno()
                command = SERVER_COMMANDS[self.server](bin_directory, str(fd))
                self.processes.append(
                    # The virtualenv's own server, with fixed arguments.
                    subprocess.Popen(  # noqa: S603
                        command,
                        cwd=self.root,
                        env=environment,
                        pass_fds=(fd,),
                    )
                )
        finally:
            for listener in set(sockets):
                listener.close()
        for port in set(self.ports):
            self.wait_until_ready(port)
        return self

    @property
    def port(self) -> int:
        return self.ports[0]

    def wait_until_ready(self, port: int, timeout: float = 60) -> None:
        import http.client

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(process.poll() is not None for process in self.processes):
                raise RuntimeError("a server process exited while starting")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    connection.close()
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise TimeoutError("the servers did not answer /healthz")

    @property
    def pids(self) -> list[int]:
        return [process.pid for process in self.processes]

    def __exit__(self, *exc) -> None:
        import shutil

        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(10)
            except Exception:
                process.kill()
                process.wait()
        if self.static_root is not None:
            shutil.rmtree(self.static_root, ignore_errors=True)
