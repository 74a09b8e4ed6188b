"""The knowledge flow in a real browser: a customer follows the printer guide from the
portal, the suggested article solves it, and no ticket is created.

Same fixtures and markers as helpline/web/tests/test_browser.py (Debian's chromium or
CHROMIUM_PATH; skipped without it).
"""

from __future__ import annotations

import os
import re

import pytest

from helpline.catalog.models import Deflection
from helpline.kb.demo import printer_guide
from helpline.kb.tests.factories import article
from helpline.tickets.models import Ticket
from helpline.web.tests.test_browser import log_in

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser


def test_a_customer_follows_the_printer_guide_and_a_suggested_article_solves_it(
    live_server,
    desk,
    browser,
):
    from playwright.sync_api import expect

    fix = article(author=desk.l1, title="Printer shows offline", body="Untick **Use offline**.")
    printer_guide(topic=desk.topic, article=fix)

    customer = log_in(browser, live_server.url, desk.customer.email)
    expect(customer).to_have_url(re.compile(r"/tickets/$"))
    customer.get_by_role("link", name="New ticket").first.click()
    customer.get_by_role("link", name="Printer problems").click()
    expect(customer.locator("#guide-step")).to_contain_text("Is the printer on?")
    customer.get_by_role("button", name="Yes", exact=True).click()
    expect(customer.locator("#guide-step")).to_contain_text("Is the cable plugged in?")
    customer.get_by_role("button", name="Yes", exact=True).click()
    expect(customer.locator("#guide-article")).to_contain_text("Printer shows offline")
    customer.get_by_role("button", name="This solved it").click()
    expect(customer.locator("#deflected")).to_contain_text("No ticket was opened")

    assert Ticket.objects.count() == 0
    deflection = Deflection.objects.get()
    assert (deflection.article, deflection.help_topic) == (fix, desk.topic)


def test_articles_are_suggested_while_typing_the_subject_and_one_solves_it(
    live_server,
    desk,
    browser,
):
    from playwright.sync_api import expect

    fix = article(author=desk.l1, title="Outlook keeps asking for my password", body="Clear it.")
    article(author=desk.l1, title="Outlook internal notes", visibility="internal")

    customer = log_in(browser, live_server.url, desk.customer.email)
    customer.goto("/tickets/new/")
    customer.get_by_label("Subject").press_sequentially("outlook pass", delay=30)
    suggestions = customer.locator("#kb-suggestions")
    expect(suggestions).to_contain_text("Outlook keeps asking for my password")
    expect(suggestions).not_to_contain_text("Outlook internal notes")
    href = suggestions.get_by_role("link", name=fix.title).get_attribute("href")
    customer.goto(href)
    customer.get_by_role("button", name="This solved my problem").click()
    expect(customer.locator("#deflected")).to_contain_text("No ticket was opened")

    assert Ticket.objects.count() == 0
    assert Deflection.objects.get().article == fix
