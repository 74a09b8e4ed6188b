"""A bounded, loopback-only HTTP load client and a peak-RSS sampler. Standard library only.

``run_load`` sends ``requests`` requests from ``concurrency`` threads, each thread on its own
connection (kept alive while the server allows), and records every latency; ``RssSampler``
watches a process tree through ``/proc`` and keeps the peak resident set of each process in
it.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def percentile(values: list[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (as numpy's default); 0.0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class Result:
    """Latencies in seconds of the successful requests, and what failed."""

    name: str
    latencies: list[float] = field(default_factory=list)
    wall: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    concurrency: int = 1
    cpu_seconds: float | None = None  # server CPU (web workers + database) during the run
    # The task worker's CPU for what the run queued (a create's mail), until it was idle.
    worker_cpu_seconds: float | None = None
    # The web workers' CPU seconds during the run, one figure per worker.
    web_worker_cpu: list[float] | None = None

    @property
    def errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 400 or status == 0)

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.wall if self.wall > 0 else 0.0

    def ms(self, fraction: float) -> float:
        return percentile(self.latencies, fraction) * 1000

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "requests": len(self.latencies) + self.errors,
            "ok": len(self.latencies),
            "errors": self.errors,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "concurrency": self.concurrency,
            "p50_ms": round(self.ms(0.50), 2),
            "p95_ms": round(self.ms(0.95), 2),
            "p99_ms": round(self.ms(0.99), 2),
            "max_ms": round(max(self.latencies, default=0.0) * 1000, 2),
            "throughput_rps": round(self.throughput, 1),
            "cpu_ms_per_request": (
                round(self.cpu_seconds * 1000 / len(self.latencies), 2)
                if self.cpu_seconds is not None and self.latencies
                else None
            ),
            "worker_cpu_ms_per_request": (
                round(self.worker_cpu_seconds * 1000 / len(self.latencies), 2)
                if self.worker_cpu_seconds is not None and self.latencies
                else None
            ),
            "busiest_web_worker_share": self.busiest_share(),
        }

    def busiest_share(self) -> float | None:
        """The busiest web worker's part of the web workers' CPU: ``1 / workers`` when the
        load was spread evenly, 1.0 when one worker served every request."""
        used = self.web_worker_cpu or []
        total = sum(used)
        return round(max(used) / total, 3) if total > 0 else None


class Client:
    """One HTTP/1.1 connection to a loopback server, kept alive unless the server closes it
    (``helpline serve`` does after each response by default); then the next request opens a
    new one.

    It writes requests and reads responses on a plain socket rather than through
    ``http.client``, which parses every response's headers with the ``email`` package: the
    client runs on the cores it measures, and a create's POST to a trivial WSGI app under
    gunicorn took 0.27-0.31 ms of its CPU that way against 0.12-0.13 ms this way. It
    understands what a WSGI server sends: a body of ``Content-Length``, chunked, or up to
    the close."""

    def __init__(self, host: str, port: int, headers: Mapping[str, str] | None = None):
        if host not in LOOPBACK:
            raise ValueError(f"the load client only talks to loopback, not {host!r}")
        self.host, self.port = host, port
        self.headers = dict(headers or {})
        self.cookies: dict[str, str] = {}
        self._socket: socket.socket | None = None
        self._pending = b""  # bytes read past the last response (none from a sane server)

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, bytes]:
        sent = {**self.headers, **(headers or {})}
        data = b""
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        elif form is not None:
            data = urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        if data or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(data)}")
        lines += [f"{name}: {value}" for name, value in sent.items()]
        message = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + data
        for attempt in (1, 2):
            try:
                if self._socket is None:
                    self._socket = socket.create_connection((self.host, self.port), timeout=60)
                    self._pending = b""
                self._socket.sendall(message)
                status, fields, payload, close = self._response(method)
            except OSError:
                self.close()
                if attempt == 2:
                    raise
                continue  # a kept-alive connection the server closed meanwhile: a new one
            for cookie in fields.get("set-cookie", ()):
                name, _, rest = cookie.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            if close:
                self.close()
            return status, payload
        raise AssertionError("unreachable")

    def json(self, method: str, path: str, **options: Any) -> tuple[int, Any]:
        status, payload = self.request(method, path, **options)
        try:
            return status, json.loads(payload or b"null")
        except ValueError:
            return status, None

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    # --- reading a response ------------------------------------------------------------------

    def _response(self, method: str) -> tuple[int, dict[str, list[str]], bytes, bool]:
        """Status, headers (lower-cased names), body, and whether the connection is done."""
        head = self._until(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        version, _, rest = status_line.partition(" ")
        code = rest[:3]
        if not (version.startswith("HTTP/1.") and code.isdigit()):
            raise ConnectionError(f"not an HTTP/1.x response: {status_line[:80]!r}")
        status = int(code)
        fields: dict[str, list[str]] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            fields.setdefault(name.strip().lower(), []).append(value.strip())
        tokens = ",".join(fields.get("connection", ())).lower()
        close = "close" in tokens or (version == "HTTP/1.0" and "keep-alive" not in tokens)
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            return status, fields, b"", close
        if "chunked" in ",".join(fields.get("transfer-encoding", ())).lower():
            return status, fields, self._chunked(), close
        if "content-length" in fields:
            return status, fields, self._exactly(_number(fields["content-length"][0])), close
        return status, fields, self._until_closed(), True

    def _receive(self) -> bytes:
        assert self._socket is not None
        chunk = self._socket.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection mid-response")
        return chunk

    def _until(self, marker: bytes) -> bytes:
        """The bytes before ``marker``; what follows it stays pending."""
        buffered = bytearray(self._pending)
        while (found := buffered.find(marker)) < 0:
            buffered += self._receive()
        self._pending = bytes(buffered[found + len(marker) :])
        return bytes(buffered[:found])

    def _exactly(self, size: int) -> bytes:
        buffered = bytearray(self._pending)
        while len(buffered) < size:
            buffered += self._receive()
        self._pending = bytes(buffered[size:])
        return bytes(buffered[:size])

    def _chunked(self) -> bytes:
        parts = []
        while size := _number(self._until(b"\r\n").split(b";", 1)[0], base=16):
            parts.append(self._exactly(size))
            self._exactly(2)  # the CRLF after each chunk
        while self._until(b"\r\n"):  # trailer fields, up to the empty line
            pass
        return b"".join(parts)

    def _until_closed(self) -> bytes:
        assert self._socket is not None
        parts = [self._pending]
        while chunk := self._socket.recv(65536):
            parts.append(chunk)
        self._pending = b""
        return b"".join(parts)


def _number(text: str | bytes, base: int = 10) -> int:
    """A length from a response's framing; a malformed one fails as a broken connection."""
    try:
        return int(text, base)
    except ValueError:
        raise ConnectionError(f"not a length: {text[:40]!r}") from None


# One request of a load: given a client and the request's sequence number, its status.
Action = Callable[[Client, int], int]


def run_load(
    name: str,
    action: Action,
    *,
    requests: int,
    concurrency: int,
    make_client: Callable[[], Client],
    warmup: int = 0,
    max_seconds: float | None = None,
) -> Result:
    """Run ``action`` ``requests`` times from ``concurrency`` threads (after ``warmup``
    untimed calls on one client). With ``max_seconds``, no request starts after that long,
    so a slow endpoint ends with fewer requests instead of holding the run up."""
    if requests < 1 or concurrency < 1:
        raise ValueError("requests and concurrency must be positive")
    result = Result(name, concurrency=min(concurrency, requests))
    lock = threading.Lock()
    numbers = itertools.count()
    if warmup:
        client = make_client()
        for _ in range(warmup):
            action(client, -1)
        client.close()

    deadline = math.inf if max_seconds is None else time.perf_counter() + max_seconds

    def work() -> None:
        client = make_client()
        latencies, statuses = [], Counter[int]()
        try:
            while (number := next(numbers)) < requests and time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    status = action(client, number)
                except OSError:  # refused, reset, timed out, or not HTTP
                    status = 0
                elapsed = time.perf_counter() - started
                statuses[status] += 1
                if 0 < status < 400:
                    latencies.append(elapsed)
        finally:
            client.close()
            with lock:
                result.latencies += latencies
                result.statuses.update(statuses)

    threads = [threading.Thread(target=work, daemon=True) for _ in range(result.concurrency)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.wall = time.perf_counter() - began
    return result


# --- memory ------------------------------------------------------------------------------------


def children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: the ppid follows the last ")".
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def descendants(root: int) -> list[int]:
    tree, found, todo = children(), [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += tree.get(pid, [])
    return found


def rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def role(pid: int, parent_cmdline: str) -> str:
    command = cmdline(pid)
    if "gunicorn" in command:
        return "web worker" if "gunicorn" in parent_cmdline else "gunicorn master"
    if "helpline worker" in command or command.endswith(" worker"):
        return "task worker"
    return "other"


def role_pids(root: int, name: str) -> list[int]:
    """The processes under ``root`` whose ``role`` is ``name``."""
    tree = children()
    parents = {child: parent for parent, kids in tree.items() for child in kids}
    return [pid for pid in descendants(root) if role(pid, cmdline(parents.get(pid, 0))) == name]


class RssSampler:
    """Peak RSS per process under ``root``, sampled every ``interval`` seconds in a thread."""

    def __init__(self, root: int, interval: float = 0.2):
        self.root = root
        self.interval = interval
        self.peaks: dict[int, int] = {}
        self.roles: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RssSampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        tree = children()
        parents = {child: parent for parent, kids in tree.items() for child in kids}
        todo = [self.root]
        while todo:
            pid = todo.pop()
            todo += tree.get(pid, [])
            if pid not in self.roles:
                self.roles[pid] = role(pid, cmdline(parents.get(pid, 0)))
            self.peaks[pid] = max(self.peaks.get(pid, 0), rss_bytes(pid))

    def by_role(self) -> dict[str, list[int]]:
        """Peak RSS in bytes of each process, grouped by role, largest first."""
        grouped: dict[str, list[int]] = {}
        for pid, peak in self.peaks.items():
            if peak:
                grouped.setdefault(self.roles.get(pid, "other"), []).append(peak)
        return {name: sorted(values, reverse=True) for name, values in grouped.items()}


def speed_check(rounds: int = 3) -> float:
    """Milliseconds of CPU one core takes for a fixed pure-Python workload (dicts, strings,
    attribute calls: what a request spends most of its time on), the best of ``rounds``.

    This machine's speed changed by about 2x from one day to the next, with the same code
    and data. A report gives this figure with its measurements, so that runs of different
    days can be told apart from changes in the code: a CPU time per request scales with it."""

    class Row:
        def __init__(self, number: int) -> None:
            self.number, self.subject = number, f"Ticket {number}: printer jams"

        def label(self) -> str:
            return self.subject.replace("jams", "jammed").upper()

    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        seen: dict[str, int] = {}
        for number in range(60_000):
            row = Row(number)
            seen[row.label()[:12]] = seen.get(row.label()[:12], 0) + len(row.subject)
        best = min(best, time.process_time() - started)
    return round(best * 1000, 1)


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float:
    """User + system CPU time ``pid`` has used so far (0.0 if it cannot be read)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


class CpuMeter:
    """CPU time used by a changing set of processes between ``start`` and ``stop``.

    On a machine busy with other work, latency measures the queue for the CPU as much as the
    code; the CPU time the server spent per request does not depend on that."""

    def __init__(self, pids: Callable[[], list[int]]):
        self.pids = pids
        self.before: dict[int, float] = {}

    def start(self) -> None:
        self.before = {pid: cpu_seconds(pid) for pid in self.pids()}

    def stop(self) -> float:
        return sum(self.used().values())

    def used(self) -> dict[int, float]:
        """The CPU seconds each process has used since ``start``."""
        return {pid: max(cpu_seconds(pid) - self.before.get(pid, 0.0), 0.0) for pid in self.pids()}

    def stop_when_idle(self, *, quiet: float = 1.0, limit: float = 60.0) -> float:
        """``stop()`` once the processes have used no CPU for ``quiet`` seconds (they have
        done what was queued for them), or after ``limit`` seconds."""
        deadline = time.monotonic() + limit
        used = self.stop()
        while time.monotonic() < deadline:
            time.sleep(quiet)
            now = self.stop()
            if now - used < 0.01:
                return now
            used = now
        return used
