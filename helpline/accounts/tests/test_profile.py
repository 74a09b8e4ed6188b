"""A person changes their own name and language: through the service, the API's PATCH /me
and the web profile page. Bad input is refused and changes nothing."""

from __future__ import annotations

import pytest

from helpline.accounts.models import User
from helpline.accounts.services import user_update_profile
from helpline.api.tests.conftest import API, bearer, error_of
from helpline.audit.models import AuditEvent
from helpline.core.errors import PermissionDenied, ValidationFailed

LANGUAGES = [("en", "English"), ("da", "Danish")]


@pytest.fixture(autouse=True)
def _two_languages(settings):
    settings.LANGUAGES = LANGUAGES


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


def test_a_customer_changes_their_language_and_it_is_audited(desk):
    user_update_profile(actor=desk.customer, user=desk.customer, language="da")

    assert fresh(desk.customer).language == "da"
    event = AuditEvent.objects.get(action="user.profile_update", object_id=str(desk.customer.pk))
    assert event.changes == {"language": ["en", "da"]}


def test_a_name_is_trimmed_and_its_inner_spaces_collapsed(desk):
    user_update_profile(actor=desk.l1, user=desk.l1, name="  Ada   Lovelace ")

    assert fresh(desk.l1).name == "Ada Lovelace"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"language": "xx", "name": "Carol C"}, "language"),
        ({"name": "   ", "language": "da"}, "name"),
        ({"name": "x" * 201, "language": "da"}, "name"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(desk, changes, field):
    """A bad field fails the whole change: the good field beside it is not saved either."""
    before = fresh(desk.customer)

    with pytest.raises(ValidationFailed) as error:
        user_update_profile(actor=desk.customer, user=desk.customer, **changes)

    assert field in error.value.fields
    after = fresh(desk.customer)
    assert (after.name, after.language) == (before.name, before.language)
    assert not AuditEvent.objects.filter(action="user.profile_update").exists()


def test_nothing_to_change_is_refused(desk):
    with pytest.raises(ValidationFailed, match="nothing to change"):
        user_update_profile(actor=desk.customer, user=desk.customer)


def test_only_an_admin_may_change_someone_elses_profile(desk):
    with pytest.raises(PermissionDenied):
        user_update_profile(actor=desk.l1, user=desk.customer, language="da")
    assert fresh(desk.customer).language == "en"

    user_update_profile(actor=desk.admin, user=desk.customer, language="da")
    assert fresh(desk.customer).language == "da"


def test_patch_me_changes_the_callers_language_and_returns_it(client, desk):
    response = client.patch(
        f"{API}/me", '{"language": "da"}', content_type="application/json", **bearer(desk.customer)
    )

    assert response.status_code == 200
    assert response.json()["language"] == "da"
    assert fresh(desk.customer).language == "da"


@pytest.mark.parametrize(
    "body", ['{"language": "xx"}', '{"name": ""}', '{"role": "admin"}', "{}", '{"language": 3}']
)
def test_patch_me_with_bad_input_is_a_400_and_changes_nothing(client, desk, body):
    before = fresh(desk.customer)

    response = client.patch(
        f"{API}/me", body, content_type="application/json", **bearer(desk.customer)
    )

    assert response.status_code == 400, response.content
    assert error_of(response)["message"]
    after = fresh(desk.customer)
    assert (after.name, after.language, after.role) == (before.name, before.language, before.role)


def test_the_profile_page_saves_the_name_and_language(client, desk):
    client.force_login(desk.l2)
    page = client.get("/account/")
    assert page.status_code == 200
    assert b'<option value="da">Danish</option>' in page.content

    response = client.post("/account/", {"name": "Level Two B", "language": "da"})

    assert response.status_code == 302
    assert (fresh(desk.l2).name, fresh(desk.l2).language) == ("Level Two B", "da")


def test_the_profile_page_refuses_an_unknown_language_with_a_400_form(client, desk):
    client.force_login(desk.customer)

    response = client.post("/account/", {"name": "Carol", "language": "xx"})

    assert response.status_code == 400
    assert b"Select a valid choice" in response.content
    assert fresh(desk.customer).language == "en"


def test_the_profile_page_needs_a_login(client, db):
    response = client.get("/account/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]
