"""People and the organizations they belong to.

A user is a customer, an agent or an admin (``role``). The agent profile (support level,
availability, last assignment) lives on the user row: assignment reads it for every new ticket,
and a join per candidate would cost more than the three columns do.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models

from helpline.core import clock


class Role(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    AGENT = "agent", "Agent"
    ADMIN = "admin", "Admin"


class Availability(models.TextChoices):
    AVAILABLE = "available", "Available"
    AWAY = "away", "Away"
    OFF = "off", "Off until"


def language_choices() -> list[tuple[str, str]]:
    """The languages a user may pick: ``settings.LANGUAGES`` (read when a form is built, so a
    deployment can narrow the list without a migration)."""
    return [(code, str(name)) for code, name in settings.LANGUAGES]


def default_language() -> str:
    return settings.LANGUAGE_CODE


class Organization(models.Model):
    name = models.CharField(max_length=200, unique=True)
    domain = models.CharField(max_length=200, blank=True, help_text="Email domain, optional.")
    shares_tickets = models.BooleanField(
        default=False, help_text="Members may see each other's tickets."
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("an email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True, role=Role.ADMIN)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CUSTOMER)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    phone = models.CharField(max_length=50, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")
    language = models.CharField(
        max_length=16,
        choices=language_choices,
        default=default_language,
        help_text="Language of the mail Helpline sends this person.",
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May use the Django admin.")
    date_joined = models.DateTimeField(default=clock.now)

    # Agent profile.
    support_level = models.PositiveSmallIntegerField(
        null=True, blank=True, choices=[(1, "Level 1"), (2, "Level 2"), (3, "Level 3")]
    )
    availability = models.CharField(
        max_length=16, choices=Availability.choices, default=Availability.AVAILABLE
    )
    away_until = models.DateTimeField(null=True, blank=True)
    last_assigned_at = models.DateTimeField(null=True, blank=True)
    capacity = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Most open tickets assigned at once by automatic assignment; blank: no cap.",
    )
    skills = models.ManyToManyField(  # type: ignore[var-annotated]
        "directory.Tag",
        blank=True,
        related_name="skilled_agents",
        help_text="Tags this agent covers; assignment with skills prefers them.",
    )

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]
        indexes = [models.Index(fields=["role", "support_level"])]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.email

    @property
    def is_agent(self) -> bool:
        """True for agents and admins: anyone who works tickets."""
        return self.role in (Role.AGENT, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_customer(self) -> bool:
        return self.role == Role.CUSTOMER

    def is_available_at(self, at: Any) -> bool:
        if self.availability == Availability.AVAILABLE:
            return True
        if self.availability == Availability.OFF and self.away_until is not None:
            return self.away_until <= at
        return False


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the JSON API. Only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8, help_text="First characters, to tell tokens apart.")
    name = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def hash(raw: str) -> str:
        return _hash_token(raw)

    @staticmethod
    def new_raw_key() -> str:
        return secrets.token_urlsafe(32)
