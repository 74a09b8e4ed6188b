"""Reads for accounts."""

from __future__ import annotations

from helpline.accounts.models import User
from helpline.core.rows import RowReader

# Read for every message mail brings in; see helpline.core.rows for why not through the ORM.
_USER_BY_EMAIL = RowReader(User, "t.email = %s")


def user_by_email(email: str) -> User | None:
    return _USER_BY_EMAIL.one(email.strip().lower())


SYSTEM_EMAIL = "system@helpline.invalid"


def system_user() -> User:
    """The actor of automatic changes (sweeps, rules). Has no usable password, so it cannot
    log in; it is active so that permission checks treat it as the admin it acts as."""
    user, _ = User.objects.get_or_create(
        email=SYSTEM_EMAIL,
        defaults={"name": "Helpline", "role": "admin", "is_active": True, "password": "!"},
    )
    return user
