"""The benchmark results as Markdown: machine facts, a table per database × N with the issue's
targets beside each figure, growth with N, query counts, memory, query plans, extras.

Pure module: it only formats the JSON the runner stores.
"""

from __future__ import annotations

from typing import Any

MB = 1024 * 1024
# Targets at 1M tickets on a 2-core machine (issue 6).
TARGETS = {
    "queue": ("p95_ms", 30.0, "p95 ≤ 30 ms"),
    "search": ("p95_ms", 100.0, "p95 ≤ 100 ms"),
    "detail": ("p95_ms", 50.0, "p95 ≤ 50 ms"),
}
CREATE_RATE = 300.0
CREATE_P99 = 50.0
DETAIL_QUERIES = 12
RSS_LIMIT = 200 * MB
GROWTH_LIMIT = 2.0
NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


def missed(value: float, limit: float, unit: str, *, at_most: bool = True) -> str:
    """'met' or 'missed by X' for a figure against its target."""
    if (value <= limit) if at_most else (value >= limit):
        return "met"
    gap = value - limit if at_most else limit - value
    ratio = value / limit if at_most else (limit / value if value else float("inf"))
    return f"**missed by {gap:,.1f} {unit}** ({ratio:.1f}×)"


def verdict(measurement: dict[str, Any]) -> tuple[str, str]:
    """(target text, verdict) for one measurement."""
    kind = measurement["kind"]
    if measurement.get("errors") and not measurement.get("ok"):
        hint = measurement.get("server_error")
        return "", "**failed** (no successful request)" + (f": `{hint}`" if hint else "")
    if kind == "create":
        rate = missed(measurement["throughput_rps"], CREATE_RATE, "tickets/s", at_most=False)
        p99 = missed(measurement["p99_ms"], CREATE_P99, "ms")
        text = "met" if rate == p99 == "met" else f"rate {rate}; p99 {p99}"
        return f"≥ {CREATE_RATE:.0f}/s, p99 ≤ {CREATE_P99:.0f} ms", text
    if kind in TARGETS:
        key, limit, text = TARGETS[kind]
        return text, missed(measurement[key], limit, "ms")
    return "", ""


def _cpu(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f}"


def _ms(value: float) -> str:
    return f"{value:,.1f}"


def measurement_table(case: dict[str, Any]) -> list[str]:
    lines = [
        "| measurement | requests | errors | p50 ms | p95 ms | p99 ms | req/s | server CPU "
        "ms/req | target (at 1M) | verdict |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for m in case.get("measurements", []):
        target, text = verdict(m)
        lines.append(
            f"| {m['name']} | {m['requests']} | {m['errors']} | {_ms(m['p50_ms'])} | "
            f"{_ms(m['p95_ms'])} | {_ms(m['p99_ms'])} | {m['throughput_rps']:,.1f} | "
            f"{_cpu(m.get('cpu_ms_per_request'))} | {target} "
            f"| {text} |"
        )
    return lines


def _keepalive(config: dict[str, Any]) -> str:
    seconds = config.get("web_keepalive")
    if seconds is None:  # results from before the setting: gunicorn's default then
        return "keep-alive on"
    return f"keep-alive {seconds} s" if seconds else "keep-alive off"


def worker_note(case: dict[str, Any]) -> list[str]:
    """The task worker's CPU per created ticket, which the server CPU column leaves out."""
    for m in case.get("measurements", []):
        if m["kind"] == "create" and m.get("worker_cpu_ms_per_request") is not None:
            return [
                f"The task worker spent {m['worker_cpu_ms_per_request']:,.1f} ms of CPU per "
                "created ticket (its mail, sent after the request answered; metered until the "
                "worker was idle). It shares the cores with the web workers.",
                "",
            ]
    return []


def create_rate_note(case: dict[str, Any], cpus: int | None) -> list[str]:
    """Why a missed create rate was missed: how busy the server kept the cores. A rate bound by
    CPU leaves none idle and grows only with less CPU per create; one bound by waiting (a
    lock, the disk) leaves cores idle."""
    for m in case.get("measurements", []):
        if m["kind"] != "create" or m.get("inprocess"):
            continue
        rate, cpu = m.get("throughput_rps") or 0.0, m.get("cpu_ms_per_request")
        if rate >= CREATE_RATE or not cpu or not cpus:
            return []
        busy = rate * cpu / 1000
        who = (
            "web workers and database backends" if case["database"] == "postgres" else "web workers"
        )
        bound = (
            "The rate is bound by CPU: it grows only with less CPU per create."
            if busy >= 0.7 * cpus
            else "Cores were left idle: the creates waited (a lock, the disk) more than they "
            "computed."
        )
        return [
            f"Why the create rate was missed: each create took {cpu:,.1f} ms of CPU in the "
            f"{who}, so at {rate:,.0f}/s they kept {busy:.2f} of the {cpus} cores busy "
            f"(alone they would allow {cpus * 1000 / cpu:,.0f}/s); the load client and the task "
            f"worker ran on the rest. {bound}",
            "",
        ]
    return []


def balance_note(case: dict[str, Any]) -> list[str]:
    """How evenly the web workers shared the load: a worker runs Python on one core at a
    time, so one worker serving most requests leaves a core idle and the latency high."""
    shares = [
        m["busiest_web_worker_share"]
        for m in case.get("measurements", [])
        if m.get("busiest_web_worker_share") is not None and not m.get("inprocess")
    ]
    if not shares:
        return []
    workers = case.get("config", {}).get("web_workers", "?")
    return [
        f"The busiest of the {workers} web workers did {min(shares):.0%} to {max(shares):.0%} "
        "of the web workers' CPU in each measurement (an even spread is "
        f"{1 / workers if isinstance(workers, int) and workers else 0:.0%}).",
        "",
    ]


def query_table(case: dict[str, Any]) -> list[str]:
    queries = case.get("probe", {}).get("queries", {})
    if not queries:
        return []
    lines = ["| page or endpoint | status | SQL queries | target |", "|---|---:|---:|---|"]
    for name, row in queries.items():
        target = ""
        if "500 entries" in name or "detail" in name:
            target = f"≤ {DETAIL_QUERIES}: {missed(row['queries'], DETAIL_QUERIES, 'queries')}"
        lines.append(
            f"| {name} (`{row['path']}`) | {row['status']} | {row['queries']} | {target} |"
        )
    return lines


def rss_table(case: dict[str, Any]) -> list[str]:
    rss = case.get("rss") or {}
    if not rss:
        return []
    lines = ["| process | peak RSS per process | target |", "|---|---|---|"]
    for role in ("web worker", "task worker", "gunicorn master", "other"):
        values = rss.get(role)
        if not values:
            continue
        figures = ", ".join(f"{v / MB:,.0f} MB" for v in values)
        target = ""
        if role in ("web worker", "task worker"):
            target = f"≤ 200 MB: {missed(max(values) / MB, RSS_LIMIT / MB, 'MB')}"
        lines.append(f"| {role} | {figures} | {target} |")
    return lines


def growth(cases: list[dict[str, Any]]) -> list[str]:
    """p95 of each queue and detail measurement at the largest N over the smallest."""
    done = [c for c in cases if c.get("measurements")]
    if len(done) < 2:
        return []
    small, large = min(done, key=lambda c: c["size"]), max(done, key=lambda c: c["size"])
    before = {m["name"]: m for m in small["measurements"]}
    lines = [
        f"| measurement | p95 at {small['size']:,} | p95 at {large['size']:,} | growth | "
        f"server CPU ms/req at {small['size']:,} → {large['size']:,} | CPU growth | "
        "target (10k → 1M) |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for m in large["measurements"]:
        if m["kind"] not in ("queue", "detail", "search") or m["name"] not in before:
            continue
        old = before[m["name"]]["p95_ms"]
        ratio = m["p95_ms"] / old if old else float("inf")
        cpu_old, cpu_new = before[m["name"]].get("cpu_ms_per_request"), m.get("cpu_ms_per_request")
        cpu_ratio = cpu_new / cpu_old if cpu_old and cpu_new else None
        target = ""
        if m["kind"] in ("queue", "detail"):
            # Judged on CPU per request when known: it does not depend on other load.
            judged = cpu_ratio if cpu_ratio is not None else ratio
            target = "≤ 2×: " + ("met" if judged <= GROWTH_LIMIT else f"**missed** ({judged:.1f}×)")
        cpu_growth = f"{cpu_ratio:.2f}×" if cpu_ratio is not None else "–"
        lines.append(
            f"| {m['name']} | {_ms(old)} | {_ms(m['p95_ms'])} | {ratio:.2f}× | "
            f"{_cpu(cpu_old)} → {_cpu(cpu_new)} | {cpu_growth} | {target} |"
        )
    return lines


def shorten_sql(sql: str, limit: int = 160) -> str:
    """The statement with a long column list before its first FROM cut to "…"."""
    text = sql.strip()
    head, separator, rest = text.partition(" FROM ")
    if separator and head.upper().startswith("SELECT ") and len(head) > limit:
        return f"SELECT … FROM {rest}"
    return text


def explain_blocks(case: dict[str, Any]) -> list[str]:
    plans = case.get("probe", {}).get("explain", {})
    lines: list[str] = []
    for name, entry in plans.items():
        lines += [
            "<details>",
            f"<summary>{name}</summary>",
            "",
            "```sql",
            shorten_sql(entry["sql"]),
            "```",
            "",
            "```",
            entry["plan"].rstrip(),
            "```",
            "",
            "</details>",
            "",
        ]
    return lines


def _postgres_settings_row(settings: dict[str, str]) -> list[str]:
    if not settings:
        return []
    shown = ", ".join(f"{name} {value}" for name, value in settings.items())
    return [f"| PostgreSQL settings | {shown} |"]


def _load(values: Any) -> str:
    return " / ".join(f"{v:.2f}" for v in values) if values else "?"


def render(saved: dict[str, Any], day: str) -> str:
    machine = saved.get("machine", {})
    cases = sorted(
        saved.get("cases", {}).values(),
        key=lambda c: (
            list(NAMES).index(c["database"]) if c["database"] in NAMES else 9,
            c["size"],
        ),
    )
    out = [
        f"# Benchmark results, {day}",
        "",
        "Written by `make bench` (`helpline/bench/runner.py`); see `docs/benchmarks.md` for "
        "how to run it and what each figure means. Targets are the issue's, for 1,000,000 "
        "tickets on a 2-core machine; smaller sizes are held to them too, so growth shows.",
        "",
    ]
    loads = [c.get("load_at_start", [0])[0] for c in cases if c.get("load_at_start")]
    if (machine.get("load_at_start") or [0])[0] > 1.0 or any(v > 1.0 for v in loads):
        out += [
            "> **Load.** The 1-minute load average was above 1 at the start of the run or of "
            "a case (see the load averages below, 1/5/15 min). A case's start still counts "
            "the benchmark's own previous case; other work running on the machine makes "
            "latencies upper bounds and throughput lower bounds of what an idle machine shows. "
            "The *server CPU ms/req* column does not depend on load: it is the CPU time the web "
            "workers (and, on PostgreSQL, the database backends) spent per request, the "
            "latency one request would take on an idle core (I/O waits aside).",
            "",
        ]
    out += [
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        f"| CPUs | {machine.get('cpus')} × {machine.get('cpu') or '?'} |",
        f"| memory | {machine.get('memory') or '?'} |",
        f"| Python | {machine.get('python')} |",
        f"| SQLite | {machine.get('sqlite')} |",
        f"| PostgreSQL | {machine.get('postgres') or 'not reachable'} |",
        *_postgres_settings_row(machine.get("postgres_settings") or {}),
        f"| platform | {machine.get('platform')} |",
        f"| load average at start | {_load(machine.get('load_at_start'))} |",
        "",
    ]
    if (machine.get("postgres_settings") or {}).get("autovacuum") == "off":
        out += [
            "> **autovacuum is off** on this PostgreSQL server. Tables that churn during a run "
            "(the queue counts every create appends to and the worker folds) are never "
            "vacuumed, as a production server's autovacuum would: their index-only scans visit "
            "the table, and PostgreSQL's figures carry that cost.",
            "",
        ]
    for note in saved.get("notes", {}).values():
        out += [f"_{note}_", ""]
    if saved.get("analysis"):
        out += ["## Analysis", "", saved["analysis"].strip(), ""]
    if cases:
        config: dict[str, Any] = next((c["config"] for c in cases if c.get("config")), {})
        out += [
            "Server: `helpline serve` (gunicorn, production settings, DEBUG off) with "
            f"{config.get('web_workers', '?')} workers × {config.get('web_threads', '?')} "
            f"thread{'' if config.get('web_threads') == 1 else 's'} each, {_keepalive(config)}, "
            "and the task worker, on a free loopback port. "
            f"Client: {config.get('concurrency', '?')} threads, each on its own connection, "
            f"{config.get('requests', '?')} timed requests per read measurement after a "
            f"warm-up, {config.get('creates', '?')} ticket creates.",
            "",
        ]
    for database in NAMES:
        chosen = [c for c in cases if c["database"] == database]
        for case in chosen:
            out += render_case(case, machine.get("cpus"))
        lines = growth(chosen)
        if lines:
            out += [f"### {NAMES[database]}: growth with N", "", *lines, ""]
    for database, found in (saved.get("extras") or {}).items():
        for name, text in found.items():
            out += [f"## `helpline {name}` ({NAMES.get(database, database)})", "", text, ""]
    return "\n".join(out).rstrip() + "\n"


def render_case(case: dict[str, Any], cpus: int | None = None) -> list[str]:
    name = NAMES.get(case["database"], case["database"])
    out = [f"## {name}, N = {case['size']:,}", ""]
    if case.get("error"):
        return [*out, f"**Run failed:** `{case['error'][:2000]}`", ""]
    probe = case.get("probe", {})
    tickets = probe.get("tickets")
    seeded = (case.get("seed_output") or "").splitlines()
    out += [
        f"- data: {f'{tickets:,}' if tickets else '?'} tickets; {probe.get('vendor', '')}; "
        f"seeded in {case.get('seed_s', '?')} s ({seeded[0] if seeded else ''}), "
        f"migrated in {case.get('migrate_s', '?')} s"
        + (f", written to disk in {case['settle_s']} s" if "settle_s" in case else ""),
        f"- load average at start / end: {_load(case.get('load_at_start'))} → "
        f"{_load(case.get('load_at_end'))}",
    ]
    if case.get("speed_check_ms"):
        out.append(
            f"- speed check: {case['speed_check_ms']} ms of CPU for a fixed pure-Python "
            "workload before the case (`helpline.bench.load.speed_check`; lower is faster). "
            "CPU times per request scale with it: compare runs of different days through it."
        )
    if not probe.get("api_has_q", True):
        out.append(
            "- `GET /api/v1/tickets?q=` is not in the API yet: search was timed in-process "
            "through `helpline.search.selectors.search_tickets` (no HTTP, one thread)."
        )
    out += ["", *measurement_table(case), ""]
    out += worker_note(case)
    out += create_rate_note(case, cpus)
    out += balance_note(case)
    queries = query_table(case)
    if queries:
        out += ["SQL queries per request (Django test client, in-process):", "", *queries, ""]
    rss = rss_table(case)
    if rss:
        out += ["Peak memory during the run:", "", *rss, ""]
    plans = explain_blocks(case)
    if plans:
        out += ["Query plans of the slowest query behind each request:", "", *plans]
    return out
