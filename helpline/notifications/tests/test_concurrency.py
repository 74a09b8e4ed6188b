"""Two workers retrying side effects at the same instant on PostgreSQL: each mail and each
webhook delivery goes out exactly once."""

from __future__ import annotations

import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.db import connection

from helpline import factories
from helpline.conftest import is_postgres
from helpline.core import clock
from helpline.notifications import services
from helpline.notifications.models import OutboundMessage, OutboundStatus
from helpline.notifications.sweeps import retry_side_effects
from helpline.webhooks.models import Delivery, DeliveryStatus, Webhook

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        not is_postgres(),
        reason="needs PostgreSQL: run with DATABASE_URL=postgres://postgres@127.0.0.1:5432/test",
    ),
]

MAILS = 60
DELIVERIES = 30


def in_threads(workers: int, now) -> None:
    barrier = threading.Barrier(workers)
    failures: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait(timeout=30)
            retry_side_effects(now=now)
        except BaseException as error:  # reported below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert failures == []


def test_two_workers_send_each_due_mail_and_delivery_once():
    received: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        customer = factories.customer()
        department = factories.department()
        ticket = factories.ticket(requester=customer, department=department)
        for n in range(MAILS):
            services.outbound_queue(
                ticket=None, event="rule_notify", to=[f"x{n}@example.com"], subject=f"m{n}",
                text="t",
            )  # fmt: skip
        hook = Webhook.objects.create(
            name="h", url=f"http://127.0.0.1:{server.server_port}/", events=[]
        )
        now = clock.now()
        Delivery.objects.bulk_create(
            Delivery(webhook=hook, ticket=ticket, event="rule", payload={}, next_attempt_at=now)
            for _ in range(DELIVERIES)
        )
        mail.outbox.clear()
        in_threads(2, now + timedelta(seconds=1))
    finally:
        server.shutdown()
        server.server_close()
    assert len(mail.outbox) == MAILS
    sent = OutboundMessage.objects.filter(event="rule_notify", status=OutboundStatus.SENT)
    assert sent.filter(attempts=1).count() == MAILS
    assert len(received) == DELIVERIES
    assert Delivery.objects.filter(status=DeliveryStatus.SENT, attempts=1).count() == DELIVERIES
