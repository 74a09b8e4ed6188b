"""Passwords are hashed with Argon2id at OWASP's parameters, and older hashes upgrade."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import check_password, make_password
from django.test.utils import override_settings

from helpline import settings as production
from helpline.accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _production_hashers():
    # The suite hashes with MD5 (helpline/conftest.py); these tests need the real list.
    with override_settings(PASSWORD_HASHERS=production.PASSWORD_HASHERS):
        yield


def test_a_new_password_is_argon2id_with_19_mib_2_passes_1_lane():
    encoded = make_password("correct horse battery")

    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert check_password("correct horse battery", encoded)
    assert not check_password("wrong horse battery", encoded)


def test_a_hash_with_djangos_default_parameters_verifies_and_is_rewritten_at_login(client):
    # What Helpline stored before: Django's Argon2 defaults (100 MiB, 2 passes, 8 lanes).
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.Argon2PasswordHasher"]):
        old = make_password("correct horse battery")
    assert "$m=102400,t=2,p=8$" in old
    user = User.objects.create(email="old@example.com", name="Old", password=old)

    assert client.login(username="old@example.com", password="correct horse battery")

    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert user.check_password("correct horse battery")
