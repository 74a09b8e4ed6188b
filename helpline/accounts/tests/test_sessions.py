"""The session store and the authentication backend read by SQL written once, and answer as
Django's database sessions and ModelBackend do."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user
from django.contrib.sessions.models import Session
from django.test import RequestFactory
from django.utils import timezone

from helpline import factories
from helpline.accounts.backends import UserBackend
from helpline.accounts.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_a_saved_session_is_read_back_with_its_data():
    session = SessionStore()
    session["answer"] = 42
    session.save()

    again = SessionStore(session.session_key)

    assert again["answer"] == 42
    assert again.session_key == session.session_key


def test_an_expired_session_reads_as_empty_and_its_key_is_dropped():
    session = SessionStore()
    session["answer"] = 42
    session.save()
    Session.objects.filter(session_key=session.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )

    again = SessionStore(session.session_key)

    assert again.load() == {}
    assert again.session_key is None


@pytest.mark.parametrize("key", ["unknownkeyunknownkey", "short", ""])
def test_an_unknown_or_malformed_session_key_reads_as_empty(key):
    session = SessionStore(key)

    assert session.load() == {}
    assert session.session_key is None


def test_the_backend_reads_an_active_user_and_refuses_an_inactive_or_missing_one():
    user = factories.customer()
    backend = UserBackend()

    found = backend.get_user(user.pk)
    assert found == user and found.email == user.email and not found._state.adding

    user.is_active = False
    user.save(update_fields=["is_active"])
    assert backend.get_user(user.pk) is None
    assert backend.get_user(user.pk + 1000) is None


def test_a_signed_in_request_gets_its_user_and_a_logged_out_one_does_not(client):
    user = factories.customer()
    client.force_login(user)
    request = RequestFactory().get("/")
    request.session = SessionStore(client.cookies["sessionid"].value)

    assert get_user(request) == user

    client.post("/logout/")
    request.session = SessionStore(client.cookies["sessionid"].value)
    assert get_user(request).is_anonymous


def test_a_password_change_elsewhere_ends_the_session(client):
    user = factories.customer()
    client.force_login(user)
    user.set_password("a new password entirely")
    user.save(update_fields=["password"])

    request = RequestFactory().get("/")
    request.session = SessionStore(client.cookies["sessionid"].value)

    assert get_user(request).is_anonymous
