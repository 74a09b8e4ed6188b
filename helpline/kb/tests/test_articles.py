from __future__ import annotations

import pytest

from helpline.audit.models import AuditEvent
from helpline.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from helpline.kb import diffs, services, states
from helpline.kb.models import ArticleTicketLink, PublishPermission
from helpline.kb.selectors import resolved_counts, settings_get
from helpline.kb.tests.factories import article
from helpline.tickets import services as ticket_services


def test_every_edit_adds_a_revision_with_who_and_what(desk):
    made = article(author=desk.l1, title="VPN", body="one", status="draft")
    services.article_update(actor=desk.l2, article=made, body="two", note="clearer")

    revisions = list(made.revisions.order_by("number"))
    assert [(r.number, r.body, r.author) for r in revisions] == [
        (1, "one", desk.l1),
        (2, "two", desk.l2),
    ]
    assert revisions[1].note == "clearer"
    assert AuditEvent.objects.filter(action="kb.article.update", object_id=str(made.pk)).exists()


def test_saving_without_a_change_adds_no_revision(desk):
    made = article(author=desk.l1, body="same", status="draft")
    services.article_update(actor=desk.l1, article=made, body="same")

    assert made.revisions.count() == 1


def test_restoring_a_revision_makes_a_new_revision_with_the_old_text(desk):
    made = article(author=desk.l1, title="Old title", body="old body", status="draft")
    services.article_update(actor=desk.l1, article=made, title="New title", body="new body")

    restored = services.article_restore_revision(actor=desk.l2, article=made, number=1)

    assert (restored.title, restored.body) == ("Old title", "old body")
    assert "old body" in restored.body_html
    latest = restored.revisions.order_by("-number").first()
    assert (latest.number, latest.note, latest.author) == (3, "Restored revision 1", desk.l2)


def test_customers_cannot_write_articles(desk):
    with pytest.raises(PermissionDenied):
        services.article_create(actor=desk.customer, title="x", body="y")


def test_a_title_is_required(desk):
    with pytest.raises(ValidationFailed) as error:
        services.article_create(actor=desk.l1, title="  ", body="y")
    assert error.value.fields == {"title": "required"}


def test_the_body_is_rendered_and_sanitized(desk):
    made = article(author=desk.l1, body="**bold** <script>alert(1)</script>")

    assert "<strong>bold</strong>" in made.body_html
    assert "<script>" not in made.body_html


def test_slugs_stay_unique(desk):
    first = article(author=desk.l1, title="Printer jam")
    second = article(author=desk.l1, title="Printer jam")

    assert (first.slug, second.slug) == ("printer-jam", "printer-jam-2")


def test_any_agent_publishes_by_default(desk):
    made = article(author=desk.l1, status="draft")
    assert services.article_transition(actor=desk.l1, article=made, action="publish").status == (
        "published"
    )


def test_publishing_can_be_kept_for_admins_and_managers(desk):
    services.settings_update(actor=desk.admin, publish_permission=PublishPermission.MANAGERS)
    made = article(author=desk.l1, status="draft")

    with pytest.raises(PermissionDenied):
        services.article_transition(actor=desk.l1, article=made, action="publish")
    desk.department.manager = desk.l3
    desk.department.save()
    assert services.article_transition(actor=desk.l3, article=made, action="publish").status == (
        "published"
    )


def test_only_admins_change_the_settings(desk):
    with pytest.raises(PermissionDenied):
        services.settings_update(actor=desk.l1, refuse_outside_catalog=True)
    assert settings_get().refuse_outside_catalog is False


def test_an_archived_article_cannot_be_published_directly(desk):
    made = article(author=desk.l1, status="archived")

    with pytest.raises(InvalidTransition):
        services.article_transition(actor=desk.l1, article=made, action="publish")


def test_helpful_answers_are_counted(desk):
    made = article(author=desk.l1)
    services.article_feedback(user=desk.customer, article=made, helpful=True)
    services.article_feedback(user=desk.customer, article=made, helpful=False)
    services.article_feedback(user=desk.customer, article=made, helpful=True)

    made.refresh_from_db()
    assert (made.helpful_yes, made.helpful_no) == (2, 1)


def resolved(desk, **resolution):
    ticket = desk.ticket(subject="Printer prints blank pages")
    ticket_services.ticket_take(actor=desk.l1, ticket=ticket)
    return ticket_services.ticket_transition(
        actor=desk.l1,
        ticket=ticket,
        action="resolve",
        resolution=ticket_services.Resolution(**resolution),
    )


def test_an_article_is_created_from_a_resolution_and_links_back(desk):
    ticket = resolved(
        desk,
        problem_identified="Toner cartridge empty",
        action_taken="Replaced the toner",
        confirmation="Test page printed",
        next_steps="Order spare toner",
    )

    made = services.article_from_resolution(actor=desk.l2, ticket=ticket)

    assert (made.status, made.visibility, made.title) == (
        "draft",
        "internal",
        "Printer prints blank pages",
    )
    for text in ("Toner cartridge empty", "Replaced the toner", "Test page printed", "Order spare"):
        assert text in made.body
    assert f"#{ticket.number}" in made.body
    link = ArticleTicketLink.objects.get(article=made)
    assert (link.ticket, link.kind) == (ticket, "source")
    assert resolved_counts([made.pk]) == {made.pk: 1}
    assert AuditEvent.objects.filter(ticket=ticket, action="kb.article.link").exists()


def test_an_agent_outside_the_department_cannot_write_up_the_ticket(desk):
    ticket = resolved(desk, problem_identified="x", action_taken="y")

    with pytest.raises(Exception) as error:
        services.article_from_resolution(actor=desk.outsider, ticket=ticket)
    assert error.value.__class__.__name__ == "NotFound"


def test_articles_count_the_tickets_they_resolved(desk):
    made = article(author=desk.l1)
    for _ in range(2):
        ticket = desk.ticket()
        services.article_link_ticket(actor=desk.l1, article=made, ticket=ticket)
        services.article_link_ticket(actor=desk.l1, article=made, ticket=ticket)  # idempotent

    assert resolved_counts([made.pk]) == {made.pk: 2}


# Pure modules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "action", "expected"),
    [
        ("draft", "publish", "published"),
        ("published", "unpublish", "draft"),
        ("published", "archive", "archived"),
        ("archived", "unarchive", "draft"),
        ("archived", "publish", None),
        ("draft", "unpublish", None),
        ("draft", "nonsense", None),
    ],
)
def test_article_transitions(status, action, expected):
    assert states.next_status(status, action) == expected


def test_a_diff_shows_added_and_removed_lines_with_context():
    old = "a\nb\nc\nd\ne\nf\ng\nh\ni\n"
    new = "a\nb\nc\nD\ne\nf\ng\nh\ni\nj\n"

    lines = diffs.text_diff(old, new, context=1)

    kinds = [(line.kind, line.text) for line in lines]
    assert ("removed", "d") in kinds and ("added", "D") in kinds and ("added", "j") in kinds
    assert ("gap", "…") in kinds
    assert ("same", "a") not in kinds


def test_no_change_is_an_empty_diff():
    assert diffs.text_diff("same\ntext", "same\ntext") == []
