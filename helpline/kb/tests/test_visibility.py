"""The visibility matrix: anonymous / customer / agent × public / internal / draft, for the
article page, the API, the subject suggestions and the search page."""

from __future__ import annotations

import pytest

from helpline.api.tests.conftest import API, bearer
from helpline.kb import services

READERS = ("anonymous", "customer", "agent")
# Who may read which article: public published for all; internal and draft for agents only.
MAY_READ = {
    "public": {"anonymous", "customer", "agent"},
    "internal": {"agent"},
    "draft": {"agent"},
}


def log_in(client, desk, reader):
    if reader != "anonymous":
        client.force_login(desk.customer if reader == "customer" else desk.l1)


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("kind", ["public", "internal", "draft"])
def test_the_article_page_shows_only_what_the_reader_may_read(client, desk, articles, reader, kind):
    log_in(client, desk, reader)

    response = client.get(f"/kb/articles/{articles[kind].slug}/")

    assert response.status_code == (200 if reader in MAY_READ[kind] else 404)


@pytest.mark.parametrize("reader", ["customer", "agent"])
@pytest.mark.parametrize("kind", ["public", "internal", "draft"])
def test_the_api_shows_only_what_the_caller_may_read(client, desk, articles, reader, kind):
    user = desk.customer if reader == "customer" else desk.l1
    headers = bearer(user)

    one = client.get(f"{API}/kb/articles/{articles[kind].pk}", **headers)
    listed = {a["id"] for a in client.get(f"{API}/kb/articles", **headers).json()["items"]}
    searched = {
        a["id"] for a in client.get(f"{API}/kb/articles?q=printer", **headers).json()["items"]
    }

    may = reader in MAY_READ[kind]
    assert one.status_code == (200 if may else 404)
    assert (articles[kind].pk in listed) is may
    assert (articles[kind].pk in searched) is may


@pytest.mark.parametrize("reader", READERS)
def test_suggestions_and_search_pages_offer_only_readable_articles(client, desk, articles, reader):
    log_in(client, desk, reader)

    suggested = client.get("/kb/suggest/?subject=printer").content.decode()
    searched = client.get("/kb/?q=printer").content.decode()

    for kind, article in articles.items():
        may = reader in MAY_READ.get(kind, set()) and kind != "archived"
        assert (article.title in suggested) is may, (kind, "suggest")
        assert (article.title in searched) is may, (kind, "search")


def test_anonymous_reading_can_be_switched_off(client, desk, articles):
    services.settings_update(actor=desk.admin, anonymous_reading=False)

    response = client.get(f"/kb/articles/{articles['public'].slug}/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_an_internal_article_in_a_guide_step_is_not_shown_to_customers(client, desk, articles):
    from helpline.catalog.models import Guide, GuideStep

    guide = Guide.objects.create(name="Printer", help_topic=desk.topic)
    GuideStep.objects.create(guide=guide, order=1, text="Check it", article=articles["internal"])
    client.force_login(desk.customer)

    page = client.get(f"/guides/{guide.pk}/").content.decode()

    assert "Check it" in page
    assert articles["internal"].title not in page
