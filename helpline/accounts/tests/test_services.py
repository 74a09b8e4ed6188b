"""Account writes: API tokens and customers created on behalf of agents."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from helpline import factories
from helpline.accounts.models import ApiToken, Role, User
from helpline.accounts.services import (
    api_token_authenticate,
    api_token_issue,
    api_token_revoke,
    customer_get_or_create,
)
from helpline.audit.models import AuditEvent
from helpline.core import clock
from helpline.core.errors import PermissionDenied, ValidationFailed

# --- issue ---------------------------------------------------------------------------------


def test_issuing_a_token_stores_only_its_hash(db):
    user = factories.agent()
    token, raw = api_token_issue(email=user.email, password=factories.PASSWORD, name="ci")
    assert token.user == user
    assert token.key_hash == ApiToken.hash(raw) != raw
    assert token.prefix == raw[:8]
    assert token.name == "ci"
    assert not ApiToken.objects.filter(key_hash=raw).exists()


def test_issuing_a_token_is_audited_without_the_key(db):
    user = factories.customer()
    token, raw = api_token_issue(email=f"  {user.email.upper()} ", password=factories.PASSWORD)
    event = AuditEvent.objects.get(action="api_token.issue")
    assert (event.actor, event.object_id) == (user, str(token.pk))
    assert event.changes == {"prefix": [None, raw[:8]]}
    assert raw not in str(event.changes)


@pytest.mark.parametrize("case", ["wrong-password", "unknown-email", "inactive"])
def test_issuing_refuses_bad_credentials_and_writes_nothing(db, case):
    user = factories.agent(is_active=case != "inactive")
    email = "nobody@example.com" if case == "unknown-email" else user.email
    password = "wrong" if case == "wrong-password" else factories.PASSWORD
    with pytest.raises(PermissionDenied) as raised:
        api_token_issue(email=email, password=password)
    assert raised.value.code == "invalid_credentials"
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.exists()


# --- authenticate --------------------------------------------------------------------------


def test_a_raw_key_authenticates_its_user(db):
    user = factories.agent()
    _, raw = api_token_issue(email=user.email, password=factories.PASSWORD)
    assert api_token_authenticate(raw) == user


@pytest.mark.parametrize("case", ["unknown", "revoked", "inactive-user"])
def test_a_key_that_is_not_valid_authenticates_nobody(db, case):
    user = factories.agent()
    token, raw = api_token_issue(email=user.email, password=factories.PASSWORD)
    if case == "unknown":
        raw = ApiToken.new_raw_key()
    elif case == "revoked":
        api_token_revoke(actor=user, token=token)
    else:
        User.objects.filter(pk=user.pk).update(is_active=False)
    assert api_token_authenticate(raw) is None


def test_last_use_is_written_at_most_every_five_minutes(db):
    user = factories.agent()
    token, raw = api_token_issue(email=user.email, password=factories.PASSWORD)
    start = clock.now()
    with time_machine.travel(start, tick=False):
        api_token_authenticate(raw)
    with time_machine.travel(start + timedelta(minutes=4), tick=False):
        api_token_authenticate(raw)
    token.refresh_from_db()
    assert token.last_used_at == start
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        api_token_authenticate(raw)
    token.refresh_from_db()
    assert token.last_used_at == start + timedelta(minutes=6)


# --- revoke --------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "admin"])
def test_a_token_is_revoked_by_its_owner_or_an_admin(db, who):
    user = factories.agent()
    token, _ = api_token_issue(email=user.email, password=factories.PASSWORD)
    actor = user if who == "owner" else factories.admin()
    api_token_revoke(actor=actor, token=token)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.get(action="api_token.revoke").actor == actor


def test_someone_elses_token_cannot_be_revoked(db):
    user = factories.agent()
    token, _ = api_token_issue(email=user.email, password=factories.PASSWORD)
    with pytest.raises(PermissionDenied):
        api_token_revoke(actor=factories.agent(), token=token)
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoking_twice_keeps_the_first_time_and_audits_once(db):
    user = factories.agent()
    token, _ = api_token_issue(email=user.email, password=factories.PASSWORD)
    api_token_revoke(actor=user, token=token)
    token.refresh_from_db()
    first = token.revoked_at
    api_token_revoke(actor=user, token=token)
    token.refresh_from_db()
    assert token.revoked_at == first
    assert AuditEvent.objects.filter(action="api_token.revoke").count() == 1


# --- customers -----------------------------------------------------------------------------


def test_an_unknown_email_becomes_a_customer_who_cannot_log_in(db):
    agent = factories.agent()
    user = customer_get_or_create(email=" Pat@Example.COM ", name="Pat", actor=agent)
    assert (user.email, user.name, user.role) == ("pat@example.com", "Pat", Role.CUSTOMER)
    assert not user.has_usable_password()
    event = AuditEvent.objects.get(action="user.create")
    assert (event.actor, event.changes) == (agent, {"email": [None, "pat@example.com"]})


def test_a_known_email_returns_the_existing_user_unchanged(db):
    existing = factories.agent(email="sam@example.com", name="Sam")
    assert customer_get_or_create(email="SAM@example.com", name="Other") == existing
    existing.refresh_from_db()
    assert (existing.name, existing.role) == ("Sam", Role.AGENT)
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("email", ["", "   ", "not-an-address", "a@", "@example.com"])
def test_an_invalid_email_is_refused(db, email):
    with pytest.raises(ValidationFailed) as raised:
        customer_get_or_create(email=email)
    assert "requester_email" in raised.value.fields
    assert not User.objects.filter(role=Role.CUSTOMER).exists()
