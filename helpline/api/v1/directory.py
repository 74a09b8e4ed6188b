"""How the desk is laid out: departments, help topics, agents."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from helpline.api.v1 import presenters
from helpline.api.v1.auth import caller
from helpline.api.v1.schemas import ERRORS, AgentList, DepartmentList, HelpTopicList, Ref
from helpline.core import clock
from helpline.tickets import access, selectors

router = Router(tags=["directory"])


@router.get("/departments", response={200: DepartmentList, **ERRORS})
def department_list(request: HttpRequest) -> DepartmentList:
    departments = selectors.departments_for(user=caller(request))
    return DepartmentList(items=[Ref(id=d.pk, name=d.name) for d in departments])


@router.get("/help-topics", response={200: HelpTopicList, **ERRORS})
def help_topic_list(request: HttpRequest) -> HelpTopicList:
    """What a ticket can be about; customers see the public topics only."""
    topics = selectors.help_topics_for(user=caller(request))
    return HelpTopicList(items=[presenters.help_topic(topic) for topic in topics])


@router.get("/agents", response={200: AgentList, **ERRORS})
def agent_list(request: HttpRequest) -> AgentList:
    """The support team (agents and admins only)."""
    access.check_is_agent(caller(request), "list the support team")
    now = clock.now()
    return AgentList(items=[presenters.agent(user, now=now) for user in selectors.agent_list()])
