import pytest
from django.test import Client

from helpline import factories
from helpline.accounts.models import ApiToken
from helpline.api.tests.conftest import API, bearer, error_of


def test_token_is_issued_for_correct_credentials_and_authenticates_later_calls(client, desk):
    response = client.post(
        f"{API}/auth/token",
        {"email": desk.customer.email.upper(), "password": factories.PASSWORD},
        content_type="application/json",
    )

    assert response.status_code == 201
    token = response.json()["token"]
    me = client.get(f"{API}/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert me.status_code == 200
    assert me.json()["email"] == desk.customer.email


def test_only_the_hash_of_an_issued_token_is_stored(client, desk):
    response = client.post(
        f"{API}/auth/token",
        {"email": desk.customer.email, "password": factories.PASSWORD},
        content_type="application/json",
    )

    token = response.json()["token"]
    stored = ApiToken.objects.get(user=desk.customer)
    assert stored.key_hash == ApiToken.hash(token)
    assert token not in stored.key_hash


@pytest.mark.parametrize(
    "credentials",
    [
        {"email": "customer@example.com", "password": "wrong"},
        {"email": "nobody@example.com", "password": factories.PASSWORD},
    ],
    ids=["wrong password", "unknown email"],
)
def test_bad_credentials_are_refused_with_401_invalid_credentials(client, desk, credentials):
    desk.customer.email = "customer@example.com"
    desk.customer.save()

    response = client.post(f"{API}/auth/token", credentials, content_type="application/json")

    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_credentials"
    assert not ApiToken.objects.exists()


def test_an_inactive_user_cannot_get_a_token(client, desk):
    desk.customer.is_active = False
    desk.customer.save()

    response = client.post(
        f"{API}/auth/token",
        {"email": desk.customer.email, "password": factories.PASSWORD},
        content_type="application/json",
    )

    assert response.status_code == 401


def test_a_token_request_without_password_names_the_missing_field(client, desk):
    response = client.post(
        f"{API}/auth/token", {"email": desk.customer.email}, content_type="application/json"
    )

    assert response.status_code == 400
    assert error_of(response)["fields"] == {"password": "Field required"}


def test_deleting_the_token_revokes_the_token_used_and_only_that_one(client, desk):
    used = bearer(desk.customer)
    other = bearer(desk.customer)

    response = client.delete(f"{API}/auth/token", **used)

    assert response.status_code == 204
    assert client.get(f"{API}/me", **used).status_code == 401
    assert client.get(f"{API}/me", **other).status_code == 200


def test_a_deactivated_users_token_stops_working(client, desk):
    headers = bearer(desk.l1)
    desk.l1.is_active = False
    desk.l1.save()

    assert client.get(f"{API}/me", **headers).status_code == 401


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/me"),
        ("delete", "/auth/token"),
        ("get", "/tickets"),
        ("post", "/tickets"),
        ("get", "/tickets/1000"),
        ("patch", "/tickets/1000"),
        ("get", "/tickets/1000/messages"),
        ("post", "/tickets/1000/messages"),
        ("get", "/tickets/1000/events"),
        ("post", "/tickets/1000/actions/close"),
        ("get", "/departments"),
        ("get", "/help-topics"),
        ("get", "/agents"),
    ],
)
def test_every_endpoint_but_health_and_token_issue_needs_a_token(client, db, method, path):
    response = getattr(client, method)(f"{API}{path}", content_type="application/json")

    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Bearer not-a-token",
        "Token abc",
        "Basic dXNlcjpwYXNz",
        "Bearer " + "x" * 5000,
    ],
    ids=["no key", "empty key", "unknown key", "wrong scheme", "basic auth", "huge key"],
)
def test_a_malformed_or_unknown_authorization_header_is_401(client, db, header):
    response = client.get(f"{API}/me", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


def test_health_answers_ok_without_a_token(client, db):
    response = client.get(f"{API}/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize(
    ("who", "role", "support_level"),
    [("customer", "customer", None), ("l2", "agent", 2), ("admin", "admin", None)],
)
def test_me_describes_the_caller(client, desk, who, role, support_level):
    user = getattr(desk, who)

    response = client.get(f"{API}/me", **bearer(user))

    assert response.status_code == 200
    assert response.json() == {
        "id": user.pk,
        "email": user.email,
        "name": user.name,
        "role": role,
        "support_level": support_level,
        "language": "en",
    }


def test_the_api_does_not_ask_for_a_csrf_token_because_it_authenticates_by_bearer(desk):
    strict = Client(enforce_csrf_checks=True)

    response = strict.post(
        f"{API}/tickets",
        {"subject": "Printer", "description": "Jammed"},
        content_type="application/json",
        **bearer(desk.customer),
    )

    assert response.status_code == 201


def test_openapi_schema_documents_every_endpoint_and_the_bearer_scheme(client, db):
    response = client.get(f"{API}/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    for path in (
        "/api/v1/auth/token",
        "/api/v1/health",
        "/api/v1/me",
        "/api/v1/tickets",
        "/api/v1/tickets/{number}",
        "/api/v1/tickets/{number}/messages",
        "/api/v1/tickets/{number}/events",
        "/api/v1/departments",
        "/api/v1/help-topics",
        "/api/v1/agents",
    ):
        assert path in paths, path
    actions = {p.rsplit("/", 1)[1] for p in paths if "/actions/" in p}
    assert actions == {
        "take", "assign", "escalate", "pend", "hold", "resume", "resolve", "reopen", "close",
    }  # fmt: skip
    assert schema["components"]["securitySchemes"]["BearerAuth"]["scheme"] == "bearer"
    assert "ErrorOut" in schema["components"]["schemas"]


def test_docs_page_loads_its_assets_from_the_app_not_a_cdn(client, db):
    response = client.get(f"{API}/docs")

    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert "/api/v1/openapi.json" in html
