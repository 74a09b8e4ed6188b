"""The authentication backend: Django's ModelBackend, reading the signed-in user of each web
request by SQL written once (``helpline.core.rows``) instead of compiling the ORM's query each
time. Signing in, permissions and the inactive-user rule are ModelBackend's."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from helpline.accounts.models import User
from helpline.core.rows import RowReader

_USER = RowReader(User, "t.id = %s")


class UserBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:  # type: ignore[override]
        """The active user with the primary key ``user_id`` (already converted by Django from
        the session), or None: as ModelBackend answers, in one statement."""
        user = _USER.one(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
