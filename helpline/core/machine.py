"""Facts about the machine that choose defaults (no Django: the benchmark runner reads them)."""

from __future__ import annotations

import os


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_web_workers() -> int:
    """``helpline serve``'s web workers: two single-threaded ones per core (its module says
    why)."""
    return 2 * cores()
