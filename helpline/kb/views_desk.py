"""The agent side of the knowledge base: list, write, edit, publish, history with diffs,
restore; and on a ticket page, suggestions and "create article from resolution"."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from helpline.core.errors import DomainError, NotFound
from helpline.kb import access, diffs, selectors, services
from helpline.kb.forms import ArticleForm
from helpline.kb.models import Article, ArticleStatus
from helpline.kb.states import actions_from
from helpline.web.views.common import (
    agent_required,
    as_sentence,
    refuse,
    refuse_invalid_form,
    request_user,
    ticket_or_404,
)

PAGE_SIZE = 100
SIMILAR_TICKETS = 5
RELEVANT_ARTICLES = 5


def _article_or_404(pk: int) -> Article:
    found = Article.objects.select_related("category", "owner").filter(pk=pk).first()
    if found is None:
        raise Http404("no such article")
    return found


@agent_required
def article_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    status = request.GET.get("status", "")
    status = status if status in ArticleStatus.values else ""
    query = request.GET.get("q", "").strip()[:200]
    if query:
        hits = selectors.search_articles(user=user, query=query, limit=50)
        articles = list(
            Article.objects.filter(pk__in=[h.id for h in hits]).select_related("category", "owner")
        )
        order = {h.id: i for i, h in enumerate(hits)}
        articles.sort(key=lambda a: order[a.pk])
    else:
        articles = list(
            selectors.articles_for(user=user, status=status or None).order_by("-updated_at")[
                :PAGE_SIZE
            ]
        )
    counts = selectors.resolved_counts([a.pk for a in articles])
    for item in articles:
        item.resolved_count = counts.get(item.pk, 0)  # type: ignore[attr-defined]
    context = {"articles": articles, "status": status, "query": query}
    return render(request, "web/kb/desk_list.html", context)


@agent_required
def article_new(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    code = 200
    form = ArticleForm(request.POST or None, initial={"visibility": "internal"})
    if request.method == "POST":
        if not form.is_valid():
            code = refuse_invalid_form(request)
        else:
            try:
                made = services.article_create(
                    actor=user, note=form.cleaned_data["note"], **form.values()
                )
            except DomainError as error:
                code = refuse(request, form, error)
            else:
                messages.success(request, "Draft saved.")
                return redirect("kb_desk_article", pk=made.pk)
    return render(request, "web/kb/desk_edit.html", {"form": form, "article": None}, status=code)


@agent_required
def article_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    found = _article_or_404(pk)
    code = 200
    initial = {
        "title": found.title,
        "body": found.body,
        "keywords": found.keywords,
        "category": found.category_id,
        "visibility": found.visibility,
    }
    form = ArticleForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not form.is_valid():
            code = refuse_invalid_form(request)
        else:
            try:
                services.article_update(
                    actor=user, article=found, note=form.cleaned_data["note"], **form.values()
                )
            except DomainError as error:
                code = refuse(request, form, error)
            else:
                messages.success(request, "Saved as a new revision.")
                return redirect("kb_desk_article", pk=pk)
    context = {
        "form": form,
        "article": found,
        "actions": actions_from(found.status),
        "can_publish": access.can_publish(user, selectors.settings_get()),
        "resolved": selectors.resolved_counts([found.pk]).get(found.pk, 0),
        "tickets": selectors.article_tickets(user=user, article=found, limit=10),
    }
    return render(request, "web/kb/desk_edit.html", context, status=code)


@agent_required
@require_POST
def article_transition(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    found = _article_or_404(pk)
    try:
        services.article_transition(actor=request_user(request), article=found, action=action)
    except DomainError as error:
        messages.error(request, as_sentence(error.message))
        return redirect("kb_desk_article", pk=pk)
    messages.success(request, f"Article {found.title!r}: {action} done.")
    return redirect("kb_desk_article", pk=pk)


@agent_required
def history(request: HttpRequest, pk: int) -> HttpResponse:
    found = _article_or_404(pk)
    context = {"article": found, "revisions": selectors.revisions(article=found)}
    return render(request, "web/kb/desk_history.html", context)


@agent_required
def revision(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """Revision ``number`` and what it changed from the revision before it."""
    found = _article_or_404(pk)
    try:
        current = selectors.revision_get(article=found, number=number)
    except NotFound:
        raise Http404("no such revision") from None
    previous = found.revisions.filter(number__lt=number).order_by("-number").first()
    old = {"title": "", "keywords": "", "visibility": "", "category": ""}
    old_body = ""
    if previous is not None:
        old = {
            "title": previous.title,
            "keywords": previous.keywords,
            "visibility": previous.visibility,
            "category": str(previous.category or ""),
        }
        old_body = previous.body
    new = {
        "title": current.title,
        "keywords": current.keywords,
        "visibility": current.visibility,
        "category": str(current.category or ""),
    }
    context = {
        "article": found,
        "revision": current,
        "previous": previous,
        "fields": diffs.field_changes(old, new),
        "lines": diffs.text_diff(old_body, current.body),
    }
    return render(request, "web/kb/desk_revision.html", context)


@agent_required
@require_POST
def restore(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    found = _article_or_404(pk)
    try:
        services.article_restore_revision(actor=request_user(request), article=found, number=number)
    except NotFound:
        raise Http404("no such revision") from None
    except DomainError as error:
        messages.error(request, as_sentence(error.message))
    else:
        messages.success(request, f"Revision {number} restored as a new revision.")
    return redirect("kb_desk_history", pk=pk)


def _suggestion_words(subject: str) -> list[str]:
    words = [w.strip(".,:;!?()[]\"'") for w in subject.split()]
    return sorted({w for w in words if len(w) > 3}, key=len, reverse=True)[:3]


@agent_required
def ticket_suggestions(request: HttpRequest, number: int) -> HttpResponse:
    """The lazily loaded side panel of a ticket: relevant articles, similar resolved tickets,
    the articles linked to it. A bounded number of queries whatever the data."""
    from helpline.search.query import Filter, ParsedQuery, Term
    from helpline.search.selectors import search_tickets

    user = request_user(request)
    ticket = ticket_or_404(user, number)
    words = _suggestion_words(ticket.subject)
    query = ParsedQuery(terms=tuple(Term(w) for w in words[:2]))
    articles = selectors.search_articles(user=user, query=query, limit=RELEVANT_ARTICLES)
    if not articles and words:
        articles = selectors.search_articles(user=user, query=words[0], limit=RELEVANT_ARTICLES)
    similar: list[Any] = []
    if words:
        done = Filter("status", ("resolved", "closed"))
        page = search_tickets(user=user, query=query, filters=[done], limit=SIMILAR_TICKETS + 1)
        similar = [hit for hit in page.hits if hit.ticket.pk != ticket.pk][:SIMILAR_TICKETS]
    context = {
        "ticket": ticket,
        "articles": articles,
        "similar": similar,
        "links": selectors.ticket_links(ticket_id=ticket.pk),
        "can_write_up": bool(ticket.resolution_problem or ticket.resolution_action),
    }
    return render(request, "web/kb/_ticket_suggestions.html", context)


@agent_required
@require_POST
def from_resolution(request: HttpRequest, number: int) -> HttpResponse:
    user = request_user(request)
    ticket = ticket_or_404(user, number)
    try:
        made = services.article_from_resolution(actor=user, ticket=ticket)
    except DomainError as error:
        messages.error(request, as_sentence(error.message))
        return redirect("desk_ticket", number=number)
    messages.success(request, "A draft article was written from the resolution.")
    return redirect("kb_desk_article", pk=made.pk)


@agent_required
@require_POST
def link_article(request: HttpRequest, number: int) -> HttpResponse:
    """ "This article resolved the ticket"."""
    user = request_user(request)
    ticket = ticket_or_404(user, number)
    article_id = request.POST.get("article", "")
    valid = article_id.isascii() and article_id.isdigit() and len(article_id) <= 18
    found = Article.objects.filter(pk=int(article_id)).first() if valid else None
    if found is None:
        raise Http404("no such article")
    try:
        services.article_link_ticket(actor=user, article=found, ticket=ticket)
    except DomainError as error:
        messages.error(request, as_sentence(error.message))
    else:
        messages.success(request, f"Recorded: {found.title!r} resolved this ticket.")
    return redirect("desk_ticket", number=number)
