"""The benchmark runner's plumbing: the load client, the report, and one whole run at a tiny N.

Nothing here is timed: the figures are only checked to be there, never against a target.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from helpline.bench import report, runner
from helpline.bench.load import Client, CpuMeter, Result, RssSampler, percentile, run_load
from helpline.bench.runner import Config, deep_cursor, postgres_database_url, run
from helpline.conftest import is_postgres

# Responses written byte for byte, framed each way a WSGI server may frame them.
RAW = {
    "/chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5\r\nhello\r\n6;name=value\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
    "/until-close": b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nread up to the close",
    "/cookies": b"HTTP/1.1 201 Created\r\nSet-Cookie: sessionid=abc; HttpOnly; Path=/\r\n"
    b"Set-Cookie: csrftoken=xyz; Path=/\r\nContent-Length: 2\r\n\r\n{}",
    "/not-http": b"SSH-2.0-OpenSSH_9.2\r\n\r\n",
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    connections = 0

    def setup(self) -> None:
        super().setup()
        Handler.connections += 1

    def do_GET(self) -> None:
        if self.path in RAW:
            self.wfile.write(RAW[self.path])
            self.close_connection = self.path in ("/until-close", "/not-http")
            return
        if self.path == "/echo-cookie":
            body = (self.headers.get("Cookie") or "").encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        status = 404 if self.path == "/missing" else 200
        body = json.dumps({"path": self.path}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def _load(server: int, path: str, **options: int) -> Result:
    """GETs of ``path`` (``{n}`` is the request's number) from ``run_load``."""
    return run_load(
        path,
        lambda client, n: client.request("GET", path.format(n=n))[0],
        make_client=lambda: Client("127.0.0.1", server),
        **options,
    )


def test_percentile_interpolates_between_ranks():
    assert percentile([], 0.5) == 0.0
    assert percentile([3.0], 0.99) == 3.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 0.5) == 3.0
    assert percentile([0.0, 10.0], 0.95) == pytest.approx(9.5)


def test_load_client_makes_every_request_and_counts_errors_apart(server):
    ok = _load(server, "/x/{n}", requests=7, concurrency=3, warmup=1)
    failing = _load(server, "/missing", requests=2, concurrency=2)

    assert len(ok.latencies) == 7 and ok.errors == 0 and ok.summary()["p99_ms"] > 0
    assert failing.errors == 2 and failing.summary()["ok"] == 0


def test_load_client_reads_chunked_close_delimited_and_sized_bodies_on_one_connection(server):
    Handler.connections = 0
    client = Client("127.0.0.1", server)

    assert client.request("GET", "/chunked") == (200, b"hello world")
    assert client.json("GET", "/x") == (200, {"path": "/x"})
    assert client.request("GET", "/until-close") == (200, b"read up to the close")
    assert client.json("GET", "/y") == (200, {"path": "/y"})
    client.close()

    # Kept alive across the chunked and sized answers; the close-delimited one ends its
    # connection, so the next request opened a second.
    assert Handler.connections == 2


def test_load_client_keeps_the_cookies_it_was_given(server):
    client = Client("127.0.0.1", server)

    assert client.request("GET", "/cookies") == (201, b"{}")
    assert client.cookies == {"sessionid": "abc", "csrftoken": "xyz"}
    assert client.request("GET", "/echo-cookie") == (200, b"sessionid=abc; csrftoken=xyz")
    client.close()


def test_load_client_counts_an_answer_that_is_not_http_as_a_failed_request(server):
    with pytest.raises(ConnectionError, match="not an HTTP"):
        Client("127.0.0.1", server).request("GET", "/not-http")

    result = _load(server, "/not-http", requests=2, concurrency=1)
    assert result.statuses == {0: 2} and result.errors == 2


def test_load_client_refuses_anything_but_loopback():
    with pytest.raises(ValueError):
        Client("example.com", 80)


def test_rss_sampler_finds_this_process():
    import os

    with RssSampler(os.getpid(), interval=0.05) as rss:
        pass

    assert rss.peaks[os.getpid()] > 0


def test_the_cpu_meter_waits_until_the_work_is_done():
    finished = threading.Event()

    def burn() -> None:  # the queued work, done after the meter starts
        end = time.process_time() + 0.3
        while time.process_time() < end:
            pass
        finished.set()

    meter = CpuMeter(lambda: [os.getpid()])
    meter.start()
    threading.Thread(target=burn).start()
    used = meter.stop_when_idle(quiet=0.3, limit=10.0)
    assert finished.is_set()
    assert used >= 0.25


def test_the_report_gives_the_workers_cpu_per_created_ticket():
    row = {
        "kind": "create", "name": "ticket create (API POST)", "requests": 2, "ok": 2,
        "errors": 0, "p50_ms": 5.0, "p95_ms": 6.0, "p99_ms": 7.0, "throughput_rps": 100.0,
        "cpu_ms_per_request": 9.5, "worker_cpu_ms_per_request": 7.9,
    }  # fmt: skip
    case = {"database": "sqlite", "size": 10, "measurements": [row], "seed_output": "x"}
    saved = {"machine": {"cpus": 2}, "cases": {"sqlite-10": case}}
    text = report.render(saved, "2026-11-27")
    assert "The task worker spent 7.9 ms of CPU per created ticket" in text


@pytest.mark.parametrize(
    ("rate", "cpu", "said"),
    [
        (260.0, 6.4, "The rate is bound by CPU"),
        (100.0, 3.0, "Cores were left idle"),
        (380.0, 3.7, None),
    ],
    ids=["bound by CPU", "bound by waiting", "met"],
)
def test_a_missed_create_rate_says_how_busy_the_server_kept_the_cores(rate, cpu, said):
    row = {
        "kind": "create", "name": "ticket create (API POST)", "requests": 2, "ok": 2,
        "errors": 0, "p50_ms": 5.0, "p95_ms": 6.0, "p99_ms": 7.0, "throughput_rps": rate,
        "cpu_ms_per_request": cpu,
    }  # fmt: skip
    case = {"database": "postgres", "size": 10, "measurements": [row], "seed_output": "x"}
    text = report.render({"machine": {"cpus": 2}, "cases": {"postgres-10": case}}, "2026-11-28")
    if said is None:
        assert "Why the create rate was missed" not in text
    else:
        busy = f"{rate * cpu / 1000:.2f} of the 2 cores busy"
        assert f"Why the create rate was missed: each create took {cpu:.1f} ms" in text
        assert busy in text and said in text


def test_the_report_gives_the_postgresql_settings_and_warns_when_autovacuum_is_off():
    settings = {"autovacuum": "off", "synchronous_commit": "on"}
    saved = {"machine": {"cpus": 2, "postgres": "15", "postgres_settings": settings}, "cases": {}}
    text = report.render(saved, "2026-11-28")
    assert "| PostgreSQL settings | autovacuum off, synchronous_commit on |" in text
    assert "**autovacuum is off**" in text
    settings["autovacuum"] = "on"
    assert "**autovacuum is off**" not in report.render(saved, "2026-11-28")


@pytest.mark.postgres
def test_the_postgresql_settings_are_read_from_the_server():
    if not is_postgres():
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://...")
    version, found = runner.postgres_facts(os.environ["DATABASE_URL"])
    assert version
    assert set(found) == set(runner.POSTGRES_SETTINGS)
    assert found["autovacuum"] in ("on", "off")


def test_settling_a_sqlite_database_moves_its_wal_into_the_database_file(tmp_path: Path):
    database = sqlite3.connect(tmp_path / runner.SQLITE_FILE)
    database.execute("PRAGMA journal_mode=WAL")
    database.execute("CREATE TABLE t (x)")
    database.executemany("INSERT INTO t VALUES (?)", [(n,) for n in range(1000)])
    database.commit()
    wal = tmp_path / f"{runner.SQLITE_FILE}-wal"
    assert wal.stat().st_size > 0

    seconds = runner.settle(runner.Case("sqlite", 1000, "", tmp_path))

    assert seconds >= 0 and wal.stat().st_size == 0
    assert database.execute("SELECT count(*) FROM t").fetchone() == (1000,)
    database.close()


def test_settling_a_postgresql_database_requests_a_checkpoint():
    if not is_postgres():
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://...")
    import psycopg

    url = os.environ["DATABASE_URL"]
    query = "SELECT checkpoints_req FROM pg_stat_bgwriter"
    with psycopg.connect(url, autocommit=True) as server:
        before = server.execute(query).fetchone()

        runner.settle(runner.Case("postgres", 1000, url, Path()))

        server.execute("SELECT pg_stat_clear_snapshot()")
        assert server.execute(query).fetchone() > before  # type: ignore[operator]


def test_the_speed_check_times_a_fixed_workload_and_the_report_gives_it():
    from helpline.bench.load import speed_check

    assert speed_check(rounds=1) > 0
    case = {"database": "sqlite", "size": 10, "measurements": [], "speed_check_ms": 61.5}
    text = report.render({"machine": {"cpus": 2}, "cases": {"sqlite-10": case}}, "2026-11-27")
    assert "- speed check: 61.5 ms of CPU for a fixed pure-Python workload" in text


def test_the_busiest_web_worker_share_shows_how_evenly_the_load_was_spread():
    pinned = Result("queue", latencies=[0.01], web_worker_cpu=[3.0, 0.0])
    even = Result("queue", latencies=[0.01], web_worker_cpu=[1.1, 0.9])
    assert pinned.summary()["busiest_web_worker_share"] == 1.0
    assert even.summary()["busiest_web_worker_share"] == 0.55
    assert Result("queue", latencies=[0.01]).summary()["busiest_web_worker_share"] is None

    rows = [
        {**pinned.summary(), "kind": "queue"},
        {**even.summary(), "kind": "search", "name": "search"},
    ]
    case = {
        "database": "sqlite", "size": 10, "measurements": rows, "seed_output": "x",
        "config": {"web_workers": 2, "web_keepalive": 0},
    }  # fmt: skip
    text = report.render({"machine": {"cpus": 2}, "cases": {"sqlite-10": case}}, "2026-11-27")
    assert "The busiest of the 2 web workers did 55% to 100%" in text
    assert "an even spread is 50%" in text
    assert "keep-alive off" in text


def test_a_missed_target_says_by_how_much():
    assert report.missed(20.0, 30.0, "ms") == "met"
    assert report.missed(45.0, 30.0, "ms") == "**missed by 15.0 ms** (1.5×)"
    assert report.missed(150.0, 300.0, "tickets/s", at_most=False).startswith("**missed by 150.0")


def test_report_shows_targets_growth_and_a_failed_case():
    def case(size: int, p95: float) -> dict:
        row = {
            "kind": "queue", "name": "queue first page (API)", "requests": 2, "ok": 2,
            "errors": 0, "p50_ms": p95 / 2, "p95_ms": p95, "p99_ms": p95, "throughput_rps": 9.0,
        }  # fmt: skip
        return {"database": "sqlite", "size": size, "measurements": [row], "seed_output": "x"}

    saved = {
        "machine": {"cpus": 2, "load_at_start": [0.1, 0.1, 0.1]},
        "cases": {
            "sqlite-10": case(10, 10.0),
            "sqlite-1000": case(1000, 45.0),
            "postgres-10": {"database": "postgres", "size": 10, "error": "boom"},
        },
    }

    text = report.render(saved, "2026-11-26")

    assert "## SQLite, N = 1,000" in text
    assert "**missed by 15.0 ms** (1.5×)" in text
    assert "4.50×" in text and "**missed** (4.5×)" in text
    assert "**Run failed:** `boom`" in text


def test_long_select_lists_are_shortened_in_the_plans():
    sql = "SELECT " + ", ".join(f'"t"."c{i}"' for i in range(60)) + ' FROM "t" WHERE x = 1'

    assert report.shorten_sql(sql) == 'SELECT … FROM "t" WHERE x = 1'
    assert report.shorten_sql("SELECT a FROM t") == "SELECT a FROM t"


def test_the_sla_benchmark_sweeps_on_postgresql_only():
    config = Config(sizes=[10_000, 1_000_000])

    assert runner.extra_arguments("bench-sla", config, "postgres") == ["--tickets", "1000000"]
    assert runner.extra_arguments("bench-sla", config, "sqlite") == [
        "--tickets",
        "1000000",
        "--skip-sweep",
    ]


def test_config_reads_the_environment():
    config = Config.from_env(
        {
            "BENCH_SIZES": "50,1_000",
            "BENCH_DATABASES": "sqlite",
            "BENCH_REQUESTS": "2",
            "BENCH_WEB_KEEPALIVE": "5",
            "DATABASE_URL": "postgres://u@db:5432/prod",
        }
    )

    assert config.sizes == [50, 1000] and config.databases == ["sqlite"]
    assert config.requests == 2 and config.web_keepalive == 5
    assert postgres_database_url(config.postgres_url, "bench_50") == "postgres://u@db:5432/bench_50"


def test_deep_cursor_points_half_way_down_an_id_keyset():
    import base64

    first = base64.urlsafe_b64encode(b"id:990").decode().rstrip("=")
    deep = deep_cursor(first, 1000)

    assert base64.urlsafe_b64decode(deep + "=" * (-len(deep) % 4)) == b"id:500"
    assert deep_cursor(None, 1000) is None
    assert deep_cursor("opaque!", 1000) == "opaque!"


def test_a_whole_run_at_a_tiny_size_writes_the_results(tmp_path: Path):
    config = Config(
        sizes=[50],
        databases=["sqlite"],
        requests=2,
        creates=20,  # enough CPU for /proc's 10 ms ticks to see the web worker's share
        concurrency=2,
        web_workers=1,
        web_threads=2,
        extras=False,
        var=tmp_path / "var",
        results=tmp_path / "results",
        warmup=1,
    )

    path = run(config)

    text = path.read_text()
    saved = json.loads(path.with_suffix(".json").read_text())
    case = saved["cases"]["sqlite-50"]
    assert "error" not in case, case.get("error")
    assert "## SQLite, N = 50" in text and "ticket create (API POST)" in text
    assert all(m["ok"] >= 1 for m in case["measurements"]), case["measurements"]
    assert case["probe"]["long_thread_entries"] == 500
    assert case["rss"]["web worker"]
    create = next(m for m in case["measurements"] if m["kind"] == "create")
    assert create["worker_cpu_ms_per_request"] is not None
    assert create["busiest_web_worker_share"] == 1.0  # one web worker
    assert "The task worker spent" in text
    assert case["settle_s"] >= 0 and "written to disk in" in text
