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


def _serve(tmp_path: Path, *args: str) -> Iterator[int]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "HELPLINE_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "helpline.settings",
        "DEBUG": "false",
        "SECRET_KEY": "helpline-test-serve-" + "x" * 40,
        "LOG_LEVEL": "WARNING",
    }
    env.pop("WEB_KEEPALIVE", None)
    command = [sys.executable, "-m", "helpline", "serve", "--no-worker", "--workers", "1"]
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
