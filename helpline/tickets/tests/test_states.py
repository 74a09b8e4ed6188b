"""The lifecycle table, checked cell by cell against the design. No database."""

from __future__ import annotations

import itertools

import pytest

from helpline.tickets.states import (
    Action,
    Status,
    TransitionError,
    allowed_actions,
    can,
    next_status,
)

S, A = Status, Action

# Written out from DESIGN.md, not copied from states.TRANSITIONS, so a change to the table
# shows up here as a failing cell.
EXPECTED: dict[tuple[Status, Action], Status] = {
    (S.NEW, A.OPEN): S.OPEN,
    (S.NEW, A.CUSTOMER_REPLY): S.NEW,
    (S.OPEN, A.PEND): S.PENDING,
    (S.OPEN, A.HOLD): S.ON_HOLD,
    (S.OPEN, A.RESOLVE): S.RESOLVED,
    (S.OPEN, A.CUSTOMER_REPLY): S.OPEN,
    (S.PENDING, A.RESUME): S.OPEN,
    (S.PENDING, A.RESOLVE): S.RESOLVED,
    (S.PENDING, A.CUSTOMER_REPLY): S.OPEN,
    (S.ON_HOLD, A.RESUME): S.OPEN,
    (S.ON_HOLD, A.CUSTOMER_REPLY): S.ON_HOLD,
    (S.RESOLVED, A.REOPEN): S.OPEN,
    (S.RESOLVED, A.CLOSE): S.CLOSED,
    (S.RESOLVED, A.CUSTOMER_REPLY): S.OPEN,
}

ALL_PAIRS = list(itertools.product(Status, Action))
ALLOWED = [pair for pair in ALL_PAIRS if pair in EXPECTED]
REFUSED = [pair for pair in ALL_PAIRS if pair not in EXPECTED]


def _id(pair: tuple[Status, Action]) -> str:
    return f"{pair[0].value}-{pair[1].value}"


@pytest.mark.parametrize("pair", ALLOWED, ids=_id)
def test_an_allowed_action_gives_the_expected_next_status(pair):
    status, action = pair
    assert next_status(status, action) is EXPECTED[pair]
    assert can(status, action)


@pytest.mark.parametrize("pair", ALLOWED, ids=_id)
def test_next_status_accepts_plain_strings(pair):
    status, action = pair
    assert next_status(status.value, action.value) is EXPECTED[pair]


@pytest.mark.parametrize("pair", REFUSED, ids=_id)
def test_a_refused_action_raises_transition_error(pair):
    status, action = pair
    with pytest.raises(TransitionError) as raised:
        next_status(status, action)
    assert raised.value.status is status
    assert raised.value.action is action
    assert status.label in str(raised.value)
    assert not can(status, action)


def test_the_cross_product_is_fully_covered():
    assert len(ALLOWED) + len(REFUSED) == len(Status) * len(Action)
    assert len(ALLOWED) == len(EXPECTED)


@pytest.mark.parametrize("status", list(Status), ids=str)
def test_allowed_actions_lists_exactly_the_allowed_cells(status):
    expected = {action for (source, action) in EXPECTED if source is status}
    assert allowed_actions(status) == expected
    assert allowed_actions(status.value) == expected


def test_a_closed_ticket_allows_nothing():
    assert allowed_actions(Status.CLOSED) == frozenset()


def test_a_customer_reply_on_pending_moves_it_back_to_open():
    assert next_status(Status.PENDING, Action.CUSTOMER_REPLY) is Status.OPEN


def test_a_customer_reply_on_resolved_reopens_it():
    assert next_status(Status.RESOLVED, Action.CUSTOMER_REPLY) is Status.OPEN


@pytest.mark.parametrize(
    ("status", "action"), [("nonsense", "open"), ("open", "nonsense")], ids=["status", "action"]
)
def test_unknown_names_raise_value_error(status, action):
    with pytest.raises(ValueError):
        next_status(status, action)


@pytest.mark.parametrize(
    ("status", "label"), [(S.NEW, "New"), (S.ON_HOLD, "On hold"), (S.RESOLVED, "Resolved")]
)
def test_status_labels_read_as_words(status, label):
    assert status.label == label


def _reachable(start: Status) -> set[Status]:
    seen, todo = {start}, [start]
    while todo:
        status = todo.pop()
        for action in allowed_actions(status):
            target = next_status(status, action)
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def test_every_status_is_reachable_from_new():
    assert _reachable(Status.NEW) == set(Status)


@pytest.mark.parametrize("status", [s for s in Status if s is not Status.CLOSED], ids=str)
def test_every_open_status_can_still_reach_closed(status):
    assert Status.CLOSED in _reachable(status)
