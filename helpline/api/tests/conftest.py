from __future__ import annotations

from typing import Any

import pytest

from helpline import factories
from helpline.accounts.models import User
from helpline.accounts.services import api_token_issue

API = "/api/v1"


def bearer(user: User) -> dict[str, str]:
    """Headers for the test client: a fresh token for ``user``, issued through the service."""
    _, raw = api_token_issue(email=user.email, password=factories.PASSWORD)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def error_of(response: Any) -> dict[str, Any]:
    """The error object of a JSON error response; fails unless it has the documented shape."""
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    error = response.json()["error"]
    assert isinstance(error["code"], str) and isinstance(error["message"], str)
    return error


@pytest.fixture
def resolved_ticket(desk: factories.Desk) -> Any:
    """A ticket of desk.customer, worked and resolved by level one."""
    from helpline.tickets import services

    ticket = desk.ticket()
    services.ticket_take(actor=desk.l1, ticket=ticket)
    return services.ticket_transition(
        actor=desk.l1,
        ticket=ticket,
        action="resolve",
        resolution=services.Resolution(problem_identified="cable", action_taken="plugged in"),
    )
