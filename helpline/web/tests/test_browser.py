"""One end-to-end run in a real browser: customer → level 1 → level 2 → customer confirms.

Needs Debian's chromium (``apt-get install chromium``) or CHROMIUM_PATH; skipped without it.
The ``browser`` fixture is in helpline/conftest.py.
"""

from __future__ import annotations

import os
import re
from typing import Any

import pytest

from helpline.factories import PASSWORD
from helpline.tickets.models import Ticket

# Playwright's sync API runs an asyncio loop in this thread; the ORM calls the test makes
# between browser steps are plain synchronous ones.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser


def log_in(browser: Any, base_url: str, email: str) -> Any:
    """A fresh browser context (its own cookies) logged in as ``email``; returns its page."""
    page = browser.new_context(base_url=base_url).new_page()
    page.set_default_timeout(10_000)
    page.goto("/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    return page


def test_a_ticket_goes_from_customer_to_level_two_and_is_closed_by_the_customer(
    live_server, desk, browser
):
    from playwright.sync_api import expect

    # The customer reports a problem.
    customer = log_in(browser, live_server.url, desk.customer.email)
    expect(customer).to_have_url(re.compile(r"/tickets/$"))
    customer.get_by_role("link", name="New ticket").first.click()
    customer.get_by_label("What do you need help with?").select_option(label="Report a Problem")
    customer.get_by_label("Subject").fill("Projector in room 4 shows no picture")
    customer.get_by_label("Describe the problem").fill("The projector stays blue with HDMI.")
    customer.get_by_label("My team").check()
    customer.get_by_label("Now: work has stopped").check()
    customer.get_by_role("button", name="Send to support").click()
    expect(customer.locator(".message-success")).to_contain_text("is with our support team")
    ticket = Ticket.objects.get(subject="Projector in room 4 shows no picture")
    assert ticket.assignee == desk.l1
    assert (ticket.impact, ticket.urgency) == ("medium", "high")

    # Level 1 finds it in their queue, notes something (htmx, no reload) and escalates.
    level1 = log_in(browser, live_server.url, desk.l1.email)
    expect(level1).to_have_url(re.compile(r"/desk/$"))
    level1.get_by_role("link", name=ticket.subject).click()
    expect(level1.locator("#ticket-head")).to_contain_text(f"#{ticket.number}")
    level1.evaluate("window.notReloaded = true")
    level1.get_by_label("Internal note", exact=True).fill("Checked the cable, it is fine.")
    level1.get_by_role("button", name="Add note").click()
    expect(level1.locator("#conversation .entry-note")).to_contain_text("Checked the cable")
    expect(level1.locator("#messages")).to_contain_text("Internal note added.")
    assert level1.evaluate("window.notReloaded") is True  # swapped in place, no page load
    level1.locator("summary", has_text="Escalate").click()
    level1.get_by_label("To support level").select_option("2")
    level1.get_by_label("Why? (internal note)").fill("Needs the AV specialist.")
    level1.get_by_role("button", name="Escalate", exact=True).click()
    expect(level1.locator("#messages")).to_contain_text("Escalated to level 2")
    ticket.refresh_from_db()
    assert (ticket.support_level, ticket.assignee) == (2, desk.l2)

    # Level 2 resolves it with a resolution record.
    level2 = log_in(browser, live_server.url, desk.l2.email)
    level2.get_by_role("link", name=ticket.subject).click()
    level2.locator("summary", has_text="Resolve").click()
    level2.get_by_label("Problem identified").fill("The HDMI input was disabled")
    level2.get_by_label("Action taken").fill("Enabled HDMI in the projector menu")
    level2.get_by_label("Confirmation").fill("Tested with a laptop")
    level2.get_by_role("button", name="Resolve", exact=True).click()
    expect(level2.locator("#ticket-head .status")).to_have_text("Resolved")

    # The customer sees the resolution, never the notes, and confirms.
    customer.goto(f"/tickets/{ticket.number}/")
    expect(customer.locator("#resolution")).to_contain_text("Enabled HDMI in the projector menu")
    expect(customer.locator("body")).not_to_contain_text("Needs the AV specialist")
    expect(customer.locator("body")).not_to_contain_text("Checked the cable")
    customer.get_by_role("button", name="Yes, it's fixed").click()
    expect(customer.locator("#ticket-head .status")).to_have_text("Closed")
    ticket.refresh_from_db()
    assert ticket.status == "closed"
