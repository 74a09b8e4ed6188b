"""The reading side of the knowledge base: browse, read, search, "was this helpful?", the
subject suggestions of the new-ticket page, "this solved my problem", and the SLA document.

Anonymous visitors may read public articles when the admin allows it (KbSettings); every
article comes through a selector that filters by what the user may read.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from helpline.core.errors import DomainError, NotFound
from helpline.kb import access, selectors, services
from helpline.kb.forms import HelpfulForm
from helpline.kb.models import Article, KbCategory

SUGGESTIONS = 5


def reader_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged-in users, and anonymous visitors if the admin allows anonymous reading."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        kb_settings = selectors.settings_get()
        if not access.may_read_portal(request.user, kb_settings):
            return redirect_to_login(request.get_full_path())
        request.kb_settings = kb_settings  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


def _article_or_404(request: HttpRequest, slug: str) -> Article:
    try:
        return selectors.article_get(user=request.user, slug=slug)
    except NotFound:
        raise Http404("no such article") from None


@reader_required
def index(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    context: dict[str, Any] = {
        "query": query,
        "tree": selectors.category_tree(user=request.user),
        "hits": selectors.search_articles(user=request.user, query=query, limit=20)
        if query
        else None,
        "recent": list(
            selectors.articles_for(user=request.user, status="published").order_by("-published_at")[
                :10
            ]
        ),
        "sla_url": reverse("kb_sla"),
    }
    return render(request, "web/kb/index.html", context)


@reader_required
def category(request: HttpRequest, slug: str) -> HttpResponse:
    node = KbCategory.objects.filter(slug=slug).first()
    if node is None:
        raise Http404("no such category")
    context = {
        "category": node,
        "tree": selectors.category_tree(user=request.user),
        "articles": list(selectors.articles_for(user=request.user, category=node)),
    }
    return render(request, "web/kb/category.html", context)


@reader_required
def article(request: HttpRequest, slug: str) -> HttpResponse:
    found = _article_or_404(request, slug)
    topic = request.GET.get("topic", "")
    context = {
        "article": found,
        "from_intake": request.GET.get("from") == "intake",
        "topic": topic if topic.isascii() and topic.isdigit() and len(topic) <= 18 else "",
        "resolved": selectors.resolved_counts([found.pk]).get(found.pk, 0)
        if access.is_agent(request.user)
        else None,
    }
    return render(request, "web/kb/article.html", context)


@reader_required
@require_POST
def helpful(request: HttpRequest, slug: str) -> HttpResponse:
    found = _article_or_404(request, slug)
    form = HelpfulForm(request.POST)
    if form.is_valid():
        services.article_feedback(
            user=request.user, article=found, helpful=form.cleaned_data["helpful"]
        )
        thanks = "Thank you for your feedback."
    else:
        thanks = "Please answer yes or no."
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "web/kb/_helpful_done.html", {"thanks": thanks})
    messages.success(request, thanks)
    return redirect("kb_article", slug=slug)


@reader_required
@require_POST
def solved(request: HttpRequest, slug: str) -> HttpResponse:
    """ "This solved my problem": a deflection, and no ticket."""
    from helpline.catalog.services import deflection_record
    from helpline.directory.models import HelpTopic

    found = _article_or_404(request, slug)
    topic_id = request.POST.get("topic", "")
    topic = (
        HelpTopic.objects.filter(pk=int(topic_id), is_public=True).first()
        if topic_id.isascii() and topic_id.isdigit() and len(topic_id) <= 18
        else None
    )
    try:
        deflection_record(user=request.user, source="suggestion", article=found, help_topic=topic)
    except DomainError as error:
        raise Http404(error.message) from None
    return render(request, "web/kb/solved.html", {"article": found})


@reader_required
def suggest(request: HttpRequest) -> HttpResponse:
    """The htmx partial of articles matching what the customer is typing as a subject."""
    subject = request.GET.get("subject", "")[:250]
    hits = (
        selectors.search_articles(user=request.user, query=subject, limit=SUGGESTIONS, prefix=True)
        if len(subject.strip()) >= 3
        else []
    )
    topic = request.GET.get("help_topic", "")
    context = {"hits": hits, "topic": topic if topic.isdigit() else ""}
    return render(request, "web/kb/_suggest.html", context)


@reader_required
def sla(request: HttpRequest) -> HttpResponse:
    """The designated SLA document: the chosen article, else the generated SLA page."""
    kb_settings = request.kb_settings  # type: ignore[attr-defined]
    chosen = kb_settings.sla_article
    if chosen is not None and chosen.is_public_published:
        return redirect("kb_article", slug=chosen.slug)
    try:
        return redirect(reverse("sla_public"))
    except NoReverseMatch:
        pass
    return render(request, "web/kb/no_document.html", {"what": "service level agreement"})
