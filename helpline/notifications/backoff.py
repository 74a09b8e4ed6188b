"""When to try a failed side effect (a mail, a webhook) again. Pure: no ORM."""

from __future__ import annotations

from datetime import timedelta

BASE = timedelta(minutes=1)
FACTOR = 5
CAP = timedelta(hours=12)


def retry_delay(attempts: int, max_attempts: int) -> timedelta | None:
    """How long to wait after the ``attempts``-th failed attempt: 1, 5, 25, 125 … minutes
    (at most 12 hours), or None when ``max_attempts`` are used up and it is time to give up."""
    if attempts >= max_attempts:
        return None
    return min(BASE * FACTOR ** max(attempts - 1, 0), CAP)
