import pytest

from helpline import factories
from helpline.accounts.models import Availability
from helpline.api.tests.conftest import API, bearer, error_of


def test_departments_are_listed_by_name(client, desk):
    factories.department(name="Archive", is_active=False)

    response = client.get(f"{API}/departments", **bearer(desk.customer))

    assert response.json() == {
        "items": [
            {"id": desk.department.pk, "name": "Helpdesk"},
            {"id": desk.other_department.pk, "name": "Network"},
        ]
    }


@pytest.mark.parametrize(("who", "sees_private"), [("customer", False), ("l1", True)])
def test_customers_see_only_public_help_topics(client, desk, who, sees_private):
    private = factories.help_topic(department=desk.other_department, is_public=False)

    response = client.get(f"{API}/help-topics", **bearer(getattr(desk, who)))

    topics = {topic["id"]: topic for topic in response.json()["items"]}
    assert (private.pk in topics) is sees_private
    assert topics[desk.topic.pk] == {
        "id": desk.topic.pk,
        "name": "Report a Problem",
        "description": "",
        "department": {"id": desk.department.pk, "name": "Helpdesk"},
        "type": "incident",
        "priority": None,
    }


def test_the_agent_list_is_for_the_support_team_only(client, desk):
    response = client.get(f"{API}/agents", **bearer(desk.customer))

    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"


def test_agents_are_listed_with_level_departments_and_availability(client, desk):
    desk.l3.availability = Availability.AWAY
    desk.l3.save()

    response = client.get(f"{API}/agents", **bearer(desk.l1))

    agents = {agent["id"]: agent for agent in response.json()["items"]}
    assert {desk.l1.pk, desk.l2.pk, desk.l3.pk, desk.outsider.pk, desk.admin.pk} <= set(agents)
    assert desk.customer.pk not in agents
    assert agents[desk.l2.pk] == {
        "id": desk.l2.pk,
        "name": "Level Two",
        "email": desk.l2.email,
        "support_level": 2,
        "departments": [{"id": desk.department.pk, "name": "Helpdesk"}],
        "available": True,
    }
    assert agents[desk.l3.pk]["available"] is False


def test_the_agent_list_runs_a_fixed_number_of_queries(client, desk, django_assert_max_num_queries):
    created = [
        factories.agent(departments=[desk.department, desk.other_department]) for _ in range(20)
    ]
    headers = bearer(desk.admin)
    client.get(f"{API}/me", **headers)

    with django_assert_max_num_queries(3):
        response = client.get(f"{API}/agents", **headers)

    listed = {agent["id"]: agent for agent in response.json()["items"]}
    assert all(len(listed[agent.pk]["departments"]) == 2 for agent in created)
