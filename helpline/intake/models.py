"""Keys for the osTicket-compatible intake endpoint (``POST /api/tickets.json``)."""

from __future__ import annotations

import hashlib
import ipaddress
import secrets

from django.core.exceptions import ValidationError
from django.db import models

from helpline.core import clock


class ApiKey(models.Model):
    """An ``X-API-Key`` for the intake endpoint. Only the key's SHA-256 is stored."""

    label = models.CharField(max_length=120)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=8, editable=False)
    enabled = models.BooleanField(default=True)
    allowed_ips = models.TextField(
        blank=True,
        help_text="Client addresses or networks allowed to use this key, one a line "
        "(192.0.2.10, 198.51.100.0/24, 2001:db8::/32). Blank: any address.",
    )
    department = models.ForeignKey(
        "directory.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Where tickets go when the payload names no help topic.",
    )
    help_topic = models.ForeignKey(
        "directory.HelpTopic",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Default help topic when the payload has no valid topicId.",
    )
    created_at = models.DateTimeField(default=clock.now)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["label"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.label} ({self.prefix}…)"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @staticmethod
    def new_raw_key() -> str:
        return secrets.token_hex(16).upper()  # osTicket's keys are 32 hex characters

    def networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [
            ipaddress.ip_network(line.strip(), strict=False)
            for line in self.allowed_ips.replace(",", "\n").splitlines()
            if line.strip()
        ]

    def clean(self) -> None:
        try:
            self.networks()
        except ValueError as error:
            raise ValidationError({"allowed_ips": f"not an address or network: {error}"}) from None

    def allows(self, address: str) -> bool:
        networks = self.networks()
        if not networks:
            return True
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in networks)
