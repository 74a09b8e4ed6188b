from __future__ import annotations

import io
import sys
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connection, connections
from django.urls import reverse

from helpline.mail.management.commands import mail_ingest
from helpline.mail.models import InboundMessage, InboundStatus, Mailbox
from helpline.mail.services import MailTemporaryFailure, ingest
from helpline.mail.tests.factories import message
from helpline.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def pipe(monkeypatch: Any, raw: bytes, *args: str) -> tuple[int, str]:
    """Run ``helpline mail-ingest ARGS`` with ``raw`` on standard input, as an MTA would."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    # run_from_argv closes the connections when done, which would end the test's transaction.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        mail_ingest.Command(stdout=out, stderr=out).run_from_argv(
            ["helpline", "mail_ingest", *args]
        )
    return int(exit_info.value.code or 0), out.getvalue()


def test_the_pipe_exits_0_and_opens_a_ticket(
    desk: Any, support_box: Mailbox, monkeypatch: Any
) -> None:
    code, out = pipe(monkeypatch, message(), "--mailbox", "support")

    assert code == 0
    ticket = Ticket.objects.get()
    assert f"created (ticket #{ticket.number})" in out
    assert ticket.department == desk.department


@pytest.mark.parametrize(
    "raw",
    [
        message(headers={"Auto-Submitted": "auto-replied"}),  # ignored
        b"\x00\xff garbage\r\n",  # quarantined
    ],
)
def test_the_pipe_exits_0_for_ignored_and_quarantined_mail(
    desk: Any, support_box: Mailbox, monkeypatch: Any, raw: bytes
) -> None:
    code, _ = pipe(monkeypatch, raw)

    assert code == 0
    assert InboundMessage.objects.get().status in (
        InboundStatus.IGNORED,
        InboundStatus.QUARANTINED,
    )


def test_the_pipe_exits_75_when_the_database_is_down(
    desk: Any, support_box: Mailbox, monkeypatch: Any
) -> None:
    def outage(raw: bytes, **kwargs: Any) -> Any:
        raise MailTemporaryFailure("database unavailable")

    monkeypatch.setattr(mail_ingest, "ingest", outage)

    code, out = pipe(monkeypatch, message())

    assert code == mail_ingest.EX_TEMPFAIL == 75
    assert "temporary failure" in out


@pytest.mark.parametrize(
    ("raw", "args"),
    [(b"", ()), (b"From: a@example.org\r\n\r\nhi", ("--mailbox", "nope")), (b"x", ("--bogus",))],
)
def test_the_pipe_exits_64_on_bad_usage(
    desk: Any, support_box: Mailbox, monkeypatch: Any, raw: bytes, args: tuple[str, ...]
) -> None:
    code, _ = pipe(monkeypatch, raw, *args)

    assert code == mail_ingest.EX_USAGE == 64
    assert not InboundMessage.objects.exists()


def test_ingest_reports_a_database_outage_as_a_temporary_failure(
    desk: Any, support_box: Mailbox
) -> None:
    def down(*args: Any, **kwargs: Any) -> Any:  # every statement fails, as in an outage
        raise OperationalError("could not connect to server")

    with pytest.raises(MailTemporaryFailure), connection.execute_wrapper(down):
        ingest(message(), mailbox=support_box)
    assert not InboundMessage.objects.exists()


def test_mail_reprocess_processes_a_quarantined_message_again(
    desk: Any, support_box: Mailbox, settings: Any
) -> None:
    settings.HELPLINE_MAIL_RATE_LIMIT = 1
    ingest(message(subject="one"), mailbox=support_box)
    held = ingest(message(subject="two"), mailbox=support_box)
    assert held.status == InboundStatus.QUARANTINED
    out = io.StringIO()

    call_command("mail_reprocess", str(held.message.pk), stdout=out)

    held.message.refresh_from_db()
    assert held.message.status == InboundStatus.CREATED
    assert held.message.attempts == 2
    assert f"{held.message.pk}: created" in out.getvalue()
    assert Ticket.objects.count() == 2


def test_mail_reprocess_refuses_a_message_not_in_quarantine(
    desk: Any, support_box: Mailbox
) -> None:
    done = ingest(message(), mailbox=support_box)

    with pytest.raises(CommandError):
        call_command(
            "mail_reprocess", str(done.message.pk), stdout=io.StringIO(), stderr=io.StringIO()
        )

    assert Ticket.objects.count() == 1


def test_the_quarantine_is_listed_in_the_admin_with_constant_queries(
    desk: Any, support_box: Mailbox, client: Any, django_assert_max_num_queries: Any
) -> None:
    desk.admin.is_staff = True
    desk.admin.is_superuser = True
    desk.admin.save()
    client.force_login(desk.admin)
    for i in range(3):
        ingest(f"Subject: broken {i}\r\n\r\nno sender\r\n".encode(), mailbox=support_box)
    url = reverse("admin:mail_quarantinedmessage_changelist")
    client.get(url)

    with django_assert_max_num_queries(12):
        response = client.get(url)
    for i in range(3, 13):
        ingest(f"Subject: broken {i}\r\n\r\nno sender\r\n".encode(), mailbox=support_box)
    with django_assert_max_num_queries(12):
        response = client.get(url)

    assert response.status_code == 200
    assert b"broken 12" in response.content


def test_the_admin_shows_a_quarantined_message_with_its_raw_bytes(
    desk: Any, support_box: Mailbox, client: Any
) -> None:
    desk.admin.is_staff = True
    desk.admin.is_superuser = True
    desk.admin.save()
    client.force_login(desk.admin)
    held = ingest(b"Subject: <b>bold</b>\r\n\r\nno sender here\r\n", mailbox=support_box)

    response = client.get(reverse("admin:mail_quarantinedmessage_change", args=[held.message.pk]))

    assert response.status_code == 200
    assert b"no sender here" in response.content
    assert b"&lt;b&gt;bold&lt;/b&gt;" in response.content


def test_the_admin_reprocess_action_creates_the_ticket(
    desk: Any, support_box: Mailbox, client: Any, settings: Any
) -> None:
    desk.admin.is_staff = True
    desk.admin.is_superuser = True
    desk.admin.save()
    client.force_login(desk.admin)
    settings.HELPLINE_MAIL_RATE_LIMIT = 1
    ingest(message(subject="one"), mailbox=support_box)
    held = ingest(message(subject="two"), mailbox=support_box)

    response = client.post(
        reverse("admin:mail_quarantinedmessage_changelist"),
        {"action": "reprocess", "_selected_action": [held.message.pk]},
        follow=True,
    )

    assert response.status_code == 200
    held.message.refresh_from_db()
    assert held.message.status == InboundStatus.CREATED
    assert Ticket.objects.filter(subject="two").exists()


def test_the_admin_dismiss_action_takes_a_message_out_of_quarantine(
    desk: Any, support_box: Mailbox, client: Any
) -> None:
    desk.admin.is_staff = True
    desk.admin.is_superuser = True
    desk.admin.save()
    client.force_login(desk.admin)
    held = ingest(b"Subject: spam\r\n\r\nno sender\r\n", mailbox=support_box)

    client.post(
        reverse("admin:mail_quarantinedmessage_changelist"),
        {"action": "dismiss", "_selected_action": [held.message.pk]},
    )

    held.message.refresh_from_db()
    assert held.message.status == InboundStatus.DISMISSED


def test_bench_mail_prints_a_markdown_section_and_leaves_no_rows(desk: Any) -> None:
    out = io.StringIO()

    call_command("bench_mail", messages=6, stdout=out)

    assert out.getvalue().startswith("## Mail ingestion")
    assert "3 opened tickets and 3 threaded" in out.getvalue()
    assert not InboundMessage.objects.exists()
    assert not Mailbox.objects.filter(name="bench-mail").exists()


@pytest.mark.parametrize("model", ["inboundmessage", "mailbox", "mailpolicy"])
def test_the_mail_admin_lists_use_constant_queries(
    desk: Any, client: Any, django_assert_max_num_queries: Any, model: str
) -> None:
    from helpline.directory.models import Department
    from helpline.mail.models import MailPolicy

    desk.admin.is_staff = True
    desk.admin.is_superuser = True
    desk.admin.save()
    client.force_login(desk.admin)
    url = reverse(f"admin:mail_{model}_changelist")

    def add(n: int) -> None:
        start = Mailbox.objects.count()
        for i in range(start, start + n):
            department = Department.objects.create(name=f"Dept {model} {i}", slug=f"d-{model}-{i}")
            box = Mailbox.objects.create(name=f"box {i}", address=f"box{i}@x.example")
            MailPolicy.objects.create(department=department)
            ingest(message(sender=f"s{i}@example.org"), mailbox=box)

    add(2)
    client.get(url)
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200
    add(8)
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200
