from __future__ import annotations

from helpline.api.tests.conftest import API, bearer, error_of
from helpline.kb import services
from helpline.kb.models import Article, KbCategory, PublishPermission
from helpline.kb.tests.factories import article


def post(client, user, path, body=None):
    return client.post(f"{API}{path}", body or {}, content_type="application/json", **bearer(user))


def patch(client, user, path, body):
    return client.patch(f"{API}{path}", body, content_type="application/json", **bearer(user))


def test_an_agent_creates_updates_and_publishes_through_the_api(client, desk):
    category = KbCategory.objects.create(name="Email", slug="email")
    created = post(
        client,
        desk.l1,
        "/kb/articles",
        {
            "title": "Outlook",
            "body": "one",
            "keywords": ["Mail", "mail"],
            "category_id": category.pk,
        },
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["status"], body["visibility"], body["keywords"], body["revision"]) == (
        "draft",
        "internal",
        ["mail"],
        1,
    )

    updated = patch(client, desk.l1, f"/kb/articles/{body['id']}", {"body": "two", "note": "fix"})
    assert updated.json()["revision"] == 2
    published = post(client, desk.l1, f"/kb/articles/{body['id']}/publish")
    assert published.json()["status"] == "published"
    revisions = client.get(f"{API}/kb/articles/{body['id']}/revisions", **bearer(desk.l1))
    assert [r["number"] for r in revisions.json()["items"]] == [2, 1]


def test_customers_cannot_create_or_edit_articles(client, desk):
    made = article(author=desk.l1)

    assert (
        post(client, desk.customer, "/kb/articles", {"title": "x", "body": "y"}).status_code == 403
    )
    assert patch(client, desk.customer, f"/kb/articles/{made.pk}", {"body": "z"}).status_code == 403
    made.refresh_from_db()
    assert made.body == "Some helpful text."


def test_publishing_without_the_permission_is_403(client, desk):
    services.settings_update(actor=desk.admin, publish_permission=PublishPermission.MANAGERS)
    made = article(author=desk.l1, status="draft")

    response = post(client, desk.l1, f"/kb/articles/{made.pk}/publish")

    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"


def test_bad_input_is_a_400_and_changes_nothing(client, desk):
    made = article(author=desk.l1)
    cases = [
        post(client, desk.l1, "/kb/articles", {"title": "", "body": "y"}),
        post(client, desk.l1, "/kb/articles", {"title": "x", "body": "y", "visibility": "secret"}),
        post(client, desk.l1, "/kb/articles", {"title": "x", "body": "y", "category_id": 999}),
        patch(client, desk.l1, f"/kb/articles/{made.pk}", {"title": None}),
        patch(client, desk.l1, f"/kb/articles/{made.pk}", {"title": "x" * 201}),
    ]
    for response in cases:
        assert response.status_code == 400, response.content
        error_of(response)
    assert Article.objects.count() == 1
    assert post(client, desk.l1, f"/kb/articles/{made.pk}/explode").status_code in (400, 404)
    assert client.get(f"{API}/kb/articles?limit=0", **bearer(desk.l1)).status_code == 400


def test_an_invalid_transition_is_409(client, desk):
    made = article(author=desk.l1, status="draft")

    response = post(client, desk.l1, f"/kb/articles/{made.pk}/unarchive")

    assert response.status_code == 409


def test_search_returns_ranked_hits_with_snippets(client, desk):
    article(author=desk.l1, title="VPN disconnects", body="Reconnect the vpn client.")

    body = client.get(f"{API}/kb/articles?q=vpn", **bearer(desk.customer)).json()

    assert body["items"][0]["title"] == "VPN disconnects"
    assert "<mark>" in body["items"][0]["snippet"]


def test_the_list_and_categories_are_bounded(client, desk, django_assert_max_num_queries):
    for n in range(10):
        article(author=desk.l1, title=f"Article {n}")
    KbCategory.objects.create(name="A", slug="a")
    headers = bearer(desk.customer)

    with django_assert_max_num_queries(6):
        assert len(client.get(f"{API}/kb/articles", **headers).json()["items"]) == 10
    with django_assert_max_num_queries(6):
        assert client.get(f"{API}/kb/categories", **headers).json()["items"][0]["name"] == "A"


def test_one_article_is_bounded(client, desk, django_assert_max_num_queries):
    made = article(author=desk.l1)
    headers = bearer(desk.l1)

    with django_assert_max_num_queries(6):
        assert client.get(f"{API}/kb/articles/{made.pk}", **headers).status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get(f"{API}/kb/articles/{made.pk}/revisions", **headers).status_code == 200
