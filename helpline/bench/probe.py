"""In-process facts about a seeded benchmark database, printed as one JSON object.

``python -m helpline.bench.probe`` (run by the benchmark runner with the bench database's
environment): who to log in as, the long-thread ticket's number, query counts of the detail
and queue pages (Django's test client, nothing timed; each page asked for twice and the
second counted, as a running server answers it), the EXPLAIN of the slowest query
behind the queue and search requests, and, when the API has no ``q`` yet, search timings
taken in-process.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpline.settings")
    import django

    django.setup()


def explain(sql: str) -> str:
    """The plan of ``sql``: EXPLAIN QUERY PLAN on SQLite, EXPLAIN (ANALYZE, BUFFERS) on
    PostgreSQL (the statement is a SELECT, run inside a rolled-back transaction)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            rows = cursor.fetchall()
            depth: dict[int, int] = {0: -1}
            lines = []
            for node, parent, _, detail in rows:
                depth[node] = depth.get(parent, -1) + 1
                lines.append("  " * depth[node] + detail)
            plan = "\n".join(lines)
        else:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        transaction.set_rollback(True)
    return plan


def captured(client: Any, path: str, headers: dict[str, str]) -> tuple[int, list[dict[str, str]]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, headers=headers)
    return response.status_code, list(queries.captured_queries)


def slowest_select(queries: list[dict[str, str]]) -> str | None:
    selects = [q for q in queries if q["sql"].lstrip().upper().startswith(("SELECT", "WITH"))]
    if not selects:
        return None
    return max(selects, key=lambda q: float(q.get("time") or 0))["sql"]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="helpline.bench.probe")
    parser.add_argument("--password", default="helpline-bench")
    parser.add_argument("--search-inprocess", type=int, default=0, metavar="REPEATS")
    parser.add_argument("--explain", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args(argv)
    _setup()

    from django.test import Client

    from helpline.accounts.models import User
    from helpline.bench.seed import LONG_THREAD_COUNTER, bench_agent_email, bench_customer_email
    from helpline.bench.words import Vocabulary
    from helpline.tickets.models import Counter, Ticket

    number = Counter.objects.get(name=LONG_THREAD_COUNTER).value
    ticket = Ticket.objects.select_related("assignee").get(number=number)
    detail_agent = (
        ticket.assignee
        or User.objects.filter(departmentmembership__department_id=ticket.department_id)
        .order_by("-support_level")
        .first()
    )
    if detail_agent is None:
        raise SystemExit("the long-thread ticket's department has no agent: seed again")
    queue_agent = User.objects.get(email=bench_agent_email())
    vocabulary = Vocabulary.build()
    searches = {
        "common word": vocabulary.common_word,
        "rare word": vocabulary.rare_word,
        "prefix": f"{vocabulary.prefix}*",
        "phrase": f'"{vocabulary.phrase}"',
    }
    out: dict[str, Any] = {
        "vendor": _vendor(),
        "long_thread": number,
        "long_thread_entries": ticket.entries.count(),
        "detail_agent": detail_agent.email,
        "queue_agent": queue_agent.email,
        "customer": bench_customer_email(),
        "searches": searches,
        "tickets": Ticket.objects.count(),
        "queries": {},
        "explain": {},
    }

    web = Client()
    web.force_login(detail_agent)
    api = Client()
    status = api.post(
        "/api/v1/auth/token",
        {"email": queue_agent.email, "password": args.password},
        content_type="application/json",
    )
    bearer = {"Authorization": f"Bearer {status.json()['token']}"}
    detail_api = Client()
    token = detail_api.post(
        "/api/v1/auth/token",
        {"email": detail_agent.email, "password": args.password},
        content_type="application/json",
    ).json()["token"]
    detail_bearer = {"Authorization": f"Bearer {token}"}

    def count(name: str, client: Client, path: str, headers: dict[str, str]) -> list[Any]:
        # A server's steady state: the first request of a process also fills its
        # configuration caches (the support roster, the SLA policies).
        client.get(path, headers=headers)
        code, queries = captured(client, path, headers)
        out["queries"][name] = {"path": path, "status": code, "queries": len(queries)}
        return queries

    count("desk ticket page (500 entries)", web, f"/desk/tickets/{number}/", {})
    count("API ticket detail", detail_api, f"/api/v1/tickets/{number}", detail_bearer)
    count(
        "API thread (500 entries)", detail_api, f"/api/v1/tickets/{number}/messages", detail_bearer
    )
    web.force_login(queue_agent)
    count("desk queue page with counts", web, "/desk/?queue=department", {})
    queue = count("API queue first page", api, "/api/v1/tickets?queue=department", bearer)
    deep_path = f"/api/v1/tickets?queue=department&cursor={deep_cursor(out['tickets'])}"
    deep = count("API queue deep page", api, deep_path, bearer)
    has_q = api_has_q(api)
    out["api_has_q"] = has_q
    search_queries = {}
    if has_q:
        from urllib.parse import quote

        for name, text in searches.items():
            search_queries[name] = count(
                f"API search: {name}", api, f"/api/v1/tickets?q={quote(text)}", bearer
            )
    if args.explain:
        for name, queries in {"queue first page": queue, "queue deep page": deep}.items():
            sql = slowest_select(queries)
            if sql:
                out["explain"][name] = {"sql": sql, "plan": explain(sql)}
        for name, queries in search_queries.items():
            sql = slowest_select(queries)
            if sql:
                out["explain"][f"search: {name}"] = {"sql": sql, "plan": explain(sql)}
    if args.search_inprocess and not has_q:
        out["search_inprocess"] = search_timings(queue_agent, searches, args.search_inprocess)
    return out


def deep_cursor(tickets: int) -> str:
    """A keyset cursor half-way down the table (the API's ``id:<n>`` cursor)."""
    from helpline.tickets.selectors import encode_cursor

    return encode_cursor(max(tickets // 2, 1))


def api_has_q(client: Any) -> bool:
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema.get("paths", {}).get("/api/v1/tickets", {}).get("get", {})
    return any(p.get("name") == "q" for p in operation.get("parameters", []))


def search_timings(user: Any, searches: dict[str, str], repeats: int) -> dict[str, list[float]]:
    from helpline.search.selectors import search_tickets

    timings: dict[str, list[float]] = {}
    for name, text in searches.items():
        search_tickets(user=user, query=text)  # warm the caches
        values = []
        for _ in range(repeats):
            started = time.perf_counter()
            list(search_tickets(user=user, query=text).hits)
            values.append(time.perf_counter() - started)
        timings[name] = values
    return timings


def _vendor() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT 'SQLite ' || sqlite_version()")
        else:
            cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    return version if connection.vendor == "sqlite" else f"PostgreSQL {version}"


if __name__ == "__main__":
    json.dump(main(sys.argv[1:]), sys.stdout, indent=1, default=str)
    sys.stdout.write("\n")
