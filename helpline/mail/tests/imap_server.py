"""A throwaway Dovecot IMAP server for the tests: config, users and maildirs in a temp dir,
listening on a free 127.0.0.1 port, plain login on loopback or TLS with a self-signed cert."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

USER = "support@helpline.example.com"
PASSWORD = "imap-test-secret"


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or next(
        (p for p in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if os.path.exists(p)), None
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    host: str
    port: int
    user: str
    password: str
    tls: bool
    cafile: str

    def new_account(self, name: str) -> Server:
        """The same server seen by a new user with an empty mailbox, so tests sharing a server
        never see each other's mail. Any user name logs in with the server's password (a static
        passdb): nothing to register, so no wait for Dovecot to notice a changed passwd file."""
        return replace(self, user=f"{name}@helpline.example.com")


def _users() -> tuple[str, str, int, int]:
    """(internal user, login user, mail uid, mail gid). Dovecot refuses to run mail processes
    as root, so as root they run as the ``dovecot`` account; otherwise as ourselves."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        return me.pw_name, me.pw_name, me.pw_uid, me.pw_gid
    account = pwd.getpwnam("dovecot")
    login = "dovenull" if _exists("dovenull") else "dovecot"
    return "dovecot", login, account.pw_uid, account.pw_gid


def _exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _certificate(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@contextlib.contextmanager
def dovecot(*, tls: bool = False) -> Iterator[Server]:
    binary = dovecot_binary()
    if binary is None:
        raise FileNotFoundError("dovecot is not installed")
    # Not under pytest's 0700 tmp_path: Dovecot's unprivileged processes must reach it.
    root = Path(tempfile.mkdtemp(prefix="helpline-imap-"))
    root.chmod(0o755)
    internal, login, uid, gid = _users()
    for name in ("run", "state", "mail"):
        (root / name).mkdir()
    os.chown(root / "mail", uid, gid)
    port = _free_port()
    ssl_settings = "ssl = no"
    cafile = ""
    if tls:
        cert, key = _certificate(root)
        key.chmod(0o600)
        cafile = str(cert)
        ssl_settings = f"ssl = required\nssl_cert = <{cert}\nssl_key = <{key}"
    (root / "dovecot.conf").write_text(
        f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl_settings}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_internal_group = {internal}
default_login_user = {login}
first_valid_uid = {min(uid, 500)}
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = static
  args = password={PASSWORD}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {0 if tls else port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {port if tls else 0}
    ssl = yes
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""
    )
    log = (root / "stderr.log").open("wb")
    # -F: in the foreground, so this process owns it and stops it (no daemon left behind).
    process = subprocess.Popen(
        [binary, "-F", "-c", str(root / "dovecot.conf")],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for(port, root, process)
        yield Server("127.0.0.1", port, USER, PASSWORD, tls, cafile)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()
        shutil.rmtree(root, ignore_errors=True)


def _wait_for(port: int, root: Path, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.1)
    output = ""
    for name in ("stderr.log", "dovecot.log"):
        if (root / name).exists():
            output += (root / name).read_text(errors="replace")
    raise RuntimeError(f"dovecot is not listening on port {port}:\n{output}")
