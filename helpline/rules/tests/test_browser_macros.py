"""The macro picker in a real browser: choosing a macro fills the reply box, and the reply
sends. Needs chromium (see helpline/web/tests/test_browser.py); skipped without it."""

from __future__ import annotations

import os
from typing import Any

import pytest

from helpline.rules.tests import factories as rule_factories
from helpline.tickets.models import EntryKind
from helpline.web.tests.test_browser import log_in

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
pytestmark = pytest.mark.browser


def test_choosing_a_macro_fills_the_reply_box_and_the_reply_is_sent(
    live_server: Any,
    desk: Any,
    browser: Any,
) -> None:
    from playwright.sync_api import expect

    rule_factories.macro(name="Ask for logs", body="Hi {{ requester.name }}, send the logs.")
    ticket = desk.ticket(subject="Laptop is slow")
    page = log_in(browser, live_server.url, desk.l1.email)
    page.goto(f"/desk/tickets/{ticket.number}/")
    reply = page.get_by_label("Your reply")
    reply.fill("Thanks for reporting.")
    page.get_by_label("Insert a canned response").select_option(label="Ask for logs")
    expect(page.get_by_label("Your reply")).to_have_value(
        "Thanks for reporting.\n\nHi Carol Customer, send the logs."
    )
    expect(page.locator("#conversation")).to_contain_text("Something does not work.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator("#conversation .entry-reply")).to_contain_text("send the logs")
    assert ticket.entries.filter(kind=EntryKind.REPLY, body__contains="send the logs").exists()
