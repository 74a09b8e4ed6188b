"""GET /api/v1/tickets?q= and GET /api/v1/search."""

from __future__ import annotations

import re
import sys
import types
from typing import Any

import pytest

from helpline import factories
from helpline.api.tests.conftest import API, bearer, error_of
from helpline.tickets import services


def get(client: Any, user: Any, path: str, **params: Any) -> Any:
    return client.get(f"{API}{path}", params, **bearer(user))


def numbers(response: Any) -> list[int]:
    assert response.status_code == 200, response.content[:300]
    return [item["number"] for item in response.json()["items"]]


# --- /tickets?q= ----------------------------------------------------------------------------


def test_q_finds_tickets_best_match_first(client, desk):
    weak = desk.ticket(subject="Laptop", description="The vpn drops sometimes.")
    strong = desk.ticket(subject="VPN down", description="vpn vpn: no vpn at all.")
    desk.ticket(subject="Printer", description="Jammed.")

    assert numbers(get(client, desk.l1, "/tickets", q="vpn")) == [strong.number, weak.number]


def test_q_combines_with_the_list_filters(client, desk):
    open_one = desk.ticket(subject="VPN down")
    services.ticket_take(actor=desk.l1, ticket=open_one)
    desk.ticket(subject="VPN slow")

    response = get(client, desk.l1, "/tickets", q="vpn", status="open")

    assert numbers(response) == [open_one.number]


def test_q_with_only_filters_lists_newest_first(client, desk):
    first = desk.ticket(subject="A", impact="high", urgency="high")
    second = desk.ticket(subject="B", impact="high", urgency="high")
    desk.ticket(subject="C")

    response = get(client, desk.l1, "/tickets", q="priority:critical")

    assert numbers(response) == [second.number, first.number]


def test_q_pages_with_the_cursor(client, desk):
    tickets = [desk.ticket(subject=f"Printer {n}") for n in range(3)]

    first = get(client, desk.l1, "/tickets", q="printer", limit=2)
    second = get(
        client, desk.l1, "/tickets", q="printer", limit=2, cursor=first.json()["next_cursor"]
    )

    seen = numbers(first) + numbers(second)
    assert sorted(seen) == sorted(t.number for t in tickets)
    assert second.json()["next_cursor"] is None


@pytest.mark.parametrize(
    ("q", "problem"),
    [
        ("status:opn", 'unknown status "opn"'),
        ('"unterminated', "unterminated quote"),
        ("created:2026-13-01", "bad date"),
        ("nosuchfield:x", 'unknown field "nosuchfield"'),
    ],
)
def test_a_bad_query_is_a_400_naming_the_problem(client, desk, q, problem):
    response = get(client, desk.l1, "/tickets", q=q)

    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert problem in error["message"]
    assert problem in error["fields"]["q"]


@pytest.mark.parametrize("path", ["/tickets", "/search"])
@pytest.mark.parametrize(
    ("q", "problem"),
    [
        ("vpn dept:netwrk", 'no department is named "netwrk"'),
        ("team:nobody", 'no team is named "nobody"'),
        ("category:hardwear", 'no category is named "hardwear"'),
    ],
)
def test_a_name_nothing_has_is_a_400_for_an_agent(client, desk, path, q, problem):
    response = get(client, desk.l1, path, q=q)

    assert response.status_code == 400
    assert error_of(response)["fields"] == {"q": problem}


def test_departments_are_named_by_slug_or_name_in_any_case(client, desk):
    ticket = desk.ticket(subject="VPN down")
    for name in ("helpdesk", "HelpDesk", str(desk.department.pk)):
        assert numbers(get(client, desk.l1, "/tickets", q=f"vpn dept:{name}")) == [ticket.number]


def test_a_customer_naming_an_unknown_department_just_finds_nothing(client, desk):
    desk.ticket(subject="VPN down")

    assert numbers(get(client, desk.customer, "/tickets", q="vpn dept:netwrk")) == []


def test_a_bad_status_next_to_q_is_a_400(client, desk):
    response = get(client, desk.l1, "/tickets", q="vpn", status="nope")

    assert response.status_code == 400
    assert error_of(response)["fields"] == {"status": "invalid"}


def test_a_customer_never_matches_an_internal_note(client, desk):
    ticket = desk.ticket(subject="Laptop")
    services.ticket_note(actor=desk.l1, ticket=ticket, body="zanzibar secret")

    assert numbers(get(client, desk.customer, "/tickets", q="zanzibar")) == []
    assert numbers(get(client, desk.l1, "/tickets", q="zanzibar")) == [ticket.number]


def test_a_customer_never_sees_another_organisations_ticket(client, desk):
    stranger = factories.customer(organization=factories.organization(name="Other Inc"))
    theirs = factories.ticket(requester=stranger, subject="Quokka outage")

    assert numbers(get(client, desk.customer, "/tickets", q="quokka")) == []
    assert numbers(get(client, stranger, "/tickets", q="quokka")) == [theirs.number]


def test_a_q_list_costs_the_same_queries_for_more_tickets(
    client, desk, django_assert_max_num_queries
):
    for n in range(12):
        ticket = desk.ticket(subject=f"Printer {n}", tags=["floor", f"t{n}"])
        services.ticket_reply(actor=desk.l1, ticket=ticket, body="printer again")
    headers = bearer(desk.l1)
    with django_assert_max_num_queries(14):
        response = client.get(f"{API}/tickets", {"q": "printer", "limit": 12}, **headers)
    assert len(response.json()["items"]) == 12


# --- /search --------------------------------------------------------------------------------


def test_search_returns_ranked_ticket_hits_with_marked_snippets(client, desk):
    ticket = desk.ticket(subject="Dock", description="The <b>docking</b> station & vpn fail.")

    response = get(client, desk.l1, "/search", q="vpn")

    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "ticket"
    [hit] = body["tickets"]
    assert hit["number"] == ticket.number
    assert hit["rank"] > 0
    assert "<mark>vpn</mark>" in hit["snippet"]
    assert "&amp;" in hit["snippet"]
    assert "<b>" not in hit["snippet"]
    assert set(re.findall(r"<[^>]*>", hit["snippet"])) <= {"<mark>", "</mark>"}


def test_search_quotes_a_note_to_an_agent_but_never_to_the_customer(client, desk):
    ticket = desk.ticket(subject="Laptop")
    services.ticket_note(actor=desk.l1, ticket=ticket, body="the wombat password is hunter2")

    agent = get(client, desk.l1, "/search", q="wombat").json()["tickets"]
    customer = get(client, desk.customer, "/search", q="wombat").json()["tickets"]

    assert [hit["number"] for hit in agent] == [ticket.number]
    assert "<mark>wombat</mark>" in agent[0]["snippet"]
    assert customer == []


def test_search_refuses_a_bad_query_with_a_400(client, desk):
    response = get(client, desk.l1, "/search", q="priority:urgentest")

    assert response.status_code == 400
    assert 'unknown priority "urgentest"' in error_of(response)["message"]


def test_search_refuses_an_unknown_type(client, desk):
    response = get(client, desk.l1, "/search", q="vpn", type="user")

    assert response.status_code == 400


def test_article_search_says_when_the_knowledge_base_is_missing(client, desk, monkeypatch):
    monkeypatch.setitem(sys.modules, "helpline.kb.selectors", None)

    response = get(client, desk.l1, "/search", q="vpn", type="article")

    assert response.status_code == 400
    assert error_of(response)["message"] == "article search is not available yet"


def test_article_search_returns_the_kb_hits_with_safe_snippets(client, desk, monkeypatch):
    calls: list[dict[str, Any]] = []

    def search_articles(*, user, query, limit):
        calls.append({"user": user, "query": query, "limit": limit})
        return [
            types.SimpleNamespace(
                id=7,
                slug="vpn-setup",
                title="VPN setup",
                snippet="Install the <mark>vpn</mark> <script>x</script>",
                rank=1.5,
                visibility="public",
            )
        ]

    monkeypatch.setitem(
        sys.modules, "helpline.kb.selectors", types.SimpleNamespace(search_articles=search_articles)
    )

    response = get(client, desk.customer, "/search", q="vpn", type="article", limit=5)

    assert response.status_code == 200
    [hit] = response.json()["articles"]
    assert hit["slug"] == "vpn-setup"
    assert hit["snippet"] == "Install the <mark>vpn</mark> &lt;script&gt;x&lt;/script&gt;"
    assert calls == [{"user": desk.customer, "query": "vpn", "limit": 5}]


def test_search_costs_the_same_queries_for_more_hits(client, desk, django_assert_max_num_queries):
    for n in range(10):
        ticket = desk.ticket(subject=f"Printer {n}")
        services.ticket_note(actor=desk.l1, ticket=ticket, body="printer note")
    headers = bearer(desk.l1)
    with django_assert_max_num_queries(10):
        response = client.get(f"{API}/search", {"q": "printer"}, **headers)
    assert len(response.json()["tickets"]) == 10


def test_article_search_answers_from_the_knowledge_base(client, desk):
    response = get(client, desk.customer, "/search", q="zzyzx", type="article")

    assert response.status_code == 200
    assert response.json() == {
        "type": "article",
        "tickets": [],
        "articles": [],
        "next_cursor": None,
    }
