"""The ticket lifecycle as a pure transition table. No ORM here.

new ──open──▶ open ◀──resume── pending / on_hold
              open ──pend──▶ pending   (waiting on the customer: the SLA clock pauses)
              open ──hold──▶ on_hold   (waiting on a third party)
open/pending ──resolve──▶ resolved     (needs a resolution record)
    resolved ──reopen──▶ open          (the customer says it is not fixed)
    resolved ──close──▶ closed         (confirmed, or automatically after N days)
a customer reply moves pending (and resolved) back to open; closed is final.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    ON_HOLD = "on_hold"
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return _LABELS.get(self.value, self.value.replace("_", " ").capitalize())


_LABELS = {"on_hold": "On hold"}


class Action(StrEnum):
    OPEN = "open"  # an agent starts work: take, first reply
    PEND = "pend"
    HOLD = "hold"
    RESUME = "resume"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    CLOSE = "close"
    CUSTOMER_REPLY = "customer_reply"


class TicketType(StrEnum):
    INCIDENT = "incident"
    SERVICE_REQUEST = "service_request"

    @property
    def label(self) -> str:
        return "Incident" if self is TicketType.INCIDENT else "Service request"


class Priority(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def rank(self) -> int:
        """0 for critical up to 3 for low: sorts most urgent first."""
        return list(Priority).index(self)


class Level(StrEnum):
    """Impact and urgency."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Channel(StrEnum):
    WEB = "web"
    EMAIL = "email"
    API = "api"
    PHONE = "phone"
    CHAT = "chat"

    @property
    def label(self) -> str:
        return self.value.upper() if self is Channel.API else self.value.capitalize()


def choices(enum: type[StrEnum]) -> list[tuple[str, str]]:
    """Django-style (value, label) pairs for a StrEnum."""
    return [(member.value, getattr(member, "label", member.value)) for member in enum]


TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (Status.NEW, Action.OPEN): Status.OPEN,
    (Status.NEW, Action.CUSTOMER_REPLY): Status.NEW,
    (Status.OPEN, Action.PEND): Status.PENDING,
    (Status.OPEN, Action.HOLD): Status.ON_HOLD,
    (Status.OPEN, Action.RESOLVE): Status.RESOLVED,
    (Status.OPEN, Action.CUSTOMER_REPLY): Status.OPEN,
    (Status.PENDING, Action.RESUME): Status.OPEN,
    (Status.PENDING, Action.CUSTOMER_REPLY): Status.OPEN,
    (Status.PENDING, Action.RESOLVE): Status.RESOLVED,
    (Status.ON_HOLD, Action.RESUME): Status.OPEN,
    (Status.ON_HOLD, Action.CUSTOMER_REPLY): Status.ON_HOLD,
    (Status.RESOLVED, Action.REOPEN): Status.OPEN,
    (Status.RESOLVED, Action.CLOSE): Status.CLOSED,
    (Status.RESOLVED, Action.CUSTOMER_REPLY): Status.OPEN,
}

# Work-in-progress statuses: the ticket still needs the desk (or the customer) to act.
ACTIVE = frozenset({Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD})
# Statuses in which the SLA clock does not run by default.
PAUSED = frozenset({Status.PENDING})
# Actions a customer may take on their own ticket.
CUSTOMER_ACTIONS = frozenset({Action.REOPEN, Action.CLOSE, Action.CUSTOMER_REPLY})


class TransitionError(ValueError):
    def __init__(self, status: Status, action: Action) -> None:
        super().__init__(f"cannot {action.value.replace('_', ' ')} a ticket that is {status.label}")
        self.status = status
        self.action = action


def next_status(status: Status | str, action: Action | str) -> Status:
    """The status after ``action``; raises TransitionError if the table does not allow it."""
    status, action = Status(status), Action(action)
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise TransitionError(status, action) from None


def allowed_actions(status: Status | str) -> frozenset[Action]:
    status = Status(status)
    return frozenset(action for (source, action) in TRANSITIONS if source is status)


def can(status: Status | str, action: Action | str) -> bool:
    return (Status(status), Action(action)) in TRANSITIONS
