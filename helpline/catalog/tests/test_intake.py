from __future__ import annotations

import pytest

from helpline.api.tests.conftest import API, bearer
from helpline.catalog.models import Deflection, GuideStep, RequestType, Service
from helpline.kb import services as kb_services
from helpline.kb.demo import printer_guide
from helpline.kb.tests.factories import article
from helpline.tickets.models import Ticket


@pytest.fixture
def guide(desk):
    offline = article(author=desk.l1, title="Printer shows offline", body="Untick offline.")
    return printer_guide(topic=desk.topic, article=offline)


def step(guide, text):
    return GuideStep.objects.get(guide=guide, text__startswith=text)


def answer(client, guide, at, value, trail=""):
    return client.post(f"/guides/{guide.pk}/", {"step": at.pk, "answer": value, "trail": trail})


def test_a_guide_that_solves_it_counts_a_deflection_and_opens_no_ticket(client, desk, guide):
    client.force_login(desk.customer)
    first = client.get(f"/guides/{guide.pk}/").content.decode()
    assert "Is the printer on?" in first

    page = answer(client, guide, step(guide, "Is the printer on"), "yes").content.decode()
    assert "Is the cable plugged in?" in page
    page = answer(client, guide, step(guide, "Is the cable"), "yes", "x").content.decode()
    assert "Printer shows offline" in page  # the suggested article, shown in the step
    done = answer(client, guide, step(guide, "Check whether"), "solved")

    assert "No ticket was opened" in done.content.decode()
    assert Ticket.objects.count() == 0
    deflection = Deflection.objects.get()
    assert (deflection.step, deflection.help_topic, deflection.article.title) == (
        step(guide, "Check whether"),
        desk.topic,
        "Printer shows offline",
    )


def test_a_guide_that_does_not_solve_it_opens_a_ticket_with_the_collected_fields(
    client, desk, guide
):
    client.force_login(desk.customer)
    on, switch, offline = (
        step(guide, "Is the printer on"),
        step(guide, "Switch"),
        step(guide, "Check whether"),
    )
    answer(client, guide, on, "no")
    page = answer(client, guide, switch, "continue", f"{on.pk}:no").content.decode()
    assert "Check whether Windows" in page
    form = answer(client, guide, offline, "continue", f"{on.pk}:no,{switch.pk}:continue")
    assert "Error message" in form.content.decode()
    trail = f"{on.pk}:no,{switch.pk}:continue,{offline.pk}:continue"

    missing = client.post(f"/guides/{guide.pk}/ticket/", {"subject": "Printer", "trail": trail})
    assert missing.status_code == 400
    assert Ticket.objects.count() == 0
    response = client.post(
        f"/guides/{guide.pk}/ticket/",
        {
            "subject": "Printer still dead",
            "description": "Tried everything.",
            "device": "HP LaserJet 4",
            "location": "Floor 2, room 12",
            "error_message": "Error 49.4C02",
            "trail": trail,
        },
    )

    ticket = Ticket.objects.get()
    assert response["Location"] == f"/tickets/{ticket.number}/"
    assert (ticket.device, ticket.location, ticket.help_topic) == (
        "HP LaserJet 4",
        "Floor 2, room 12",
        desk.topic,
    )
    assert "Tried everything." in ticket.description
    assert "- Is the printer on? — No" in ticket.description
    assert "- Error message: Error 49.4C02" in ticket.description
    assert Deflection.objects.count() == 0


def test_a_suggested_article_confirmed_as_the_fix_is_a_deflection(client, desk):
    found = article(author=desk.l1, title="Outlook asks for password", body="Clear credentials")
    client.force_login(desk.customer)

    suggestions = client.get("/kb/suggest/?subject=outlook pass").content.decode()
    assert "Outlook asks for password" in suggestions
    page = client.get(f"/kb/articles/{found.slug}/?from=intake&topic={desk.topic.pk}")
    assert "This solved my problem" in page.content.decode()
    client.post(f"/kb/articles/{found.slug}/solved/", {"topic": desk.topic.pk})

    deflection = Deflection.objects.get()
    assert (deflection.source, deflection.article, deflection.help_topic) == (
        "suggestion",
        found,
        desk.topic,
    )
    assert Ticket.objects.count() == 0


def test_a_customer_cannot_record_a_deflection_on_an_internal_article(client, desk):
    hidden = article(author=desk.l1, title="Internal", visibility="internal")
    client.force_login(desk.customer)

    response = client.post(f"/kb/articles/{hidden.slug}/solved/")

    assert response.status_code == 404
    assert Deflection.objects.count() == 0


@pytest.fixture
def laptop(desk):
    service = Service.objects.create(name="Equipment", slug="equipment")
    return RequestType.objects.create(
        service=service,
        name="New laptop",
        help_topic=desk.topic,
        fulfilment_hours=40,
        extra_fields=[{"name": "cost_centre", "label": "Cost centre", "required": True}],
    )


def test_a_catalog_request_opens_a_service_request_with_its_answers(client, desk, laptop):
    client.force_login(desk.customer)

    refused = client.post(f"/catalog/requests/{laptop.pk}/", {"subject": "Laptop"})
    assert refused.status_code == 400
    client.post(
        f"/catalog/requests/{laptop.pk}/", {"subject": "Laptop for Sam", "cost_centre": "CC-7"}
    )

    ticket = Ticket.objects.get()
    assert (ticket.type, ticket.help_topic) == ("service_request", desk.topic)
    assert "- Cost centre: CC-7" in ticket.description


def test_a_request_type_for_other_organisations_is_not_offered(client, desk, laptop):
    from helpline import factories

    laptop.organizations.set([factories.organization(name="Elsewhere")])
    client.force_login(desk.customer)

    assert "New laptop" not in client.get("/catalog/").content.decode()
    assert client.get(f"/catalog/requests/{laptop.pk}/").status_code == 404


def test_refusing_requests_outside_the_catalog_replaces_the_free_form(client, desk, laptop):
    kb_services.settings_update(actor=desk.admin, refuse_outside_catalog=True)
    client.force_login(desk.customer)

    page = client.get("/tickets/new/").content.decode()
    client.post("/tickets/new/", {"subject": "Anything", "description": "Free text"})

    assert "we can only take requests for the services in our catalog" in page
    assert "New laptop" in page
    assert Ticket.objects.count() == 0


def test_the_new_ticket_page_offers_the_guides_and_live_suggestions(client, desk, guide):
    client.force_login(desk.customer)

    page = client.get("/tickets/new/").content.decode()

    assert f'href="/guides/{guide.pk}/"' in page
    assert 'hx-trigger="keyup changed delay:300ms from:#id_subject"' in page


def test_the_deflection_metrics_count_per_step_article_and_topic(client, desk, guide):
    client.force_login(desk.customer)
    for _ in range(2):
        answer(client, guide, step(guide, "Check whether"), "solved")

    response = client.get(f"{API}/metrics/deflection", **bearer(desk.l1))

    body = response.json()
    assert body["total"] == 2
    assert body["by_step"][0]["count"] == 2
    assert body["by_article"] == [
        {"id": body["by_article"][0]["id"], "name": "Printer shows offline", "count": 2}
    ]
    assert body["by_help_topic"][0] == {"id": desk.topic.pk, "name": "Report a Problem", "count": 2}
    assert client.get(f"{API}/metrics/deflection", **bearer(desk.customer)).status_code == 403


def test_the_catalog_api_lists_what_the_caller_may_request(client, desk, laptop):
    body = client.get(f"{API}/catalog/services", **bearer(desk.customer)).json()

    assert body["items"][0]["request_types"][0]["name"] == "New laptop"
    assert body["items"][0]["request_types"][0]["fulfilment_hours"] == 40


def test_the_catalog_page_is_bounded(client, desk, django_assert_max_num_queries):
    for n in range(5):
        service = Service.objects.create(name=f"Service {n}", slug=f"service-{n}")
        for m in range(3):
            RequestType.objects.create(service=service, name=f"Type {m}")
    client.force_login(desk.customer)

    with django_assert_max_num_queries(8):
        response = client.get("/catalog/")
    assert "Service 4" in response.content.decode()


def test_the_catalog_and_metrics_api_are_bounded(
    client, desk, guide, laptop, django_assert_max_num_queries
):
    client.force_login(desk.customer)
    for _ in range(3):
        answer(client, guide, step(guide, "Check whether"), "solved")
    headers = bearer(desk.l1)

    with django_assert_max_num_queries(8):
        assert client.get(f"{API}/catalog/services", **headers).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(f"{API}/metrics/deflection", **headers).status_code == 200


def test_bad_input_to_the_guide_and_knowledge_pages_is_a_4xx_never_a_500(
    client, desk, guide, laptop
):
    huge = "9" * 30
    client.force_login(desk.customer)
    cases = [
        client.post(f"/guides/{guide.pk}/", {"step": huge, "answer": "yes"}),
        client.post(f"/guides/{guide.pk}/", {"step": "x", "answer": "yes"}),
        client.post(
            f"/guides/{guide.pk}/", {"step": step(guide, "Is the printer").pk, "answer": "?"}
        ),
        client.post(f"/guides/{guide.pk}/ticket/", {"subject": "", "trail": "1:yes,\x00"}),
        client.get(f"/guides/{huge}/"),
        client.get(f"/catalog/requests/{huge}/"),
        client.post("/kb/articles/nope/solved/", {"topic": huge}),
        client.get("/kb/suggest/?subject=" + "\x00(*" * 100),
        client.get("/kb/?q=" + '"' * 300),
    ]
    for response in cases:
        assert 200 <= response.status_code < 500, response.status_code
    assert Ticket.objects.count() == 0
    assert Deflection.objects.count() == 0
    client.force_login(desk.l1)
    ticket = desk.ticket()
    for response in (
        client.get(f"/desk/kb/{huge}/"),
        client.post(f"/desk/kb/tickets/{ticket.number}/link/", {"article": huge}),
        client.get("/desk/kb/1/revisions/99/"),
    ):
        assert 200 <= response.status_code < 500, response.status_code
