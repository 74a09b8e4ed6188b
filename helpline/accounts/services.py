"""Writes for accounts: API tokens, customers made by mail, a person's own profile."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction

from helpline.accounts.models import ApiToken, User, language_choices
from helpline.audit.services import audit_record
from helpline.core import clock
from helpline.core.errors import PermissionDenied, ValidationFailed
from helpline.core.rows import RowReader


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


# Read on every API request: SQL written once (see helpline.core.rows); r0 is the user.
_ACTIVE_TOKEN = RowReader(
    ApiToken, "t.key_hash = %s AND t.revoked_at IS NULL AND r0.is_active = %s", related=("user",)
)


def api_token_authenticate(raw: str) -> User | None:
    """The active user behind a raw bearer key, or None."""
    token = _ACTIVE_TOKEN.one(ApiToken.hash(raw), True)
    if token is None:
        return None
    now = clock.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 300:
        # Written at most every five minutes so that reads stay reads.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def customer_email(email: str) -> str:
    """``email`` as people are stored under it (trimmed, lower case); ValidationFailed (on
    the field ``requester_email``) when it is not an email address."""
    email = email.strip().lower()
    try:
        validate_email(email)
    except DjangoValidationError:
        raise ValidationFailed(
            "not a valid email address", fields={"requester_email": "not a valid email address"}
        ) from None
    return email


def customer_get_or_create(*, email: str, name: str = "", actor: User | None = None) -> User:
    """The user with ``email``, created as a customer (no password, cannot log in) if new."""
    email = email.strip().lower()
    user = User.objects.filter(email=email).first()
    if user is not None:
        return user
    email = customer_email(email)
    user = User.objects.create_user(email, None, name=name[:200])
    audit_record(actor=actor, action="user.create", obj=user, after={"email": email})
    return user


PROFILE_FIELDS = ("name", "language")


def user_update_profile(
    *, actor: User, user: User, name: str | None = None, language: str | None = None
) -> User:
    """Change a person's own name or language (an admin may change anyone's); None leaves a
    field as it is. The language picks the mail templates Helpline uses for them.

    Raises ValidationFailed (nothing changed) for an empty or over-long name, a language
    this instance does not offer, or nothing to change; PermissionDenied for someone
    else's profile."""
    if actor.pk != user.pk and not actor.is_admin:
        raise PermissionDenied("you may only change your own profile")
    changes: dict[str, str] = {}
    errors: dict[str, str] = {}
    if name is not None:
        name = " ".join(name.split())
        max_length = User._meta.get_field("name").max_length or 200
        if not name:
            errors["name"] = "enter a name"
        elif len(name) > max_length:
            errors["name"] = f"at most {max_length} characters"
        else:
            changes["name"] = name
    if language is not None:
        offered = dict(language_choices())
        if language not in offered:
            errors["language"] = "choose one of: " + ", ".join(sorted(offered))
        else:
            changes["language"] = language
    if errors:
        raise ValidationFailed(
            "; ".join(f"{field}: {message}" for field, message in errors.items()), fields=errors
        )
    if name is None and language is None:
        raise ValidationFailed("nothing to change: send a name or a language")
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        before = {field: getattr(locked, field) for field in changes}
        changed = [field for field, value in changes.items() if before[field] != value]
        if changed:
            for field in changed:
                setattr(locked, field, changes[field])
            locked.save(update_fields=changed)
            audit_record(
                actor=actor,
                action="user.profile_update",
                obj=locked,
                before={field: before[field] for field in changed},
                after={field: changes[field] for field in changed},
            )
    for field in PROFILE_FIELDS:
        setattr(user, field, getattr(locked, field))
    return locked
