"""Demo knowledge: articles (public and internal), the service catalog, and the printer guide
on the "Report a Problem" help topic. Made through the services, like everything in the demo."""

from __future__ import annotations

from typing import Any

from helpline.catalog.models import Guide, GuideStep, RequestType, Service, StepKind
from helpline.kb import services
from helpline.kb.models import KbCategory, KbSettings

# category, title, visibility, keywords, body
ARTICLES = [
    (
        "Printing",
        "Printer shows offline",
        "public",
        "printer, offline, print queue",
        "If your printer shows **offline**:\n\n1. Open *Settings › Printers*.\n"
        "2. Select the printer and choose **See what's printing**.\n"
        "3. In the *Printer* menu, untick **Use printer offline**.\n"
        "4. Cancel stuck documents and print again.",
    ),
    (
        "Printing",
        "Printer driver reinstall (agents)",
        "internal",
        "printer, driver",
        "Remove the device in *Print Management*, then deploy the driver package from the "
        "software centre. Check the port is the printer's DNS name, not its IP.",
    ),
    (
        "Network",
        "Connecting to the VPN",
        "public",
        "vpn, remote, network",
        "Start **GlobalConnect**, enter `vpn.americorp.example` and log in with your usual "
        "account. If it says *gateway unreachable*, check your home network first.",
    ),
    (
        "Accounts",
        "Reset your password",
        "public",
        "password, account, login",
        "Go to the self-service portal at `https://password.americorp.example`, answer your "
        "security questions and choose a new password of at least 12 characters.",
    ),
    (
        "Email",
        "Outlook keeps asking for my password",
        "public",
        "outlook, password, email",
        "Close Outlook, open *Credential Manager*, remove the entries starting with "
        "`MicrosoftOffice`, start Outlook and sign in once.",
    ),
    (
        "Email",
        "Outlook profile rebuild (agents)",
        "internal",
        "outlook, profile",
        "Create a new profile in *Control Panel › Mail*, set it as default and keep the old "
        "one for a week in case the user misses local rules.",
    ),
]

# service, description, [(request type, description, help topic name, fulfilment hours, extra)]
CATALOG = [
    (
        "Workplace equipment",
        "Computers and accessories for your work.",
        [
            (
                "New laptop",
                "A standard laptop for a new starter or a replacement.",
                "General Inquiry",
                40,
                [{"name": "cost_centre", "label": "Cost centre", "required": True}],
            ),
        ],
    ),
    (
        "Software",
        "Installing licensed software.",
        [
            (
                "Software install",
                "Install an application from the approved list.",
                "General Inquiry",
                16,
                [{"name": "software", "label": "Which software?", "required": True}],
            ),
        ],
    ),
    (
        "Accounts and access",
        "Access to systems, shares and mailboxes.",
        [
            (
                "Access request",
                "Access to a system, a shared folder or a mailbox.",
                "General Inquiry",
                8,
                [
                    {"name": "system", "label": "System or folder", "required": True},
                    {"name": "approver", "label": "Approving manager", "required": False},
                ],
            ),
        ],
    ),
]


def seed_knowledge(*, author: Any, admin: Any, topics: dict[str, Any]) -> None:
    """Load the demo articles, catalog and printer guide. ``author`` is an agent."""
    categories = {
        name: KbCategory.objects.create(name=name, slug=name.lower(), order=order)
        for order, name in enumerate(["Printing", "Network", "Accounts", "Email"])
    }
    articles = {}
    for category, title, visibility, keywords, body in ARTICLES:
        article = services.article_create(
            actor=author,
            title=title,
            body=body,
            keywords=keywords,
            category=categories[category],
            visibility=visibility,
        )
        articles[title] = services.article_transition(
            actor=author, article=article, action="publish"
        )
    for order, (name, description, request_types) in enumerate(CATALOG):
        service = Service.objects.create(
            name=name, slug=name.lower().replace(" ", "-"), description=description, order=order
        )
        for rt_order, (rt_name, rt_description, topic, hours, extra) in enumerate(request_types):
            RequestType.objects.create(
                service=service,
                name=rt_name,
                description=rt_description,
                help_topic=topics.get(topic),
                fulfilment_hours=hours,
                extra_fields=extra,
                order=rt_order,
            )
    printer_guide(topic=topics.get("Report a Problem"), article=articles["Printer shows offline"])
    KbSettings.objects.update_or_create(pk=1, defaults={"anonymous_reading": True})


def printer_guide(*, topic: Any, article: Any) -> Guide:
    guide = Guide.objects.create(
        name="Printer problems",
        intro="Three quick checks fix most printer problems.",
        help_topic=topic,
        required_fields=["device", "location", "error_message"],
    )
    on = GuideStep.objects.create(guide=guide, order=1, text="Is the printer on?")
    cable = GuideStep.objects.create(guide=guide, order=2, text="Is the cable plugged in?")
    offline = GuideStep.objects.create(
        guide=guide,
        order=5,
        kind=StepKind.INSTRUCTION,
        text="Check whether Windows shows the printer as offline",
        article=article,
    )
    switch_on = GuideStep.objects.create(
        guide=guide,
        order=3,
        kind=StepKind.INSTRUCTION,
        text="Switch the printer on and wait a minute until it is ready",
        detail="The display shows “Ready” when it is.",
        on_yes=offline,
    )
    plug_in = GuideStep.objects.create(
        guide=guide,
        order=4,
        kind=StepKind.INSTRUCTION,
        text="Plug the cable in firmly at both ends",
        on_yes=offline,
    )
    on.on_no = switch_on
    on.on_yes = cable
    on.save(update_fields=["on_no", "on_yes"])
    cable.on_no = plug_in
    cable.on_yes = offline
    cable.save(update_fields=["on_no", "on_yes"])
    # The offline check is the last step: continuing past it opens the ticket form.
    return guide
