"""The rule runs, done by the worker (never in the request that changed the ticket)."""

from __future__ import annotations

from django.tasks import task

from helpline.rules.runner import run_rules


@task()
def run_ticket_rules(ticket_id: int, trigger: str, fired: list[int | str], depth: int) -> int:
    """Run the rules of ``trigger`` on a ticket; returns how many matched."""
    result = run_rules(ticket_id=ticket_id, trigger=trigger, fired=fired, depth=depth)
    return len(result.runs)
