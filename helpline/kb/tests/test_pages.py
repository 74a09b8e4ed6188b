from __future__ import annotations

from helpline.kb import services
from helpline.kb.models import Article
from helpline.kb.tests.factories import article
from helpline.tickets import services as ticket_services


def test_the_designated_sla_article_is_reachable_by_customers_and_anonymous(client, desk):
    sla = article(author=desk.l1, title="Service level agreement", body="Severity A: 24 hours")
    services.settings_update(actor=desk.admin, sla_article=sla)

    for login in (None, desk.customer):
        if login:
            client.force_login(login)
        response = client.get("/kb/sla/", follow=True)
        assert response.status_code == 200
        assert "Severity A: 24 hours" in response.content.decode()


def test_without_an_sla_article_the_sla_link_goes_to_the_generated_page_or_says_so(client, desk):
    from django.urls import NoReverseMatch, reverse

    response = client.get("/kb/sla/")

    try:
        assert response["Location"] == reverse("sla_public")
    except NoReverseMatch:
        assert response.status_code == 200
        assert "not been published yet" in response.content.decode()


def test_the_service_catalog_is_reachable_by_customers_and_anonymous(client, desk):
    from helpline.catalog.models import RequestType, Service

    service = Service.objects.create(name="Software", slug="software")
    RequestType.objects.create(service=service, name="Software install", help_topic=desk.topic)
    intro = article(author=desk.l1, title="About our services", body="What we offer you")
    services.settings_update(actor=desk.admin, catalog_article=intro)

    for login in (None, desk.customer):
        if login:
            client.force_login(login)
        page = client.get("/catalog/").content.decode()
        assert "Software install" in page
        assert "What we offer you" in page


def test_the_portal_index_lists_categories_and_recent_articles(
    client, desk, django_assert_max_num_queries
):
    from helpline.kb.models import KbCategory

    printing = KbCategory.objects.create(name="Printing", slug="printing")
    for n in range(6):
        article(author=desk.l1, title=f"Printer tip {n}", category=printing)
    client.force_login(desk.customer)

    with django_assert_max_num_queries(10):
        response = client.get("/kb/")

    page = response.content.decode()
    assert "Printing" in page and "Printer tip 5" in page


def test_helpful_feedback_from_the_page_is_counted(client, desk):
    made = article(author=desk.l1)

    client.post(f"/kb/articles/{made.slug}/helpful/", {"helpful": "yes"})

    made.refresh_from_db()
    assert made.helpful_yes == 1


def test_an_agent_writes_publishes_and_restores_from_the_desk(client, desk):
    client.force_login(desk.l1)
    response = client.post(
        "/desk/kb/new/", {"title": "Wifi", "body": "first", "visibility": "public"}
    )
    made = Article.objects.get(title="Wifi")
    assert response["Location"] == f"/desk/kb/{made.pk}/"
    client.post(f"/desk/kb/{made.pk}/", {"title": "Wifi", "body": "second", "visibility": "public"})
    client.post(f"/desk/kb/{made.pk}/publish/")

    diff = client.get(f"/desk/kb/{made.pk}/revisions/2/").content.decode()
    assert "- first" in diff and "+ second" in diff
    client.post(f"/desk/kb/{made.pk}/revisions/1/restore/")

    made.refresh_from_db()
    assert (made.status, made.body, made.revision_count) == ("published", "first", 3)


def test_customers_never_reach_the_desk_pages(client, desk):
    made = article(author=desk.l1)
    client.force_login(desk.customer)

    assert client.get("/desk/kb/").status_code == 404
    assert client.get(f"/desk/kb/{made.pk}/history/").status_code == 404


def test_the_desk_list_costs_the_same_queries_for_many_articles(
    client, desk, django_assert_max_num_queries
):
    for n in range(12):
        article(author=desk.l1, title=f"Article {n}")
    client.force_login(desk.l1)

    with django_assert_max_num_queries(8):
        response = client.get("/desk/kb/")
    assert "Article 11" in response.content.decode()


def test_the_history_and_edit_pages_are_bounded(client, desk, django_assert_max_num_queries):
    made = article(author=desk.l1)
    for n in range(6):
        services.article_update(actor=desk.l1, article=made, body=f"body {n}")
    client.force_login(desk.l1)

    with django_assert_max_num_queries(8):
        assert client.get(f"/desk/kb/{made.pk}/history/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(f"/desk/kb/{made.pk}/").status_code == 200


def test_the_ticket_page_loads_its_knowledge_panel_lazily(client, desk):
    ticket = desk.ticket(subject="Printer offline again")
    client.force_login(desk.l1)

    page = client.get(f"/desk/tickets/{ticket.number}/").content.decode()

    assert f'hx-get="/desk/kb/tickets/{ticket.number}/"' in page


def test_the_knowledge_panel_suggests_articles_and_similar_resolved_tickets(
    client, desk, django_assert_max_num_queries
):
    article(author=desk.l1, title="Printer offline fix", body="Untick use printer offline")
    old = desk.ticket(subject="Printer offline in room 4")
    ticket_services.ticket_take(actor=desk.l1, ticket=old)
    ticket_services.ticket_transition(
        actor=desk.l1,
        ticket=old,
        action="resolve",
        resolution=ticket_services.Resolution(problem_identified="x", action_taken="y"),
    )
    ticket = desk.ticket(subject="Printer offline again")
    client.force_login(desk.l1)

    with django_assert_max_num_queries(16):
        panel = client.get(f"/desk/kb/tickets/{ticket.number}/").content.decode()

    assert "Printer offline fix" in panel
    assert f"#{old.number}" in panel


def test_create_article_from_resolution_button_makes_a_draft(client, desk):
    ticket = desk.ticket(subject="Monitor flickers")
    ticket_services.ticket_take(actor=desk.l1, ticket=ticket)
    ticket_services.ticket_transition(
        actor=desk.l1,
        ticket=ticket,
        action="resolve",
        resolution=ticket_services.Resolution(
            problem_identified="Loose cable", action_taken="Replaced the DisplayPort cable"
        ),
    )
    client.force_login(desk.l1)

    response = client.post(f"/desk/kb/tickets/{ticket.number}/from-resolution/")

    made = Article.objects.get(title="Monitor flickers")
    assert response["Location"] == f"/desk/kb/{made.pk}/"
    assert "Replaced the DisplayPort cable" in made.body


def test_the_other_reading_pages_are_bounded(client, desk, django_assert_max_num_queries):
    from helpline.catalog.models import RequestType, Service
    from helpline.kb.demo import printer_guide
    from helpline.kb.models import KbCategory

    printing = KbCategory.objects.create(name="Printing", slug="printing")
    made = [article(author=desk.l1, title=f"Printer {n}", category=printing) for n in range(6)]
    for n in range(4):
        services.article_update(actor=desk.l1, article=made[0], body=f"v{n}")
    guide = printer_guide(topic=desk.topic, article=made[0])
    service = Service.objects.create(name="Software", slug="software")
    request_type = RequestType.objects.create(
        service=service, name="Install", extra_fields=[{"name": "what", "label": "What?"}]
    )
    client.force_login(desk.l1)
    agent_pages = [f"/desk/kb/{made[0].pk}/revisions/3/"]
    for path in agent_pages:
        with django_assert_max_num_queries(8):
            assert client.get(path).status_code == 200
    client.force_login(desk.customer)
    customer_pages = [
        "/kb/categories/printing/",
        f"/kb/articles/{made[0].slug}/",
        "/kb/suggest/?subject=printer",
        f"/catalog/requests/{request_type.pk}/",
        f"/guides/{guide.pk}/",
        "/tickets/new/",
    ]
    for path in customer_pages:
        with django_assert_max_num_queries(10):
            assert client.get(path).status_code == 200, path
