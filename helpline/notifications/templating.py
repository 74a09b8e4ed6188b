"""Email templates: render an event's subject, text and HTML in a language, and check an
admin's template before it is saved (syntax, unknown variables, a trial render).

A template row (EmailTemplate) for the event and language wins; then the row in the site's
default language; then the file under ``notifications/email/<event>_{subject,body}.txt``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.conf import settings
from django.template import Context, Engine, Template, TemplateDoesNotExist, TemplateSyntaxError
from django.template.base import FilterExpression, Variable

from helpline.core.configcache import ConfigCache
from helpline.notifications.models import EmailTemplate
from helpline.notifications.registry import EVENTS, FALLBACK, example_context

# Names a template may use besides the event's variables.
BUILTINS = frozenset({"forloop", "block", "True", "False", "None"})


def _engine() -> Engine:
    return Engine.get_default()


def _render(source: str, context: dict[str, Any], *, html: bool = False) -> str:
    return _compiled(source).render(Context(context, autoescape=html))


@lru_cache(maxsize=512)
def _compiled(source: str) -> Template:
    """The template of ``source``, compiled once per process (templates render thread-safely;
    an edited template is a new source)."""
    return _engine().from_string(source)


def _file_sources(event: str) -> tuple[str, str]:
    engine = _engine()
    try:
        subject = engine.get_template(f"notifications/email/{event}_subject.txt")
        body = engine.get_template(f"notifications/email/{event}_body.txt")
    except TemplateDoesNotExist:
        return FALLBACK
    return subject.source, body.source


def default_sources(event: str) -> tuple[str, str, str]:
    """The file default of ``event``: (subject, text, html)."""
    subject, text = _file_sources(event)
    return subject, text, ""


def _row_sources(event: str, language: str) -> tuple[str, str, str] | None:
    """The admin's template of ``event`` in ``language``, else in the site's language."""
    rows = _email_templates.get()
    return rows.get((event, language)) or rows.get((event, settings.LANGUAGE_CODE))


def _load_email_templates() -> dict[tuple[str, str], tuple[str, str, str]]:
    return {
        (row.event, row.language): (row.subject, row.text, row.html)
        for row in EmailTemplate.objects.all()
    }


# The admin's templates are configuration: kept per process (helpline.core.configcache).
_email_templates = ConfigCache("email-templates", _load_email_templates, models=[EmailTemplate])


def render_template(
    event: str, context: dict[str, Any], language: str | None = None
) -> tuple[str, str, str | None]:
    """(subject, text, html or None) of ``event`` in ``language`` (default: the site's).

    The subject is one line. Raises KeyError for an event that does not exist."""
    if event not in EVENTS:
        raise KeyError(event)
    sources = _row_sources(event, language or settings.LANGUAGE_CODE) or default_sources(event)
    return render_sources(*sources, context)


def render_sources(
    subject: str, text: str, html: str, context: dict[str, Any]
) -> tuple[str, str, str | None]:
    rendered_subject = " ".join(_render(subject, context).split())
    rendered_text = _render(text, context)
    rendered_html = _render(html, context, html=True) if html.strip() else None
    return rendered_subject, rendered_text, rendered_html


# --- validation ---------------------------------------------------------------------------


def _names(obj: Any, found: set[str], introduced: set[str], seen: set[int]) -> None:
    """Collect the root names ``obj`` (a template node tree) reads, and those it defines."""
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, FilterExpression):
        _names(obj.var, found, introduced, seen)
        for _, args in obj.filters:
            for is_variable, arg in args:
                if is_variable:
                    _names(arg, found, introduced, seen)
        return
    if isinstance(obj, Variable):
        if obj.lookups:
            found.add(obj.lookups[0])
        return
    if isinstance(obj, (list, tuple, set)):
        for item in obj:
            _names(item, found, introduced, seen)
        return
    if isinstance(obj, dict):
        for key, value in obj.items():
            if isinstance(key, str) and isinstance(value, FilterExpression):
                introduced.add(key)  # {% with name=value %}
            _names(value, found, introduced, seen)
        return
    module = type(obj).__module__
    if not module.startswith("django.template") or not hasattr(obj, "__dict__"):
        return
    loopvars = getattr(obj, "loopvars", None)
    if isinstance(loopvars, list):
        introduced.update(loopvars)  # {% for name in ... %}
    target = getattr(obj, "target", None)
    if isinstance(target, str):
        introduced.add(target)  # {% ... as name %}
    for name, value in vars(obj).items():
        if name in ("origin", "token", "source"):
            continue
        _names(value, found, introduced, seen)


def unknown_variables(source: str, allowed: set[str] | frozenset[str]) -> list[str]:
    """Root variable names ``source`` reads that are neither allowed nor defined in it.
    Raises TemplateSyntaxError for a template that does not parse."""
    template = _engine().from_string(source)
    found: set[str] = set()
    introduced: set[str] = set()
    _names(template.nodelist, found, introduced, set())
    return sorted(found - set(allowed) - introduced - BUILTINS)


def template_errors(event: str, *, subject: str, text: str, html: str) -> dict[str, str]:
    """{field: message} for each part of an admin's template that cannot be used; empty if
    all three parse, use only the event's variables and render with its example context."""
    spec = EVENTS.get(event)
    if spec is None:
        return {"event": "No such event."}
    errors: dict[str, str] = {}
    for name, source in (("subject", subject), ("text", text), ("html", html)):
        try:
            unknown = unknown_variables(source, set(spec.variables))
        except TemplateSyntaxError as error:
            errors[name] = f"Template syntax error: {error}"
            continue
        if unknown:
            errors[name] = (
                f"Unknown variable{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}. "
                f"Available: {', '.join(sorted(spec.variables))}."
            )
    if not errors:
        try:
            render_sources(subject, text, html, example_context(event))
        except Exception as error:  # a filter given a bad argument fails only when rendering
            errors["text"] = f"The template does not render: {error}"
    return errors
