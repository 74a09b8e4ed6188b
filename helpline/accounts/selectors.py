"""Reads for accounts."""

from __future__ import annotations

from helpline.accounts.models import User


def user_by_email(email: str) -> User | None:
    return User.objects.filter(email=email.strip().lower()).first()
