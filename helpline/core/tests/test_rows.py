"""RowReader: instances read with hand-written SQL are the ORM's instances."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Count
from django.db.models.functions import Upper
from django.db.models.signals import post_init, pre_save
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext

from helpline.audit.models import AuditEvent
from helpline.core.rows import (
    RowReader,
    insert,
    prefetched,
    returns_from_update,
    set_prefetched,
    update,
)
from helpline.directory.models import Department, Tag
from helpline.factories import Desk
from helpline.tickets.models import Ticket

pytestmark = pytest.mark.django_db

RELATED = ("requester", "assignee", "department", "team", "help_topic")


def _fields(instance: object) -> dict[str, object]:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}  # type: ignore[attr-defined]


def test_a_ticket_read_by_a_row_reader_equals_the_orm_read_field_by_field() -> None:
    desk = Desk()
    ticket = desk.ticket(help_topic=desk.topic)
    expected = Ticket.objects.select_related(*RELATED).get(pk=ticket.pk)

    read = RowReader(Ticket, "t.id = %s", related=RELATED).one(ticket.pk)

    assert read is not None
    assert _fields(read) == _fields(expected)
    # Built without Model.__init__: nothing but the columns besides the state.
    assert vars(read).keys() - {"_state"} == {f.attname for f in Ticket._meta.concrete_fields}
    assert read.created_at.tzinfo is not None  # converted as the ORM converts
    assert read._state.adding is False and read._state.db == "default"
    for name in ("requester", "department", "help_topic"):
        assert _fields(getattr(read, name)) == _fields(getattr(expected, name))


def test_related_objects_come_with_the_row_and_a_null_key_gives_none_without_a_query() -> None:
    desk = Desk()
    ticket = desk.ticket()
    Ticket.objects.filter(pk=ticket.pk).update(assignee=None, team=None)

    read = RowReader(Ticket, "t.id = %s", related=RELATED).one(ticket.pk)

    assert read is not None
    with CaptureQueriesContext(connection) as queries:
        assert read.requester == desk.customer
        assert read.requester.email == desk.customer.email
        assert read.department.name == "Helpdesk"
        assert read.assignee is None
        assert read.team is None
        assert read.help_topic is None
    assert len(queries) == 0
    assert read.assignee_id is None


def test_json_columns_are_decoded_and_no_match_gives_none() -> None:
    desk = Desk()
    event = AuditEvent.objects.create(
        actor=desk.admin, action="x.y", object_type="a.b", object_id="1", changes={"k": [1, 2]}
    )
    reader = RowReader(AuditEvent, "t.id = %s", related=("actor",))

    read = reader.one(event.pk)

    assert read is not None and read.changes == {"k": [1, 2]}
    assert model_to_dict(read.actor) == model_to_dict(desk.admin)
    assert reader.one(event.pk + 1000) is None
    assert reader.all(event.pk) == [read]


def test_values_are_the_orm_values_of_each_row_without_instances() -> None:
    desk = Desk()
    tickets = [desk.ticket(), desk.ticket(help_topic=desk.topic)]
    expected = list(Ticket.objects.filter(pk__in=[t.pk for t in tickets]).order_by("id").values())
    reader = RowReader(Ticket, "t.department_id = %s", order="t.id")

    rows = reader.values(desk.department.pk)

    assert rows == expected  # same keys (attnames) and values, converted as the ORM does
    assert rows[0]["created_at"].tzinfo is not None
    assert reader.values(-1) == []


def test_values_refuse_a_reader_with_related_rows() -> None:
    with pytest.raises(ValueError, match="main model's columns only"):
        RowReader(Ticket, "t.id = %s", related=("requester",)).values(1)


def test_a_related_name_that_is_not_a_foreign_key_is_refused() -> None:
    reader = RowReader(Ticket, "t.id = %s", related=("subject",))

    with pytest.raises(TypeError, match="not a foreign key"):
        reader.one(1)


def test_insert_writes_the_row_save_would_and_sets_the_key() -> None:
    desk = Desk()
    ticket = desk.ticket()
    event = AuditEvent(
        actor=desk.admin,
        action="x.y",
        object_type="a.b",
        object_id="7",
        ticket=ticket,
        changes={"status": ["new", "open"]},
        note="é",
    )

    insert(event)

    assert event.pk is not None and event._state.adding is False
    stored = AuditEvent.objects.get(pk=event.pk)
    assert _fields(stored) == _fields(event)
    assert stored.created_at == event.created_at


def test_insert_raises_integrity_error_as_save_would() -> None:
    desk = Desk()
    ticket = desk.ticket()
    duplicate = Ticket(
        number=ticket.number,
        subject="x",
        description="y",
        requester=desk.customer,
        department=desk.department,
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        insert(duplicate)


def test_update_writes_only_the_named_fields() -> None:
    desk = Desk()
    ticket = desk.ticket()
    Ticket.objects.filter(pk=ticket.pk).update(subject="changed elsewhere")
    ticket.location = "Room 5"
    ticket.version += 1

    update(ticket, ["location", "version", "location"])

    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.location, stored.version) == ("Room 5", ticket.version)
    assert stored.subject == "changed elsewhere"  # not named: left as it was


def test_update_of_a_row_that_is_gone_raises_as_save_would() -> None:
    desk = Desk()
    ticket = desk.ticket()
    ghost = Ticket.objects.get(pk=ticket.pk)
    ghost.pk = ticket.pk + 1000

    with pytest.raises(DatabaseError, match="no row to update"):
        update(ghost, ["location"])


def test_insert_of_a_model_with_save_receivers_goes_through_the_orm_so_they_run() -> None:
    desk = Desk()
    seen: list[str] = []

    def receiver(sender: object, instance: AuditEvent, **kwargs: object) -> None:
        seen.append(instance.action)

    pre_save.connect(receiver, sender=AuditEvent)
    try:
        event = AuditEvent(actor=desk.admin, action="x.y", object_type="a.b", object_id="1")
        insert(event)
    finally:
        pre_save.disconnect(receiver, sender=AuditEvent)

    assert seen == ["x.y"]
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_insert_sets_a_computed_column_from_the_statement_it_writes() -> None:
    desk = Desk()
    highest = desk.ticket().number
    ticket = Ticket(
        subject="x", description="y", requester=desk.customer, department=desk.department
    )
    table = connection.ops.quote_name(Ticket._meta.db_table)

    with CaptureQueriesContext(connection) as queries:
        insert(ticket, computed={"number": f"(SELECT MAX(number) + 7 FROM {table})"})

    assert len(queries) == 1
    assert ticket.number == highest + 7 and ticket.pk is not None
    assert Ticket.objects.get(pk=ticket.pk).number == highest + 7


def test_insert_refuses_a_computed_column_the_model_does_not_have() -> None:
    desk = Desk()
    ticket = Ticket(subject="x", requester=desk.customer, department=desk.department)
    with pytest.raises(ValueError, match="no column 'serial'"):
        insert(ticket, computed={"serial": "1"})


def test_insert_refuses_to_compute_a_column_past_save_receivers_it_would_skip() -> None:
    desk = Desk()
    pre_save.connect(_ignore, sender=Ticket)
    try:
        ticket = Ticket(subject="x", requester=desk.customer, department=desk.department)
        with pytest.raises(TypeError, match="save receivers"):
            insert(ticket, computed={"number": "1"})
    finally:
        pre_save.disconnect(_ignore, sender=Ticket)
    assert ticket.pk is None


def _ignore(sender: object, **kwargs: object) -> None:
    pass


def test_update_of_a_model_with_save_receivers_goes_through_the_orm_so_they_run() -> None:
    desk = Desk()
    ticket = desk.ticket()
    seen: list[object] = []

    def receiver(sender: object, instance: Ticket, **kwargs: object) -> None:
        seen.append(kwargs.get("update_fields"))

    ticket.location = "Room 7"
    pre_save.connect(receiver, sender=Ticket)
    try:
        update(ticket, ["location"])
    finally:
        pre_save.disconnect(receiver, sender=Ticket)

    assert seen == [frozenset({"location"})]
    assert Ticket.objects.get(pk=ticket.pk).location == "Room 7"


def test_in_order_reads_the_keys_in_the_order_given_and_skips_missing_ones() -> None:
    desk = Desk()
    first, second = desk.ticket(), desk.ticket()
    reader = RowReader(Ticket, "t.id IN ({keys})", related=("requester",))

    read = reader.in_order([second.pk, second.pk + 1000, first.pk])

    assert [ticket.pk for ticket in read] == [second.pk, first.pk]
    assert read[0].requester.email == desk.customer.email
    assert reader.in_order([]) == []
    with pytest.raises(ValueError, match="keys"):
        RowReader(Ticket, "t.id = %s").in_order([first.pk])


def test_in_subquery_reads_the_rows_a_compiled_queryset_selects_in_one_query() -> None:
    desk = Desk()
    mine, other = desk.ticket(), desk.ticket(requester=desk.other_customer)
    reader = RowReader(Ticket, "t.id IN ({keys})", related=("requester",))
    visible = Ticket.objects.filter(requester=desk.customer).values("id")
    sql, params = visible.query.sql_with_params()

    with CaptureQueriesContext(connection) as queries:
        read = reader.in_subquery(sql, params)

    assert [ticket.pk for ticket in read] == [mine.pk] != [other.pk]
    assert read[0].requester.email == desk.customer.email
    assert len(queries) == 1


def test_updated_in_subquery_changes_the_selected_rows_and_returns_them_as_the_orm_reads_them():
    if not returns_from_update():
        pytest.skip("this SQLite cannot return rows from an UPDATE")
    desk = Desk()
    mine, other = desk.ticket(), desk.ticket(requester=desk.other_customer)
    reader = RowReader(Ticket, "t.id IN ({keys})")
    chosen = Ticket.objects.filter(requester=desk.customer).values("id")
    sql, params = chosen.query.sql_with_params()

    with CaptureQueriesContext(connection) as queries:
        changed = reader.updated_in_subquery("subject = %s", ["Changed"], sql, params)

    assert len(queries) == 1
    assert [ticket.pk for ticket in changed] == [mine.pk]
    assert _fields(changed[0]) == _fields(Ticket.objects.get(pk=mine.pk))
    assert changed[0].subject == "Changed"
    assert Ticket.objects.get(pk=other.pk).subject == other.subject


def test_updated_in_subquery_refuses_a_reader_with_related_rows() -> None:
    reader = RowReader(Ticket, "t.id IN ({keys})", related=("requester",))
    with pytest.raises(ValueError):
        reader.updated_in_subquery("subject = %s", ["x"], "SELECT 1", [])


def test_rows_of_one_read_that_point_at_the_same_related_row_share_its_instance() -> None:
    desk = Desk()
    first, second = desk.ticket(), desk.ticket()
    reader = RowReader(Ticket, "t.id IN ({keys})", related=("requester", "department"))

    read = reader.in_order([first.pk, second.pk])

    assert read[0].department is read[1].department
    assert read[0].requester is read[1].requester
    assert read[0].requester.email == desk.customer.email
    again = reader.in_order([first.pk])  # another read builds its own
    assert again[0].department is not read[0].department


def test_in_keys_reads_every_row_matching_the_keys_of_a_foreign_key() -> None:
    desk = Desk()
    tagged, other = desk.ticket(), desk.ticket()
    vpn, wifi = Tag.objects.create(name="vpn"), Tag.objects.create(name="wifi")
    tagged.tags.add(vpn, wifi)
    other.tags.add(vpn)
    links = RowReader(Ticket.tags.through, "t.ticket_id IN ({keys})", related=("tag",))

    read = links.in_keys([tagged.pk])

    assert sorted(link.tag.name for link in read) == ["vpn", "wifi"]
    assert {link.ticket_id for link in read} == {tagged.pk}
    assert links.in_keys([]) == []


def test_set_prefetched_answers_all_without_a_query_and_a_filter_still_asks_the_database() -> None:
    desk = Desk()
    ticket, other = desk.ticket(), desk.ticket()
    vpn, wifi = Tag.objects.create(name="vpn"), Tag.objects.create(name="wifi")
    ticket.tags.add(vpn)
    other.tags.add(wifi)
    read = Ticket.objects.get(pk=ticket.pk)

    set_prefetched(read, "tags", [vpn])

    with CaptureQueriesContext(connection) as queries:
        assert list(read.tags.all()) == [vpn]
    assert len(queries) == 0
    # A narrower query is the relation's, as after prefetch_related: not every tag named so.
    assert list(read.tags.filter(name="wifi")) == []


def test_set_prefetched_rows_answer_every_read_as_the_relation_would() -> None:
    desk = Desk()
    ticket, other = desk.ticket(), desk.ticket()
    vpn, wifi, lan = (Tag.objects.create(name=name) for name in ("vpn", "wifi", "lan"))
    ticket.tags.add(vpn, wifi)
    other.tags.add(lan, vpn)
    read = Ticket.objects.get(pk=ticket.pk)
    set_prefetched(read, "tags", [vpn, wifi])

    with CaptureQueriesContext(connection) as queries:
        stored = read.tags.all()
        assert (len(stored), stored.count(), stored.exists(), stored[0], stored.first()) == (
            2,
            2,
            True,
            vpn,
            vpn,
        )
        assert prefetched(read, "tags") == [vpn, wifi]
    assert len(queries) == 0
    assert list(read.tags.order_by("-name").values_list("name", flat=True)) == ["wifi", "vpn"]
    assert [tag.name for tag in read.tags.all().iterator()] == ["vpn", "wifi"]
    assert read.tags.all().aggregate(n=Count("id")) == {"n": 2}
    assert read.tags.all().update(name=Upper("name")) == 2
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["VPN", "WIFI", "lan"]


def test_prefetched_reads_the_database_when_nothing_was_prefetched() -> None:
    desk = Desk()
    ticket = desk.ticket()
    vpn = Tag.objects.create(name="vpn")
    ticket.tags.add(vpn)

    assert prefetched(Ticket.objects.get(pk=ticket.pk), "tags") == [vpn]


def test_init_receivers_still_run_for_rows_a_reader_builds() -> None:
    desk = Desk()
    ticket = desk.ticket()
    seen: list[tuple[str, int]] = []

    def receiver(sender: type, instance: object, **kwargs: object) -> None:
        seen.append((sender.__name__, instance.pk))  # type: ignore[attr-defined]

    post_init.connect(receiver, sender=Department)
    try:
        read = RowReader(Ticket, "t.id = %s", related=RELATED).one(ticket.pk)
    finally:
        post_init.disconnect(receiver, sender=Department)

    assert read is not None
    assert seen == [("Department", ticket.department_id)]
