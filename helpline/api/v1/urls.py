"""/api/v1/: the Ninja API, and a JSON 404 for every path under it that names no endpoint."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path, re_path

from helpline.api.v1.api import api
from helpline.api.v1.errors import json_errors, not_found_view


def _with_json_errors(patterns: list[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    return [
        URLPattern(p.pattern, json_errors(p.callback), p.default_args, p.name)
        if isinstance(p, URLPattern)
        else p
        for p in patterns
    ]


_patterns, _app_name, _namespace = api.urls

urlpatterns = [
    path("", include((_with_json_errors(_patterns), _app_name), namespace=_namespace)),
    re_path(r"", not_found_view),
]
