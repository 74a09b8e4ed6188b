"""Webhook posting, run by the worker."""

from __future__ import annotations

from django.tasks import task

from helpline.webhooks import services


@task()
def deliver_webhook(delivery_id: int) -> bool:
    """One attempt at posting a delivery (if it is still due); the sweep retries failures."""
    return services.delivery_attempt(delivery_id)
