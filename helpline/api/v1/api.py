"""The NinjaAPI of v1: bearer auth on everything but health and token issue, one error shape.

OpenAPI at /api/v1/openapi.json, interactive docs at /api/v1/docs (assets served by the app).
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, connection
from django.http import HttpRequest
from ninja import NinjaAPI, Status

from helpline.api.v1 import actions, auth, directory, threads, tickets
from helpline.api.v1 import catalog as catalog_api
from helpline.api.v1 import csat as csat_api
from helpline.api.v1 import kb as kb_api
from helpline.api.v1 import macros as macros_api
from helpline.api.v1 import metrics as metrics_api
from helpline.api.v1 import notifications as notifications_api
from helpline.api.v1 import rules as rules_api
from helpline.api.v1 import search as search_api
from helpline.api.v1 import sla as sla_api
from helpline.api.v1 import timetrack as timetrack_api
from helpline.api.v1 import views as views_api
from helpline.api.v1 import webhooks as webhooks_api
from helpline.api.v1.errors import install_handlers
from helpline.api.v1.schemas import HealthOut

logger = logging.getLogger(__name__)

api = NinjaAPI(
    title="Helpline API",
    version="1",
    description=(
        "The JSON API of Helpline. Authenticate with `POST /auth/token`, then send "
        '`Authorization: Bearer <token>`. Errors are `{"error": {"code", "message", '
        '"fields"}}` with a 4xx status; invalid input is 400 `validation_error`.'
    ),
    auth=auth.BearerAuth(),
    urls_namespace="api-v1",
)
install_handlers(api)


@api.get("/health", auth=None, response={200: HealthOut, 503: HealthOut}, tags=["system"])
def health(request: HttpRequest) -> Status[HealthOut]:
    """Up, and the database answers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("health check: the database does not answer")
        return Status(503, HealthOut(status="unavailable"))
    return Status(200, HealthOut(status="ok"))


api.add_router("", auth.router)
api.add_router("", tickets.router)
api.add_router("", threads.router)
api.add_router("", actions.router)
api.add_router("", directory.router)
api.add_router("", rules_api.router)
api.add_router("", macros_api.router)
api.add_router("", kb_api.router)
api.add_router("", catalog_api.router)
api.add_router("", notifications_api.router)
api.add_router("", webhooks_api.router)
api.add_router("", sla_api.router)
api.add_router("", search_api.router)
api.add_router("", views_api.router)
api.add_router("", csat_api.router)
api.add_router("", timetrack_api.router)
api.add_router("", metrics_api.router)
