"""In-app notifications and the caller's notification preferences."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field, StrictBool

from helpline.api.v1.auth import caller
from helpline.api.v1.schemas import ERRORS, MAX_ID, In, QueryId
from helpline.notifications import selectors, services
from helpline.notifications.models import Notification
from helpline.tickets import access

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    event: str
    text: str
    ticket_number: int | None
    read_at: datetime | None
    created_at: datetime


class NotificationPage(Schema):
    items: list[NotificationOut]
    unread: int = Field(description=f"Unread notifications, counted up to {selectors.COUNT_CAP}.")
    next_before: int | None = Field(description="Pass as ?before= for the next (older) page.")


class NotificationFilter(Schema):
    unread: bool = False
    before: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50


class PreferenceOut(Schema):
    event: str
    label: str
    email: bool
    in_app: bool


class PreferenceList(Schema):
    items: list[PreferenceOut]


class PreferenceChange(In):
    email: StrictBool | None = None
    in_app: StrictBool | None = None


class PreferencesIn(In):
    preferences: dict[str, PreferenceChange] = Field(
        description='{event: {"email": bool, "in_app": bool}}; either key may be left out.'
    )


def _out(notification: Notification) -> NotificationOut:
    return NotificationOut(
        id=notification.pk,
        event=notification.event,
        text=notification.text,
        ticket_number=notification.ticket.number if notification.ticket else None,
        read_at=notification.read_at,
        created_at=notification.created_at,
    )


@router.get("/notifications", response={200: NotificationPage, **ERRORS})
def notification_list(request: HttpRequest, filters: Query[NotificationFilter]) -> NotificationPage:
    """The caller's notifications, newest first."""
    user = caller(request)
    page = selectors.notification_list(
        user=user, before=filters.before, unread_only=filters.unread, limit=filters.limit
    )
    return NotificationPage(
        items=[_out(n) for n in page.items],
        unread=selectors.unread_count(user),
        next_before=page.next_before,
    )


@router.post("/notifications/{notification_id}/read", response={200: NotificationOut, **ERRORS})
def notification_read(request: HttpRequest, notification_id: QueryId) -> NotificationOut:
    """Mark one notification read (again is fine). Another person's is 404."""
    notification = services.notification_mark_read(
        actor=caller(request), notification_id=notification_id
    )
    return _out(notification)


def _preferences(user: object) -> PreferenceList:
    return PreferenceList(
        items=[
            PreferenceOut(event=p.event, label=p.label, email=p.email, in_app=p.in_app)
            for p in services.preferences_for(user)  # type: ignore[arg-type]
        ]
    )


@router.get("/me/notification-preferences", response={200: PreferenceList, **ERRORS})
def preferences_get(request: HttpRequest) -> PreferenceList:
    """How the caller (an agent) hears about each event."""
    user = caller(request)
    access.check_is_agent(user, "have notification preferences")
    return _preferences(user)


@router.patch("/me/notification-preferences", response={200: PreferenceList, **ERRORS})
def preferences_patch(request: HttpRequest, payload: PreferencesIn) -> PreferenceList:
    user = caller(request)
    access.check_is_agent(user, "have notification preferences")
    changes = {
        event: change.model_dump(exclude_none=True) for event, change in payload.preferences.items()
    }
    services.preferences_update(actor=user, changes=changes)
    return _preferences(user)
