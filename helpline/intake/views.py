"""``POST /api/tickets.json``: osTicket's ticket API, so existing integrations can switch by
changing the URL. A plain Django view (not the Ninja API): osTicket clients send
``X-API-Key`` and expect plain-text answers.

201 with the ticket number as text/plain; 400 a payload that cannot make a ticket; 401 no
key or an unknown or disabled one; 403 a key used from an address it is not bound to; 405 not
a POST; 413 a body over ``INTAKE_MAX_BYTES``; 415 a body that is not JSON (osTicket also
takes XML and email; Helpline takes JSON only).
"""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from helpline.core.errors import DomainError
from helpline.intake.payload import PayloadError, parse_payload
from helpline.intake.services import api_key_authenticate, intake_ticket_create


def _plain(status: int, text: str) -> HttpResponse:
    return HttpResponse(text + "\n", status=status, content_type="text/plain; charset=utf-8")


def _max_bytes() -> int:
    return int(settings.HELPLINE_INTAKE_MAX_BYTES)


@csrf_exempt
def tickets_json(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        response = _plain(405, "Method not allowed")
        response["Allow"] = "POST"
        return response
    key = api_key_authenticate(request.headers.get("X-API-Key", ""))
    if key is None:
        return _plain(401, "API key not found/active or source IP not authorized")
    if not key.allows(request.META.get("REMOTE_ADDR", "")):
        return _plain(403, "Source IP not authorized for this API key")
    content_type = request.content_type or ""
    if content_type not in ("application/json", "text/json"):
        return _plain(415, "Unsupported data format: send JSON (Content-Type: application/json)")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _plain(400, "Invalid Content-Length")
    limit = _max_bytes()
    if length > limit:
        return _plain(413, f"Request too large (at most {limit} bytes)")
    body = request.read(limit + 1)
    if len(body) > limit:
        return _plain(413, f"Request too large (at most {limit} bytes)")
    try:
        data = json.loads(body.decode(request.encoding or "utf-8"))
        payload = parse_payload(data)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return _plain(400, "Invalid JSON")
    except PayloadError as error:
        return _plain(400, str(error))
    try:
        ticket = intake_ticket_create(key=key, payload=payload)
    except DomainError as error:
        return _plain(400 if error.status < 500 else error.status, error.message)
    return _plain(201, str(ticket.number))
