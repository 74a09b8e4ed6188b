"""Reads for accounts."""

from __future__ import annotations

from helpline.accounts.models import User


def user_by_email(email: str) -> User | None:
    return User.objects.filter(email=email.strip().lower()).first()


SYSTEM_EMAIL = "system@helpline.invalid"


def system_user() -> User:
    """The actor of automatic changes (sweeps, rules). Has no usable password, so it cannot
    log in; it is active so that permission checks treat it as the admin it acts as."""
    user, _ = User.objects.get_or_create(
        email=SYSTEM_EMAIL,
        defaults={"name": "Helpline", "role": "admin", "is_active": True, "password": "!"},
    )
    return user
