"""{% thread_items %} writes what web/includes/entry.html writes for each entry, byte for byte."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context
from django.template.loader import render_to_string

from helpline.factories import Desk
from helpline.tickets import selectors, services
from helpline.tickets.models import EntryKind, ThreadEntry
from helpline.web.templatetags.helpline_web import thread_items

pytestmark = pytest.mark.django_db


def test_thread_items_write_the_html_of_the_entry_template_for_every_kind():
    desk = Desk()
    ticket = desk.ticket(description="It <broke> & stopped")
    upload = SimpleUploadedFile("log <1>.txt", b"boom", content_type="text/plain")
    services.ticket_reply(
        actor=desk.customer,
        ticket=ticket,
        body='Still <b>"broken"</b> & more',
        attachments=[upload],
    )
    services.ticket_reply(actor=desk.l1, ticket=ticket, body="We are on it: `code` *now*")
    services.ticket_note(actor=desk.l1, ticket=ticket, body="Internal <script>x</script>")
    services.ticket_escalate(actor=desk.l1, ticket=ticket, note="Needs level two")
    ThreadEntry.objects.filter(ticket=ticket, kind=EntryKind.REPLY).update(author=None)
    entries = selectors.ticket_thread_page(user=desk.l2, ticket=ticket).entries
    kinds = {entry.kind for entry in entries}
    assert {"customer_message", "reply", "note", "event"} <= kinds
    assert any(getattr(entry, "files", None) for entry in entries)

    written = thread_items(Context({"ticket": ticket}), entries)

    expected = "".join(
        render_to_string("web/includes/entry.html", {"entry": entry, "ticket": ticket})
        for entry in entries
    )
    assert written == expected
    assert "<script>" not in written
    assert ">Helpline</strong>" in written  # an entry without an author
    assert "log &lt;1&gt;.txt" in written
