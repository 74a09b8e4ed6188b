"""Writes for accounts: API tokens."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.db import transaction

from helpline.accounts.models import ApiToken, User
from helpline.audit.services import audit_record
from helpline.core import clock
from helpline.core.errors import PermissionDenied


def api_token_issue(*, email: str, password: str, name: str = "") -> tuple[ApiToken, str]:
    """Check the credentials and issue a new token; return it with its raw key (shown once)."""
    user = authenticate(username=email.strip().lower(), password=password)
    if user is None or not isinstance(user, User) or not user.is_active:
        raise PermissionDenied("wrong email or password", code="invalid_credentials")
    raw = ApiToken.new_raw_key()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, key_hash=ApiToken.hash(raw), prefix=raw[:8], name=name[:100]
        )
        audit_record(actor=user, action="api_token.issue", obj=token, after={"prefix": raw[:8]})
    return token, raw


def api_token_revoke(*, actor: User, token: ApiToken) -> None:
    if token.user_id != actor.pk and not actor.is_admin:
        raise PermissionDenied("you may only revoke your own tokens")
    with transaction.atomic():
        updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=clock.now()
        )
        if updated:
            audit_record(actor=actor, action="api_token.revoke", obj=token)


def api_token_authenticate(raw: str) -> User | None:
    """The active user behind a raw bearer key, or None."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=ApiToken.hash(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = clock.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 300:
        # Written at most every five minutes so that reads stay reads.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def customer_get_or_create(*, email: str, name: str = "", actor: User | None = None) -> User:
    """The user with ``email``, created as a customer (no password, cannot log in) if new."""
    email = email.strip().lower()
    user = User.objects.filter(email=email).first()
    if user is not None:
        return user
    from django.core.exceptions import ValidationError as DjangoValidationError
    from django.core.validators import validate_email

    from helpline.core.errors import ValidationFailed

    try:
        validate_email(email)
    except DjangoValidationError:
        raise ValidationFailed(
            "not a valid email address", fields={"requester_email": "not a valid email address"}
        ) from None
    user = User.objects.create_user(email, None, name=name[:200])
    audit_record(actor=actor, action="user.create", obj=user, after={"email": email})
    return user
