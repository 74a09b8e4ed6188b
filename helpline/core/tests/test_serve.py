"""``helpline serve`` as ``make run`` starts it: a real gunicorn on a free loopback port."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpline.bench.runner import free_port

ROOT = Path(__file__).resolve().parents[3]


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "HELPLINE_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "helpline.settings",
        "DEBUG": "false",
        "SECRET_KEY": "helpline-test-serve-" + "x" * 40,
        "LOG_LEVEL": "WARNING",
    }


def _serve(tmp_path: Path, *args: str, worker: bool = False) -> Iterator[int]:
    port = free_port()
    env = _env(tmp_path)
    env.pop("WEB_KEEPALIVE", None)
    env.pop("WORKER_NICE", None)
    command = [sys.executable, "-m", "helpline", "serve", "--workers", "1"]
    if not worker:
        command.append("--no-worker")
    process = subprocess.Popen(
        [*command, "--bind", f"127.0.0.1:{port}", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, "helpline serve exited"
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _health(port: int) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/api/v1/health")
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


@pytest.fixture
def default_server(tmp_path: Path) -> Iterator[int]:
    yield from _serve(tmp_path)


@pytest.fixture
def keep_alive_server(tmp_path: Path) -> Iterator[int]:
    yield from _serve(tmp_path, "--keep-alive", "5")


def test_serve_closes_each_connection_after_its_response_by_default(default_server: int):
    # A kept-alive connection would stay with the worker that accepted it (see serve.py).
    response = _health(default_server)
    assert response.status == 200
    assert response.getheader("Connection", "").lower() == "close"


def test_serve_keeps_connections_alive_when_asked(keep_alive_server: int):
    response = _health(keep_alive_server)
    assert response.status == 200
    assert response.getheader("Connection", "").lower() != "close"


def _niceness(pid: int) -> int:
    # /proc/<pid>/stat: the 19th field is the nice value (after "pid (comm)", which may hold
    # spaces, so count from the closing parenthesis).
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return int(fields[16])


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:  # the process ended while we looked
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_serve_runs_its_worker_at_a_lower_cpu_priority_than_the_web_server(tmp_path: Path):
    # Requests are answered first under load; the worker's mail waits for an idle core.
    subprocess.run(
        [sys.executable, "-m", "helpline", "migrate", "-v0"],
        cwd=ROOT, env=_env(tmp_path), check=True,
    )  # fmt: skip
    serving = _serve(tmp_path, worker=True)
    port = next(serving)
    try:
        assert _health(port).status == 200
        serve = next(
            pid for pid in map(int, filter(str.isdigit, os.listdir("/proc")))
            if f"127.0.0.1:{port}".encode() in _cmdline(pid) and b"serve" in _cmdline(pid)
        )  # fmt: skip
        roles = {b"gunicorn" in _cmdline(pid): pid for pid in _children(serve)}
        own = _niceness(os.getpid())
        deadline = time.monotonic() + 60  # the worker lowers its priority once it has started
        while _niceness(roles[False]) == own and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _niceness(roles[True]) == own  # the web server
        assert _niceness(roles[False]) == min(own + 10, 19)  # the worker
    finally:
        next(serving, None)


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def test_serve_refuses_a_worker_priority_outside_nice_range():
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="between 0 and 19"):
        call_command("serve", worker_nice=20)


def test_worker_refuses_a_priority_outside_nice_range():
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="between 0 and 19"):
        call_command("worker", nice=-1)


def test_the_web_application_collects_garbage_less_often_than_python_by_default():
    import gc
    import importlib

    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        import helpline.wsgi

        importlib.reload(helpline.wsgi)
        assert gc.get_threshold() == helpline.wsgi.GC_THRESHOLDS == (10_000, 20, 20)
    finally:
        gc.set_threshold(*before)


def test_serve_runs_two_single_threaded_web_workers_per_core_unless_told(monkeypatch):
    from helpline.core.management.commands.serve import Command

    monkeypatch.delenv("WEB_WORKERS", raising=False)
    monkeypatch.delenv("WEB_THREADS", raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)

    def options() -> tuple[int, int]:
        parsed = Command().create_parser("helpline", "serve").parse_args([])
        return parsed.workers, parsed.threads

    assert options() == (6, 1)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(16)), raising=False)
    assert options() == (8, 1)  # at most eight unless told
    monkeypatch.setenv("WEB_WORKERS", "3")
    monkeypatch.setenv("WEB_THREADS", "2")
    assert options() == (3, 2)
