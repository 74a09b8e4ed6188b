"""bench-seed: a data set of the asked size, resumable, searchable, numbered after the counter.

Small N only; nothing here is timed.
"""

from __future__ import annotations

import random
from collections import Counter as Tally

import pytest
from django.core.management import call_command

from helpline.bench.seed import seed_long_thread, seed_tickets
from helpline.bench.words import TextSource, Vocabulary
from helpline.search.selectors import search_tickets
from helpline.search.services import search_reindex
from helpline.sla.sweeps import run_sweeps
from helpline.tickets.models import ThreadEntry, Ticket


def numbers(user, query: str) -> set[int]:
    return {hit.ticket.number for hit in search_tickets(user=user, query=query, limit=100).hits}


@pytest.mark.django_db
def test_seed_makes_n_tickets_with_3_to_8_entries_tags_and_sla_due_times():
    added = seed_tickets(tickets=60, batch_size=25)

    assert added == 60
    assert Ticket.objects.count() == 60
    per_ticket = Tally(ThreadEntry.objects.values_list("ticket_id", flat=True))
    assert set(per_ticket) == set(Ticket.objects.values_list("id", flat=True))
    assert all(3 <= count <= 8 for count in per_ticket.values())
    assert Ticket.tags.through.objects.exists()
    open_tickets = Ticket.objects.filter(status="open")
    assert all(t.resolution_due_at and t.first_response_due_at for t in open_tickets)
    assert not Ticket.objects.filter(status="closed", closed_at__isnull=True).exists()


@pytest.mark.django_db
def test_a_seeded_desk_leaves_the_sweeps_nothing_to_close_resolve_or_remind():
    seed_tickets(tickets=400, batch_size=100)
    assert Ticket.objects.filter(status="pending").exists()

    report = run_sweeps()

    assert (report.auto_closed, report.auto_resolved, report.reminders) == (0, 0, 0)
    assert report.errors == []


@pytest.mark.django_db
def test_the_queue_counts_of_a_seeded_desk_are_its_active_tickets_one_row_per_key():
    from django.db.models import Count

    from helpline.tickets.models import QueueCount
    from helpline.tickets.selectors import QUEUE_STATUSES

    seed_tickets(tickets=300, batch_size=100)

    active = Ticket.objects.filter(status__in=QUEUE_STATUSES).values("department_id", "assignee_id")
    expected = {
        (row["department_id"], row["assignee_id"] or 0, row["n"])
        for row in active.annotate(n=Count("*"))
    }
    kept = set(QueueCount.objects.values_list("department_id", "assignee_id", "active"))
    assert kept == expected


@pytest.mark.django_db
def test_seeding_again_adds_only_the_missing_tickets():
    seed_tickets(tickets=30, batch_size=20)

    assert seed_tickets(tickets=45, batch_size=20) == 15
    assert seed_tickets(tickets=45) == 0
    assert Ticket.objects.count() == 45
    assert Ticket.objects.values("number").distinct().count() == 45


@pytest.mark.django_db
def test_a_ticket_created_after_seeding_gets_a_new_number(desk):
    seed_tickets(tickets=20)
    highest = max(Ticket.objects.values_list("number", flat=True))

    ticket = desk.ticket(subject="After the bench seed")

    assert ticket.number > highest


@pytest.mark.django_db
def test_seeded_tickets_and_entries_are_in_the_search_index(desk):
    seed_tickets(tickets=40, batch_size=15)
    ticket = Ticket.objects.order_by("?").first()
    entry = ThreadEntry.objects.filter(ticket=ticket, kind="reply").first() or (
        ThreadEntry.objects.filter(ticket=ticket).first()
    )
    by_description = f'"{" ".join(ticket.description.split()[:4])}"'
    by_entry = f'"{" ".join(entry.body.split()[:4])}"'

    assert ticket.number in numbers(desk.admin, by_description)
    assert entry.ticket.number in numbers(desk.admin, by_entry)
    common = numbers(desk.admin, "password")
    search_reindex()
    assert common and numbers(desk.admin, "password") == common


@pytest.mark.django_db
def test_the_long_thread_ticket_is_made_once_with_its_entries():
    number = seed_long_thread(entries=40)

    assert seed_long_thread(entries=40) == number
    assert ThreadEntry.objects.filter(ticket__number=number).count() == 40


@pytest.mark.django_db
def test_bench_seed_command_reports_what_it_added(capsys):
    call_command("bench_seed", tickets=12, long_thread=10)

    assert "12 tickets added" in capsys.readouterr().out
    assert Ticket.objects.count() == 13


def test_text_is_deterministic_and_the_rare_word_occurs_in_the_corpus():
    vocabulary = Vocabulary.build()
    first = TextSource(random.Random(1), vocabulary)
    second = TextSource(random.Random(1), vocabulary)

    assert [first.words(5, 9) for _ in range(20)] == [second.words(5, 9) for _ in range(20)]
    assert vocabulary.rare_word in first.corpus
    counts = Tally(first.corpus)
    assert counts[vocabulary.common_word] > 100 * counts[vocabulary.rare_word]
