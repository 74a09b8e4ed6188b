"""Path parameters. A ticket number is 1 to 18 digits: anything else is not a ticket path at
all, so it falls through to the JSON 404 instead of overflowing a database integer."""

from __future__ import annotations

from django.urls import register_converter


class TicketNumberConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(TicketNumberConverter, "ticket_number")

TICKET = "{ticket_number:number}"
