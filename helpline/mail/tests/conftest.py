from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from helpline.mail.models import Mailbox
    from helpline.mail.tests.imap_server import Server


@pytest.fixture
def support_box(desk: Any) -> Mailbox:
    """The desk's support mailbox, delivering to the Helpdesk department."""
    from helpline.mail.tests import factories  # no Django import for the pure parse tests

    return factories.mailbox(department=desk.department)


@pytest.fixture(scope="session")
def _imap_plain() -> Iterator[Server]:
    yield from _dovecot(tls=False)


@pytest.fixture(scope="session")
def _imap_tls() -> Iterator[Server]:
    yield from _dovecot(tls=True)


@pytest.fixture
def imap_server(_imap_plain: Server, request: pytest.FixtureRequest) -> Server:
    """A real Dovecot IMAP server on 127.0.0.1 (plain login on loopback), seen through a new
    account with an empty mailbox."""
    return _imap_plain.new_account(_account_name(request))


@pytest.fixture
def imaps_server(_imap_tls: Server, request: pytest.FixtureRequest) -> Server:
    """The same, speaking TLS with a self-signed certificate."""
    return _imap_tls.new_account(_account_name(request))


def _account_name(request: pytest.FixtureRequest) -> str:  # unique per test
    return "t" + uuid.uuid4().hex[:12]


def _dovecot(*, tls: bool) -> Iterator[Server]:
    from helpline.mail.tests.imap_server import dovecot, dovecot_binary

    if dovecot_binary() is None:
        message = "dovecot is not installed (apt-get install dovecot-imapd): IMAP tests skipped"
        if os.environ.get("HELPLINE_REQUIRE_IMAP") == "1":
            pytest.fail(message.replace("skipped", "required by HELPLINE_REQUIRE_IMAP=1"))
        pytest.skip(message)
    with dovecot(tls=tls) as server:
        yield server
