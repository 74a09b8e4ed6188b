"""``make bench``: for each database and size, a fresh seeded database, the production server
on a free loopback port, and a bounded concurrent load over HTTP; results to
``bench/results/<date>.md`` (and ``.json``, merged with earlier runs of the same day).

Configured by environment variables (all optional):

=========================  ===========================================================
``BENCH_SIZES``            ticket counts, default ``10000,100000`` (add ``1000000``)
``BENCH_DATABASES``        ``sqlite,postgres`` (PostgreSQL is skipped when unreachable)
``BENCH_POSTGRES_URL``     the server to create ``bench_<N>`` databases on; default
                           ``DATABASE_URL`` if it is PostgreSQL, else
                           ``postgres://postgres@127.0.0.1:5432/``
``BENCH_REQUESTS``         timed requests per read measurement, default 300
``BENCH_CREATES``          ticket creates, default 300
``BENCH_CONCURRENCY``      client threads, default 4
``BENCH_SECONDS``          time budget per measurement, default 30 (fewer requests
                           are made when an endpoint is slower)
``BENCH_WEB_WORKERS``      gunicorn workers / threads / keep-alive seconds of
``BENCH_WEB_THREADS``      ``helpline serve``: 2 per core / 1 / 0 (its defaults)
``BENCH_WEB_KEEPALIVE``
``BENCH_REUSE``            ``1``: keep an already seeded database (top it up) instead
                           of starting fresh
``BENCH_VAR``              working folder, default ``var/bench``
``BENCH_RESULTS``          results folder, default ``bench/results``
``BENCH_EXTRAS``           ``0`` skips ``helpline bench-sla`` / ``bench-mail`` (each run
                           on a fresh database of its own); ``only`` runs just those
=========================  ===========================================================

The runner itself never imports Django: migrate, seed, serve and the in-process probe run
as ``python -m helpline …`` subprocesses with the bench database in their environment.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from helpline.bench import report
from helpline.bench.load import (
    Client,
    CpuMeter,
    Result,
    RssSampler,
    children,
    cmdline,
    role_pids,
    run_load,
    speed_check,
)
from helpline.core.machine import default_web_workers

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "helpline-bench"
LONG_THREAD = 500


@dataclass
class Config:
    sizes: list[int] = field(default_factory=lambda: [10_000, 100_000])
    databases: list[str] = field(default_factory=lambda: ["sqlite", "postgres"])
    postgres_url: str = "postgres://postgres@127.0.0.1:5432/"
    requests: int = 300
    creates: int = 300
    concurrency: int = 4
    web_workers: int = field(default_factory=default_web_workers)  # helpline serve's defaults
    web_threads: int = 1
    web_keepalive: int = 0  # seconds; helpline serve's default
    reuse: bool = False
    extras: bool = True
    cases: bool = True  # False: only the extras (BENCH_EXTRAS=only)
    var: Path = ROOT / "var" / "bench"
    results: Path = ROOT / "bench" / "results"
    warmup: int = 5
    seconds: float = 30.0  # at most this long per measurement (at least warm-up + 1 request)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Config:
        env = dict(os.environ if env is None else env)
        config = cls()
        if env.get("BENCH_SIZES"):
            config.sizes = [int(s.replace("_", "")) for s in env["BENCH_SIZES"].split(",") if s]
        if env.get("BENCH_DATABASES"):
            config.databases = [s.strip() for s in env["BENCH_DATABASES"].split(",") if s.strip()]
        database_url = env.get("DATABASE_URL", "")
        if env.get("BENCH_POSTGRES_URL"):
            config.postgres_url = env["BENCH_POSTGRES_URL"]
        elif database_url.startswith(("postgres://", "postgresql://")):
            config.postgres_url = database_url
        if env.get("BENCH_SECONDS"):
            config.seconds = float(env["BENCH_SECONDS"])
        for name in (
            "requests",
            "creates",
            "concurrency",
            "web_workers",
            "web_threads",
            "web_keepalive",
        ):
            value = env.get(f"BENCH_{name.upper()}")
            if value:
                setattr(config, name, int(value))
        config.reuse = env.get("BENCH_REUSE", "") in ("1", "true", "yes")
        config.extras = env.get("BENCH_EXTRAS", "1") not in ("0", "false", "no")
        config.cases = env.get("BENCH_EXTRAS", "") != "only"
        if env.get("BENCH_VAR"):
            config.var = Path(env["BENCH_VAR"]).resolve()
        if env.get("BENCH_RESULTS"):
            config.results = Path(env["BENCH_RESULTS"]).resolve()
        return config


def log(message: str) -> None:
    stamp = datetime.now(UTC).strftime("%H:%M:%S")
    print(f"[bench {stamp}] {message}", file=sys.stderr, flush=True)


# --- databases --------------------------------------------------------------------------------


def postgres_server(url: str) -> str:
    """The server part of ``url`` with the ``postgres`` maintenance database."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))


def postgres_database_url(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


# Server settings that change what the PostgreSQL figures mean, written into the results.
POSTGRES_SETTINGS = ("autovacuum", "synchronous_commit", "shared_buffers")


def postgres_facts(url: str) -> tuple[str | None, dict[str, str]]:
    """The server's version and its ``POSTGRES_SETTINGS``, read over one connection; (None,
    {}) when it cannot be reached."""
    try:
        import psycopg
    except ImportError:
        return None, {}
    try:
        with psycopg.connect(postgres_server(url), connect_timeout=3) as connection:
            found = {
                name: str(connection.execute(f"SHOW {name}").fetchone()[0])  # type: ignore[index]
                for name in ("server_version", *POSTGRES_SETTINGS)
            }
    except psycopg.Error:
        return None, {}
    return found.pop("server_version"), found


def recreate_postgres(url: str, name: str) -> None:
    import psycopg

    if not re.fullmatch(r"bench_[a-z0-9_]+", name):
        raise ValueError(f"refusing to drop {name!r}: bench databases only")
    with psycopg.connect(postgres_server(url), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def postgres_exists(url: str, name: str) -> bool:
    import psycopg

    with psycopg.connect(postgres_server(url), autocommit=True) as connection:
        row = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    return row is not None


SQLITE_FILE = "helpline.sqlite3"  # a SQLite case's database, in its folder


@dataclass
class Case:
    database: str  # "sqlite" or "postgres"
    size: int
    url: str
    folder: Path

    @property
    def key(self) -> str:
        return f"{self.database}-{self.size}"


def prepare(config: Config, database: str, size: int | str) -> Case:
    """A database for ``size`` tickets (or a named one): fresh unless ``config.reuse``."""
    folder = config.var / f"{database}-{size}"
    folder.mkdir(parents=True, exist_ok=True)
    if database == "sqlite":
        path = folder / SQLITE_FILE
        if not config.reuse:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return Case(database, _size(size), f"sqlite:///{path}", folder)
    name = f"bench_{size}"
    if not config.reuse or not postgres_exists(config.postgres_url, name):
        recreate_postgres(config.postgres_url, name)
    return Case(database, _size(size), postgres_database_url(config.postgres_url, name), folder)


def settle(case: Case) -> float:
    """Put the seed's writes on disk before anything is measured; the seconds it took.

    A fresh seed leaves gigabytes to write: PostgreSQL's WAL asks for checkpoints, and the
    operating system still holds the written pages in memory (2.2 GB at 1M). Left alone, they
    went out while the server was measured: creates right after a seed at 1M had p99s of
    92-105 ms with the cores 74-77% busy, against 19-26 ms in the runs after on the same
    database, and 24 ms in the first run settled this way. So: a checkpoint (PostgreSQL's
    ``CHECKPOINT``, SQLite's WAL checkpoint), then ``os.sync()``."""
    began = time.monotonic()
    if case.database == "sqlite":
        database = sqlite3.connect(case.folder / SQLITE_FILE)
        try:
            database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            database.close()
    else:
        import psycopg

        try:
            with psycopg.connect(case.url, autocommit=True) as server:
                server.execute("CHECKPOINT")
        except psycopg.errors.InsufficientPrivilege:
            log(f"{case.key}: no CHECKPOINT (needs a superuser or pg_checkpoint); syncing only")
    os.sync()
    return round(time.monotonic() - began, 1)


def _size(size: int | str) -> int:
    return size if isinstance(size, int) else 0


def environment(case: Case) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=case.url,
        HELPLINE_VAR_DIR=str(case.folder / "var"),
        DJANGO_SETTINGS_MODULE="helpline.settings",
        DEBUG="false",
        SECRET_KEY="helpline-bench-not-secret-" + "x" * 40,
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        TASKS_BACKEND="database",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def helpline(
    case: Case, *args: str, timeout: float | None = None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "helpline", *args]
    return subprocess.run(
        command, env=environment(case), cwd=ROOT, text=True, capture_output=True,
        timeout=timeout, check=False,
    )  # fmt: skip


def checked(process: subprocess.CompletedProcess[str], what: str) -> str:
    if process.returncode != 0:
        raise RuntimeError(f"{what} failed ({process.returncode}):\n{process.stderr[-3000:]}")
    return process.stdout


# --- the server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``helpline serve`` (gunicorn with the production settings, plus the task worker)."""

    def __init__(self, case: Case, config: Config):
        self.case, self.config = case, config
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        command = [
            sys.executable, "-m", "helpline", "serve",
            "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(self.config.web_workers),
            "--threads", str(self.config.web_threads),
            "--keep-alive", str(self.config.web_keepalive),
        ]  # fmt: skip
        self.log = (self.case.folder / "serve.log").open("wb")
        self.process = subprocess.Popen(
            command, env=environment(self.case), cwd=ROOT, stdout=self.log, stderr=self.log
        )
        deadline = time.monotonic() + 90
        client = Client("127.0.0.1", self.port)
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited; see {self.case.folder / 'serve.log'}")
            try:
                if client.request("GET", "/api/v1/health")[0] == 200:
                    client.close()
                    return self
            except OSError:
                pass
            client.close()
            time.sleep(0.3)
        self.__exit__()
        raise RuntimeError("the server did not answer /api/v1/health within 90 s")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def error_hint(self, outcome: Result) -> dict[str, str]:
        """For a measurement with server errors, the last exception line of the server log."""
        if not any(status >= 500 for status in outcome.statuses):
            return {}
        self.log.flush()
        lines = (self.case.folder / "serve.log").read_text(errors="replace").splitlines()
        pattern = re.compile(r"^[\w.]*(Error|Exception)\b.*:")
        found = next((line for line in reversed(lines[-3000:]) if pattern.match(line)), "")
        return {"server_error": found[:300]} if found else {}

    def client(self, headers: dict[str, str] | None = None) -> Client:
        return Client("127.0.0.1", self.port, headers)


def token(server: Server, email: str) -> str:
    client = server.client()
    status, body = client.json(
        "POST", "/api/v1/auth/token", body={"email": email, "password": PASSWORD}
    )
    client.close()
    if status != 201:
        raise RuntimeError(f"could not log in {email} over the API ({status}: {body})")
    return str(body["token"])


def web_session(server: Server, email: str) -> dict[str, str]:
    """Cookies of a logged-in web session."""
    client = server.client()
    _, page = client.request("GET", "/login/")
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if not match:
        raise RuntimeError("no CSRF token on the login page")
    status, _ = client.request(
        "POST",
        "/login/",
        form={"username": email, "password": PASSWORD, "csrfmiddlewaretoken": match[1].decode()},
        headers={"Referer": f"http://127.0.0.1:{server.port}/login/"},
    )
    client.close()
    if status != 302 or "sessionid" not in client.cookies:
        raise RuntimeError(f"could not log in {email} on the web ({status})")
    return dict(client.cookies)


# --- one case ---------------------------------------------------------------------------------


def get(path: str) -> Callable[[Client, int], int]:
    return lambda client, number: client.request("GET", path)[0]


def run_case(config: Config, database: str, size: int) -> dict[str, Any]:
    case = prepare(config, database, size)
    result: dict[str, Any] = {
        "database": database,
        "size": size,
        "load_at_start": os.getloadavg(),
        "speed_check_ms": speed_check(),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": {
            "requests": config.requests,
            "creates": config.creates,
            "concurrency": config.concurrency,
            "web_workers": config.web_workers,
            "web_threads": config.web_threads,
            "web_keepalive": config.web_keepalive,
        },
    }
    log(f"{case.key}: migrate")
    began = time.monotonic()
    checked(helpline(case, "migrate", "--no-input", "-v0"), "migrate")
    checked(helpline(case, "collectstatic", "--no-input", "-v0"), "collectstatic")
    result["migrate_s"] = round(time.monotonic() - began, 1)
    log(f"{case.key}: seed {size:,} tickets")
    began = time.monotonic()
    seeded = checked(
        helpline(case, "bench-seed", "--tickets", str(size), "--long-thread", str(LONG_THREAD)),
        "bench-seed",
    )
    result["seed_s"] = round(time.monotonic() - began, 1)
    result["seed_output"] = seeded.strip()
    log(f"{case.key}: seeded in {result['seed_s']} s; settle")
    result["settle_s"] = settle(case)
    log(f"{case.key}: settled in {result['settle_s']} s; probe")
    probe_args = ["-m", "helpline.bench.probe", "--search-inprocess", str(min(config.requests, 50))]
    probe = subprocess.run(
        [sys.executable, *probe_args], env=environment(case), cwd=ROOT, text=True,
        capture_output=True, check=False,
    )  # fmt: skip
    facts = json.loads(checked(probe, "probe"))
    result["probe"] = facts
    log(f"{case.key}: serve and measure")
    with Server(case, config) as server, RssSampler(server.process.pid) as rss:  # type: ignore[union-attr]
        result["measurements"] = measure(config, server, facts, case)
    result["rss"] = rss.by_role()
    result["load_at_end"] = os.getloadavg()
    return result


def web_worker_pids(server: Server) -> Callable[[], list[int]]:
    """The gunicorn workers of ``helpline serve``."""
    root = server.process.pid if server.process else 0

    def pids() -> list[int]:
        tree = children()
        masters = [pid for pid in tree.get(root, []) if "gunicorn" in cmdline(pid)]
        return [worker for master in masters for worker in tree.get(master, [])]

    return pids


def server_pids(server: Server, case: Case) -> Callable[[], list[int]]:
    """The web workers, and on PostgreSQL the backends serving the bench database (when
    the server runs on this machine, so /proc shows them)."""
    workers = web_worker_pids(server)
    connection = None
    if case.database == "postgres":
        import psycopg

        connection = psycopg.connect(case.url, autocommit=True)

    def pids() -> list[int]:
        found = workers()
        if connection is not None:
            rows = connection.execute(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchall()
            found += [row[0] for row in rows]
        return found

    return pids


def measure(
    config: Config, server: Server, facts: dict[str, Any], case: Case
) -> list[dict[str, Any]]:
    meter = CpuMeter(server_pids(server, case))
    web = CpuMeter(web_worker_pids(server))  # how the load was spread over the web workers
    agent = {"Authorization": f"Bearer {token(server, facts['queue_agent'])}"}
    detail_agent = {"Authorization": f"Bearer {token(server, facts['detail_agent'])}"}
    customer = {"Authorization": f"Bearer {token(server, facts['customer'])}"}
    queue_cookies = web_session(server, facts["queue_agent"])
    detail_cookies = web_session(server, facts["detail_agent"])
    number = facts["long_thread"]

    _, first = server.client(agent).json("GET", "/api/v1/tickets?queue=department")
    deep = deep_cursor(first.get("next_cursor") if first else None, facts["tickets"])

    def reads(
        headers: dict[str, str], cookies: dict[str, str] | None = None
    ) -> Callable[[], Client]:
        def make() -> Client:
            client = server.client(headers)
            client.cookies.update(cookies or {})
            return client

        return make

    plan: list[tuple[str, str, Callable[[Client, int], int], Callable[[], Client]]] = [
        ("queue", "queue first page (API)", get("/api/v1/tickets?queue=department"), reads(agent)),
    ]
    if deep:
        path = f"/api/v1/tickets?queue=department&cursor={deep}"
        plan.append(("queue", "queue deep keyset page (API)", get(path), reads(agent)))
    plan.append(
        ("queue", "desk queue page with counts (web)", get("/desk/?queue=department"),
         reads({}, queue_cookies))
    )  # fmt: skip
    if facts.get("api_has_q"):
        for name, text in facts["searches"].items():
            path = f"/api/v1/tickets?q={quote(text)}"
            plan.append(("search", f"search: {name} `{text}` (API)", get(path), reads(agent)))
    plan += [
        ("detail", "ticket detail (API)", get(f"/api/v1/tickets/{number}"), reads(detail_agent)),
        ("detail", "thread, 500 entries (API)", get(f"/api/v1/tickets/{number}/messages"),
         reads(detail_agent)),
        ("detail", "desk ticket page, 500 entries (web)", get(f"/desk/tickets/{number}/"),
         reads({}, detail_cookies)),
    ]  # fmt: skip
    measurements = []
    for kind, name, action, make_client in plan:
        if config.warmup:
            warm = make_client()
            for _ in range(config.warmup):
                action(warm, -1)
            warm.close()
        meter.start()
        web.start()
        outcome = run_load(
            name, action, requests=config.requests, concurrency=config.concurrency,
            make_client=make_client, max_seconds=config.seconds,
        )  # fmt: skip
        outcome.cpu_seconds = meter.stop()
        outcome.web_worker_cpu = list(web.used().values())
        measurements.append({"kind": kind, **outcome.summary(), **server.error_hint(outcome)})
        log(f"  {name}: p95 {outcome.ms(0.95):.1f} ms, {outcome.errors} errors")
    for name, values in (facts.get("search_inprocess") or {}).items():
        outcome = Result(f"search: {name} `{facts['searches'][name]}` (in-process)", values)
        outcome.wall = sum(values)
        measurements.append({"kind": "search", "inprocess": True, **outcome.summary()})

    def create(client: Client, number: int) -> int:
        body = {
            "subject": f"Bench create {number}: printer on floor {number % 9} jams",
            "description": "Paper jam in tray 2 since this morning; the display says E-42.",
        }
        return client.request("POST", "/api/v1/tickets", body=body)[0]

    # The task worker sends each new ticket's mail after the request has answered: its CPU is
    # metered until it has nothing left to do.
    root = server.process.pid if server.process else 0
    worker = CpuMeter(lambda: role_pids(root, "task worker"))
    meter.start()
    web.start()
    worker.start()
    outcome = run_load(
        "ticket create (API POST)", create, requests=config.creates,
        concurrency=config.concurrency, make_client=reads(customer), warmup=0,
        max_seconds=config.seconds,
    )  # fmt: skip
    outcome.cpu_seconds = meter.stop()
    outcome.web_worker_cpu = list(web.used().values())
    outcome.worker_cpu_seconds = worker.stop_when_idle()
    measurements.append({"kind": "create", **outcome.summary(), **server.error_hint(outcome)})
    log(f"  create: {outcome.throughput:.0f}/s, p99 {outcome.ms(0.99):.1f} ms")
    return measurements


def deep_cursor(first: str | None, tickets: int) -> str | None:
    """A cursor half-way down the table when the API's cursor is the ``id:<n>`` keyset one;
    otherwise the second page's cursor (so the deep page is at least a keyset page)."""
    import base64

    if not first:
        return None
    try:
        padded = first + "=" * (-len(first) % 4)
        kind, _, _ = base64.urlsafe_b64decode(padded).decode().partition(":")
    except ValueError:
        return first
    if kind != "id":
        return first
    return base64.urlsafe_b64encode(f"id:{max(tickets // 2, 1)}".encode()).decode().rstrip("=")


# --- extras and machine -----------------------------------------------------------------------


EXTRA_COMMANDS = ("bench-sla", "bench-mail")


def extra_arguments(name: str, config: Config, database: str) -> list[str]:
    """bench-sla sweeps as many open tickets as the largest size benchmarked (its sweep
    needs PostgreSQL: SQLite gets the due-time throughput alone); bench-mail commits every
    message, as in production (its on-commit work is then measured too)."""
    if name == "bench-sla":
        sweep = ["--skip-sweep"] if database == "sqlite" else []
        return ["--tickets", str(max(config.sizes)), *sweep]
    return ["--commit"] if name == "bench-mail" else []


def extras(config: Config, database: str) -> dict[str, str]:
    """Markdown from ``helpline bench-sla`` and ``helpline bench-mail`` where they exist,
    each run on a fresh, migrated database of its own (they bring their own data)."""
    found: dict[str, str] = {}
    case = prepare(dataclasses.replace(config, reuse=True), database, "extras")
    listing = checked(helpline(case, "help", "--commands"), "help").split()
    wanted = [name for name in EXTRA_COMMANDS if name.replace("-", "_") in listing]
    for name in EXTRA_COMMANDS:
        if name not in wanted:
            found[name] = f"_`helpline {name}` does not exist yet; skipped._"
    for name in wanted:
        case = prepare(dataclasses.replace(config, reuse=False), database, "extras")
        checked(helpline(case, "migrate", "--no-input", "-v0"), "migrate")
        if name == "bench-mail":  # a real desk to route to: agents, SLA policy, rules
            checked(helpline(case, "demo-seed"), "demo-seed")
        arguments = extra_arguments(name, config, database)
        log(f"{database}: helpline {name} {' '.join(arguments)}")
        began = time.monotonic()
        try:
            process = helpline(case, name, *arguments, timeout=1800)
        except subprocess.TimeoutExpired:
            found[name] = f"_`helpline {name}` did not finish within 30 minutes._"
            continue
        took = f"_`helpline {name} {' '.join(arguments)}`, {time.monotonic() - began:,.0f} s:_"
        if process.returncode != 0:
            found[name] = (
                f"{took} failed ({process.returncode}):\n\n```\n"
                f"{process.stderr.strip()[-2000:]}\n```"
            )
        else:
            found[name] = f"{took}\n\n{process.stdout.strip()}"
    return found


def machine(
    config: Config, postgres: str | None, settings: dict[str, str] | None = None
) -> dict[str, Any]:
    cpu = ""
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next(
                (ln.split(":", 1)[1].strip() for ln in handle if ln.startswith("model name")), ""
            )
    except OSError:
        pass
    memory = ""
    try:
        with open("/proc/meminfo") as handle:
            kib = int(handle.readline().split()[1])
            memory = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory": memory,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgres": postgres,
        "postgres_settings": settings or {},
        "platform": platform.platform(),
        "load_at_start": os.getloadavg(),
    }


# --- main -------------------------------------------------------------------------------------


def _update(store: Path, section: str, key: str, value: Any) -> dict[str, Any]:
    """Set ``store[section][key]`` in the day's JSON, re-read first: runs of the same day
    (even concurrent ones) add to one file instead of overwriting each other."""
    saved: dict[str, Any] = json.loads(store.read_text()) if store.exists() else {}
    if section:
        saved.setdefault(section, {})[key] = value
    else:
        saved[key] = value
    store.write_text(json.dumps(saved, indent=1, default=str))
    return saved


def run(config: Config) -> Path:
    day = datetime.now(UTC).date().isoformat()
    config.results.mkdir(parents=True, exist_ok=True)
    store = config.results / f"{day}.json"
    postgres, settings = (
        postgres_facts(config.postgres_url) if "postgres" in config.databases else (None, {})
    )
    facts = machine(config, postgres, settings)
    earlier = json.loads(store.read_text()).get("machine", {}) if store.exists() else {}
    facts["postgres"] = facts["postgres"] or earlier.get("postgres")
    facts["postgres_settings"] = facts["postgres_settings"] or earlier.get("postgres_settings", {})
    saved = _update(store, "", "machine", facts)
    for database in config.databases:
        if database == "postgres" and postgres is None:
            note = f"PostgreSQL not reachable at {postgres_server(config.postgres_url)}"
            saved = _update(store, "notes", "postgres", note)
            log(note + "; skipped")
            continue
        if database not in ("sqlite", "postgres"):
            raise SystemExit(f"unknown database {database!r} (sqlite or postgres)")
        for size in config.sizes if config.cases else []:
            key = f"{database}-{size}"
            try:
                outcome = run_case(config, database, size)
            except (RuntimeError, OSError, ValueError) as error:
                log(f"{key}: {error}")
                outcome = {"database": database, "size": size, "error": str(error)}
            saved = _update(store, "cases", key, outcome)
        if config.extras:
            saved = _update(store, "extras", database, extras(config, database))
    path = config.results / f"{day}.md"
    path.write_text(report.render(saved, day))
    log(f"results: {path}")
    return path


def main() -> None:
    run(Config.from_env())


if __name__ == "__main__":
    main()
