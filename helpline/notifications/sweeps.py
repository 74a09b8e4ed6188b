"""The worker's retry sweep for failed side effects: outbox mail and webhook deliveries.

Called every minute by ``run_sweeps`` (helpline.sla.sweeps). Each message or delivery is
claimed by a conditional UPDATE before it is attempted, so several workers never send the
same one twice.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from helpline.notifications.services import outbound_retry_due

log = logging.getLogger(__name__)


def retry_side_effects(*, now: datetime, report: Any = None) -> tuple[int, int]:
    """Retry due mail and webhook deliveries; (mails sent, webhooks delivered). A failure
    is logged (and added to ``report.errors`` if given), never raised."""
    from helpline.webhooks.services import delivery_retry_due

    results = []
    for name, retry in (("mail", outbound_retry_due), ("webhooks", delivery_retry_due)):
        try:
            results.append(retry(now=now))
        except Exception as error:  # one failing kind must not stop the other sweeps
            log.exception("%s retry sweep failed", name)
            if report is not None:
                report.errors.append(f"{name} retries: {error}")
            results.append(0)
    if any(results):
        log.info("retried side effects: %s mails sent, %s webhooks delivered", *results)
    return results[0], results[1]
