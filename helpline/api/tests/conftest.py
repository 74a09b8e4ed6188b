from __future__ import annotations

from typing import Any

import pytest

from helpline import factories
from helpline.accounts.models import User
from helpline.accounts.services import api_token_issue

API = "/api/v1"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Argon2 costs ~0.1-0.5 s a hash and every Desk creates nine users: MD5 keeps the suite
    fast. What is under test here is the API, not the hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
