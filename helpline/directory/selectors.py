"""Reads for the directory (departments, teams, topics)."""

from __future__ import annotations

from helpline.core.configcache import ConfigCache
from helpline.directory.models import Department


def _load_default_department() -> Department | None:
    return Department.objects.filter(is_active=True).order_by("id").first()


_default_department = ConfigCache(
    "default-department", _load_default_department, models=[Department]
)


def default_department() -> Department | None:
    """The department a ticket goes to when nothing routes it: the first active one (cached
    configuration: read, do not change it; see ``helpline.core.configcache``)."""
    return _default_department.get()
