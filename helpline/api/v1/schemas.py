"""Input and output schemas of the JSON API.

Inputs refuse unknown keys (a PATCH with ``status`` must not be silently ignored) and take
JSON types strictly: ``"5"`` is not an id and ``"yes"`` is not a boolean. Ids are bounded to
what a database key can hold, so no input reaches the database as an overflowing integer.
Lengths and allowed values that the services check (subject length, tag count, enums) are
left to the services, so the rule lives in one place.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from ninja import Schema
from pydantic import AfterValidator, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from helpline.tickets.states import Level, Priority, TicketType

MAX_ID = 2**63 - 1


def _no_nul(value: str) -> str:
    # PostgreSQL refuses NUL in text; refuse it here rather than as a database error.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
QueryId = Annotated[int, Field(ge=1, le=MAX_ID)]
Version = Annotated[StrictInt, Field(ge=1, le=MAX_ID, description="The ticket's version.")]
Text = Annotated[StrictStr, AfterValidator(_no_nul)]


class In(Schema):
    model_config = ConfigDict(extra="forbid")


# --- inputs --------------------------------------------------------------------------------


class TokenIn(In):
    email: Annotated[Text, Field(max_length=254)]
    password: Annotated[Text, Field(max_length=4096)]


class TicketCreateIn(In):
    subject: Text
    description: Text
    help_topic_id: Id | None = None
    type: TicketType | None = None
    category_id: Id | None = None
    impact: Level | None = None
    urgency: Level | None = None
    tags: Annotated[list[Text], Field(max_length=100)] = []
    device: Text = ""
    location: Text = ""
    requester_email: Text | None = Field(
        default=None,
        description="Agents only: open the ticket for this person (created if unknown).",
    )


class TicketUpdateIn(In):
    """Any subset of the editable fields; a key that is sent is changed, ``null`` clears."""

    subject: Text | None = None
    type: TicketType | None = None
    category_id: Id | None = None
    impact: Level | None = None
    urgency: Level | None = None
    priority: Priority | None = None
    tags: Annotated[list[Text], Field(max_length=100)] | None = None
    device: Text | None = None
    location: Text | None = None
    team_id: Id | None = None
    help_topic_id: Id | None = None


class MessageIn(In):
    body: Text
    internal: StrictBool = Field(default=False, description="An internal note (agents only).")


class VersionIn(In):
    version: Version | None = Field(
        default=None, description="Refuse with 409 if the ticket changed since this version."
    )


class AssignIn(VersionIn):
    assignee_id: Id | None = Field(description="An agent of the ticket's department, or null.")


class EscalateIn(VersionIn):
    note: Text
    to_level: StrictInt | None = None
    department_id: Id | None = None
    team_id: Id | None = None
    agent_id: Id | None = None


class ResolveIn(VersionIn):
    problem_identified: Text
    action_taken: Text
    confirmation: Text = ""
    next_steps: Text = ""


class ReopenIn(VersionIn):
    reason: Text


# --- outputs -------------------------------------------------------------------------------


class ErrorBody(Schema):
    code: str = Field(description="validation_error, not_found, stale_version, ...")
    message: str
    fields: dict[str, str] | None = Field(
        default=None, description="What is wrong with each input, by its name."
    )


class ErrorOut(Schema):
    error: ErrorBody


# Documents the error shape on every operation; the handlers in errors.py produce it.
ERRORS: dict[Any, type[Schema]] = {frozenset({400, 401, 403, 404, 409, 412, 413}): ErrorOut}


class Ref(Schema):
    id: int
    name: str


class PersonRef(Schema):
    id: int
    name: str
    email: str


class AssigneeRef(Schema):
    id: int
    name: str
    support_level: int | None


class ResolutionOut(Schema):
    problem_identified: str
    action_taken: str
    confirmation: str
    next_steps: str


class SlaTargetOut(Schema):
    due_at: datetime | None
    state: str | None = Field(description="ok, warning, breached, met, or null: no target.")
    met_at: datetime | None


class SlaOut(Schema):
    policy: Ref | None
    first_response: SlaTargetOut
    next_response: SlaTargetOut
    resolution: SlaTargetOut
    paused_minutes: int = Field(description="Business minutes the clock was stopped.")
    paused_since: datetime | None = Field(description="Set while the clock is stopped.")


class TicketOut(Schema):
    number: int
    subject: str
    description: str
    type: str
    status: str
    priority: str
    impact: str
    urgency: str
    category: Ref | None
    tags: list[str]
    department: Ref
    team: Ref | None
    assignee: AssigneeRef | None
    support_level: int
    requester: PersonRef
    help_topic: Ref | None
    channel: str
    device: str
    location: str
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    resolution: ResolutionOut
    version: int
    sla: SlaOut
    allowed_actions: list[str] = Field(
        description="The actions under /actions/ the caller may take now."
    )


class TicketPage(Schema):
    items: list[TicketOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page.")


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int


class EntryOut(Schema):
    id: int
    kind: str = Field(description="customer_message, reply, note (internal) or event.")
    internal: bool
    author: Ref | None
    body: str
    body_html: str
    channel: str
    created_at: datetime
    attachments: list[AttachmentOut]


class EntryList(Schema):
    items: list[EntryOut]
    earlier: int = Field(
        default=0, description="Older entries not in items: page on with ?before=<first id>."
    )


class EventOut(Schema):
    id: int
    action: str
    actor: Ref | None
    changes: dict[str, Any]
    note: str
    created_at: datetime


class EventList(Schema):
    items: list[EventOut]


class TokenOut(Schema):
    token: str = Field(description="Shown once; send it as 'Authorization: Bearer <token>'.")


class MeOut(Schema):
    id: int
    email: str
    name: str
    role: str
    support_level: int | None
    language: str = Field(description="Language of the mail Helpline sends this person.")


class MeIn(In):
    name: Annotated[Text, Field(max_length=200)] | None = None
    language: Annotated[Text, Field(max_length=16)] | None = Field(
        default=None, description="One of the instance's languages (settings.LANGUAGES)."
    )


class HealthOut(Schema):
    status: str


class DepartmentList(Schema):
    items: list[Ref]


class HelpTopicOut(Schema):
    id: int
    name: str
    description: str
    department: Ref
    type: str
    priority: str | None = Field(description="Fixed priority, or null: derived from impact.")


class HelpTopicList(Schema):
    items: list[HelpTopicOut]


class AgentOut(Schema):
    id: int
    name: str
    email: str
    support_level: int | None
    departments: list[Ref]
    available: bool


class AgentList(Schema):
    items: list[AgentOut]
