"""A private Dovecot IMAP server for the test session (see shared/STACK.md, "Debian packages CI installs").

The session fixture `dovecot` (import `dovecot_fixture` into a test module to register it) writes a config in
a temp dir, starts `dovecot -F -c CONF` on a free port of 127.0.0.1 and stops it with SIGTERM at the end.
Each test takes a fresh, empty mailbox with `new_user()`. Without Dovecot installed the tests are skipped on
a developer machine and fail in CI (CI=true).
"""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from imapclient import IMAPClient

from answerable.mail.tests.smtp_capture import free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USERS = 200  # each test takes unused ones; the passwd-file is written once, before start
PASSWORD = "secret"


@dataclass
class Dovecot:
    host: str
    port: int
    root: Path
    users: dict[str, str]  # name -> password
    _free: list[str] = field(default_factory=list)

    def new_user(self) -> tuple[str, str]:
        """A user whose mailbox no other test has touched."""
        if not self._free:
            raise RuntimeError(f"all {USERS} Dovecot test users are taken: raise USERS")
        name = self._free.pop(0)
        return name, self.users[name]

    def client(self, user: str, password: str | None = None) -> IMAPClient:
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        client.login(user, password if password is not None else self.users[user])
        return client

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _config(root: Path, port: int, uid: int, gid: int, login_user: str) -> str:
    return f"""\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
instance_name = answerable-test-{port}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
first_valid_uid = {uid}
last_valid_uid = 0
first_valid_gid = {gid}
default_login_user = {login_user}
default_internal_user = {login_user}
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            return sock.recv(64).startswith(b"* OK")
    except OSError:
        return False


def _start(root: Path, conf: Path, port: int) -> subprocess.Popen:
    process = subprocess.Popen([DOVECOT, "-F", "-c", str(conf)], stdin=subprocess.DEVNULL)  # noqa: S603
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if _accepts(port):
            return process
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    process.wait()
    log = (root / "dovecot.log").read_text(errors="replace") if (root / "dovecot.log").exists() else ""
    raise RuntimeError(f"Dovecot did not start on 127.0.0.1:{port}:\n{log}")


def _require_dovecot() -> None:
    if not Path(DOVECOT).exists():
        message = "Dovecot is not installed: apt-get install dovecot-imapd"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)


@contextmanager
def running_dovecot(users: int = USERS) -> Iterator[Dovecot]:
    """A Dovecot of its own on 127.0.0.1, with `users` users (password PASSWORD), stopped on exit."""
    if os.geteuid() == 0:
        # Mail is stored as the dovecot user (Dovecot refuses uid 0); logins run unprivileged.
        account = pwd.getpwnam("dovecot")
        login_user = "dovenull"
    else:
        account = pwd.getpwuid(os.geteuid())
        login_user = account.pw_name
    root = Path(tempfile.mkdtemp(prefix="answerable-dovecot-"))
    root.chmod(0o755)  # "Temporary authentication failure" when Dovecot's processes cannot read it
    for name in ("run", "state", "home"):
        (root / name).mkdir()
    os.chown(root / "home", account.pw_uid, account.pw_gid)
    passwords = {f"user{n:03d}": PASSWORD for n in range(1, users + 1)}
    (root / "users").write_text("".join(f"{name}:{{PLAIN}}{pw}::::::\n" for name, pw in passwords.items()))
    (root / "users").chmod(0o644)
    process = None
    try:
        for attempt in range(3):  # another process may take the free port before Dovecot binds it
            port = free_port()
            conf = root / "dovecot.conf"
            conf.write_text(_config(root, port, account.pw_uid, account.pw_gid, login_user))
            try:
                process = _start(root, conf, port)
                break
            except RuntimeError:
                if attempt == 2:
                    raise
        yield Dovecot(host="127.0.0.1", port=port, root=root, users=passwords, _free=list(passwords))
    finally:
        if process is not None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session", name="dovecot")
def dovecot_fixture() -> Iterator[Dovecot]:
    """The session's Dovecot: each test takes its own users with `new_user()`."""
    _require_dovecot()
    with running_dovecot() as server:
        yield server


@pytest.fixture(name="other_dovecot")
def other_dovecot_fixture() -> Iterator[Dovecot]:
    """A second, short-lived Dovecot: for failed logins, which Dovecot punishes by delaying the next logins
    from the same address (up to 15 s), so they must not reach the session's server."""
    _require_dovecot()
    with running_dovecot(users=2) as server:
        yield server
