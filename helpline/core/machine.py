"""Facts about the machine that choose defaults (no Django: the benchmark runner reads them)."""

from __future__ import annotations

import os


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


MAX_DEFAULT_WEB_WORKERS = 8


def default_web_workers() -> int:
    """``helpline serve``'s web workers: two single-threaded ones per core (its module says
    why), at most eight (~1 GB at 1M tickets), so that ``make run`` on a many-core laptop does
    not start dozens; ``WEB_WORKERS`` sets more."""
    return min(2 * cores(), MAX_DEFAULT_WEB_WORKERS)
