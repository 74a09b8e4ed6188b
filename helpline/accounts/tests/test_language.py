"""Each user has a language (for the mail Helpline sends them), one of settings.LANGUAGES."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from helpline import factories
from helpline.accounts.models import User


def test_a_new_user_speaks_the_sites_default_language(db, settings):
    settings.LANGUAGE_CODE = "en"
    assert factories.customer().language == "en"


def test_the_default_language_follows_the_setting(db, settings):
    settings.LANGUAGE_CODE = "da"
    assert factories.customer().language == "da"


def test_a_language_outside_settings_languages_is_refused(db, settings):
    settings.LANGUAGES = [("en", "English"), ("da", "Danish")]
    user = factories.customer()
    user.language = "xx"
    with pytest.raises(ValidationError) as error:
        user.full_clean()
    assert "language" in error.value.message_dict
    user.language = "da"
    user.full_clean()


def test_the_language_choices_are_read_from_settings_when_asked(settings):
    settings.LANGUAGES = [("en", "English"), ("da", "Danish")]
    assert User._meta.get_field("language").choices == [("en", "English"), ("da", "Danish")]


def test_an_admin_sets_a_users_language_in_the_django_admin(desk, client):
    client.force_login(desk.admin)
    url = f"/admin/accounts/user/{desk.customer.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="language"' in page.content.decode()
    user = desk.customer
    response = client.post(
        url,
        {
            "email": user.email,
            "name": user.name,
            "phone": "",
            "timezone": user.timezone,
            "language": "da",
            "role": user.role,
            "organization": user.organization_id or "",
            "is_active": "on",
            "availability": user.availability,
            "capacity": "",
            "support_level": "",
            "away_until_0": "",
            "away_until_1": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user.refresh_from_db()
    assert user.language == "da"
