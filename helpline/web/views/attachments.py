"""Attachment downloads, for customers and agents alike, only through a permission check.

Files live outside the web root (STORAGES["default"] has no base URL); this view is the only
way out. A customer's list of downloadable files comes from ``selectors.ticket_attachments``,
which leaves out files on internal notes.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest

from helpline.tickets import selectors
from helpline.web.views.common import request_user, ticket_or_404


@login_required
def download(request: HttpRequest, number: int, attachment_id: int) -> FileResponse:
    user = request_user(request)
    ticket = ticket_or_404(user, number)
    allowed = selectors.ticket_attachments(user=user, ticket=ticket)
    attachment = next((a for a in allowed if a.pk == attachment_id), None)
    if attachment is None:
        raise Http404("no such attachment")
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("the file is missing from storage") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    return response
