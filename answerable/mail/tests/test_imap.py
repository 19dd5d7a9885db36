"""IMAP polling against a real Dovecot (see dovecot.py): mail is stored once, flagged only after it is stored,
and one bad message or mailbox never stops the others."""

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from imapclient import SEEN

from answerable.lib.corpora import corpora_dir
from answerable.mail import imap
from answerable.mail.imap import poll_all, poll_mailbox
from answerable.mail.ingest import ingest, message_key
from answerable.mail.models import Mailbox, QuarantinedMail
from answerable.mail.parse import parse
from answerable.mail.tests.dovecot import PASSWORD, Dovecot, dovecot_fixture, other_dovecot_fixture  # noqa: F401
from answerable.mail.tests.smtp_capture import free_port
from answerable.tickets.models import Message
from conftest import T0

ROOT = Path(__file__).resolve().parents[3]
CORPORA = corpora_dir()
CORPUS = CORPORA / "email" / "messages" if CORPORA else Path("/nonexistent")


def mail(n: int, *, subject: str | None = None, message_id: bool = True, sender: str | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender or f"Customer {n % 40} <customer{n % 40}@imap.example>"
    msg["To"] = "billing@desk.example"
    msg["Subject"] = subject or f"Question number {n}"
    msg["Date"] = format_datetime(T0)
    if message_id:
        msg["Message-ID"] = f"<imap-{n}@imap.example>"
    msg.set_content(f"Hello, this is message {n}.\n")
    return msg.as_bytes()


def append(dovecot: Dovecot, user: str, messages: list[bytes], *, folder: str = "INBOX", flags=()) -> None:
    """APPEND over IMAP, as a mail server's delivery would leave them: unseen unless flags say otherwise."""
    with dovecot.client(user) as client:
        for start in range(0, len(messages), 200):
            chunk = messages[start : start + 200]
            client.multiappend(folder, [{"msg": raw, "flags": flags} for raw in chunk])


def unseen(dovecot: Dovecot, user: str, folder: str = "INBOX") -> list[int]:
    with dovecot.client(user) as client:
        client.select_folder(folder, readonly=True)
        return sorted(client.search(["UNSEEN"]))


def bodies(dovecot: Dovecot, user: str, folder: str = "INBOX") -> dict[int, bytes]:
    """Every message of the folder as the server gives it (CRLF line ends), without touching \\Seen."""
    with dovecot.client(user) as client:
        client.select_folder(folder, readonly=True)
        uids = client.search(["ALL"])
        return (
            {uid: data[b"BODY[]"] for uid, data in client.fetch(uids, ["BODY.PEEK[]"]).items()}
            if uids
            else {}
        )


def make_mailbox(team, dovecot: Dovecot, user: str, **kw) -> Mailbox:
    fields = {"name": user, "host": dovecot.host, "port": dovecot.port, "use_ssl": False, "username": user}
    fields["password"] = dovecot.users.get(user, "")
    return Mailbox.objects.create(team=team, **{**fields, **kw})


def inbound(**filters) -> list[Message]:
    return list(Message.objects.filter(kind=Message.Kind.INBOUND, **filters))


@pytest.fixture
def billing(make_team):
    return make_team("Billing")


def test_new_mail_in_inbox_becomes_tickets_and_is_then_seen(dovecot, billing):
    user, _ = dovecot.new_user()
    append(dovecot, user, [mail(n) for n in range(3)])
    assert len(unseen(dovecot, user)) == 3
    mailbox = make_mailbox(billing, dovecot, user)

    result = poll_mailbox(mailbox, now_fn=lambda: T0)

    assert (result.fetched, result.stored, result.failed, result.error) == (3, 3, 0, "")
    stored = inbound(message_id__in=[f"<imap-{n}@imap.example>" for n in range(3)])
    assert len(stored) == 3 and {m.ticket.team for m in stored} == {billing}
    assert unseen(dovecot, user) == []
    mailbox.refresh_from_db()
    assert mailbox.last_polled_at == T0 and mailbox.last_error == ""


def test_mail_is_routed_to_the_mailboxs_team_whatever_its_to_header(dovecot, make_team):
    shipping = make_team("Shipping")
    user, _ = dovecot.new_user()
    append(dovecot, user, [mail(1)])  # addressed to billing@, which no team uses here
    poll_mailbox(make_mailbox(shipping, dovecot, user), now_fn=lambda: T0)
    assert [m.ticket.team for m in inbound()] == [shipping]


def test_mail_already_seen_is_not_fetched(dovecot, billing):
    user, _ = dovecot.new_user()
    append(dovecot, user, [mail(1)], flags=[SEEN])
    append(dovecot, user, [mail(2)])
    result = poll_mailbox(make_mailbox(billing, dovecot, user), now_fn=lambda: T0)
    assert (result.fetched, result.stored) == (1, 1)
    assert [m.message_id for m in inbound()] == ["<imap-2@imap.example>"]


def test_move_to_moves_stored_mail(dovecot, billing):
    user, _ = dovecot.new_user()
    append(dovecot, user, [mail(n) for n in range(3)])
    mailbox = make_mailbox(billing, dovecot, user, move_to="Processed")

    result = poll_mailbox(mailbox, now_fn=lambda: T0)  # the folder is created on the first poll

    assert (result.stored, result.error) == (3, "")
    assert bodies(dovecot, user, "INBOX") == {}
    moved = bodies(dovecot, user, "Processed")
    assert sorted(parse(raw).message_id for raw in moved.values()) == [
        f"<imap-{n}@imap.example>" for n in range(3)
    ]
    assert unseen(dovecot, user, "Processed") == []  # flagged before the move: read, not new, over there
    assert len(inbound()) == 3


def test_without_the_move_capability_mail_is_copied_then_expunged(dovecot, billing, monkeypatch):
    real = imap.IMAPClient.has_capability
    monkeypatch.setattr(
        imap.IMAPClient, "has_capability", lambda self, cap: cap != "MOVE" and real(self, cap)
    )
    user, _ = dovecot.new_user()
    append(dovecot, user, [mail(n) for n in range(2)])
    with dovecot.client(user) as client:
        client.create_folder("Done")

    result = poll_mailbox(make_mailbox(billing, dovecot, user, move_to="Done"), now_fn=lambda: T0)

    assert (result.stored, result.error) == (2, "")
    assert bodies(dovecot, user, "INBOX") == {}
    assert len(bodies(dovecot, user, "Done")) == 2


def test_a_message_that_fails_to_ingest_stays_unseen_and_the_rest_are_stored(dovecot, billing, monkeypatch):
    user, _ = dovecot.new_user()
    append(dovecot, user, [mail(1), mail(2, subject="poison"), mail(3)])
    mailbox = make_mailbox(billing, dovecot, user)

    def flaky_ingest(raw: bytes, **kw):
        if b"Subject: poison" in raw:
            raise RuntimeError("the database hiccuped on this one")
        return ingest(raw, **kw)

    monkeypatch.setattr(imap, "ingest", flaky_ingest)
    result = poll_mailbox(mailbox, now_fn=lambda: T0)

    assert (result.fetched, result.stored, result.failed, result.error) == (3, 2, 1, "")
    assert sorted(m.message_id for m in inbound()) == ["<imap-1@imap.example>", "<imap-3@imap.example>"]
    left = bodies(dovecot, user)
    assert [left[uid] for uid in unseen(dovecot, user)] == [m for m in left.values() if b"poison" in m]

    monkeypatch.setattr(imap, "ingest", ingest)  # the next poll retries it
    again = poll_mailbox(mailbox, now_fn=lambda: T0)
    assert (again.fetched, again.stored) == (1, 1)
    assert len(inbound()) == 3 and unseen(dovecot, user) == []


def test_polling_twice_stores_each_message_once_even_if_the_seen_flag_was_lost(dovecot, billing):
    user, _ = dovecot.new_user()
    append(dovecot, user, [mail(1), mail(2), mail(3, message_id=False)])
    mailbox = make_mailbox(billing, dovecot, user)
    first = poll_mailbox(mailbox, now_fn=lambda: T0)
    assert (first.stored, poll_mailbox(mailbox, now_fn=lambda: T0).fetched) == (3, 0)

    with dovecot.client(user) as client:  # someone marks them unread again
        client.select_folder("INBOX")
        client.remove_flags(client.search(["ALL"]), [SEEN])
    assert len(unseen(dovecot, user)) == 3

    again = poll_mailbox(mailbox, now_fn=lambda: T0)
    assert (again.fetched, again.stored, again.duplicates) == (3, 0, 3)
    assert len(inbound()) == 3 and unseen(dovecot, user) == []
    assert Message.objects.filter(message_id__startswith="<sha256-").count() == 1


def test_a_wrong_password_records_last_error_and_does_not_stop_the_next_mailbox(
    dovecot, other_dovecot, billing
):
    # The failing login goes to a server of its own: Dovecot delays later logins from an address that failed.
    bad_user, _ = other_dovecot.new_user()
    good_user, _ = dovecot.new_user()
    append(dovecot, good_user, [mail(1)])
    wrong = make_mailbox(billing, other_dovecot, bad_user, password="not the password")
    refused = make_mailbox(billing, dovecot, "nobody", port=free_port())  # nothing listens there
    good = make_mailbox(billing, dovecot, good_user)
    idle = make_mailbox(billing, dovecot, good_user, active=False, name="switched off")

    results = poll_all(now_fn=lambda: T0)

    assert set(results) == {wrong.pk, refused.pk, good.pk}
    for mailbox in (wrong, refused, good, idle):
        mailbox.refresh_from_db()
    assert wrong.last_error.startswith("login: LoginError") and "AUTHENTICATIONFAILED" in wrong.last_error
    assert refused.last_error.startswith("connect: ConnectionRefusedError")
    assert (good.last_error, results[good.pk].stored) == ("", 1)
    assert wrong.last_polled_at == T0 and idle.last_polled_at is None
    assert len(inbound()) == 1

    # A login failure punishes the next logins from this address for seconds: fix the refused one instead.
    Mailbox.objects.filter(pk=wrong.pk).update(active=False)
    Mailbox.objects.filter(pk=refused.pk).update(port=dovecot.port, username=good_user, password=PASSWORD)
    poll_all(now_fn=lambda: T0)
    refused.refresh_from_db()
    assert refused.last_error == ""  # a good poll clears the old error


def test_a_stop_request_finishes_the_current_message_and_leaves_the_rest_unseen(dovecot, billing):
    user, _ = dovecot.new_user()
    append(dovecot, user, [mail(n) for n in range(5)])
    mailbox = make_mailbox(billing, dovecot, user)
    result = poll_mailbox(mailbox, now_fn=lambda: T0, stop=lambda: len(inbound()) >= 2)
    assert (result.fetched, result.stored) == (2, 2)
    assert len(unseen(dovecot, user)) == 3


def test_batches_are_fetched_in_groups(dovecot, billing):
    user, _ = dovecot.new_user()
    append(dovecot, user, [mail(n) for n in range(7)])
    result = poll_mailbox(make_mailbox(billing, dovecot, user), now_fn=lambda: T0, batch=3)
    assert (result.fetched, result.stored) == (7, 7) and unseen(dovecot, user) == []


def corpus_sample() -> list[bytes]:
    """About 20 real and malformed messages. The corpus reuses some Message-IDs across different messages
    (test fixtures copied from one another); the sample keeps one message per Message-ID, since ingest
    takes a second message with a known Message-ID for a redelivery."""
    rng = random.Random(20261125)  # noqa: S311 -- a fixed sample, not a secret
    picked: list[bytes] = []
    ids: set[str] = set()
    for folder, count in (("real", 12), ("malformed", 10)):
        files = sorted((CORPUS / folder).glob("*.eml"))
        rng.shuffle(files)
        taken = 0
        for path in files:
            raw = path.read_bytes()
            message_id = parse(raw).message_id
            if taken == count or (message_id and message_id in ids):
                continue
            picked.append(raw)
            ids.add(message_id or "")
            taken += 1
    return picked


@pytest.mark.skipif(CORPORA is None, reason="the shared corpora are not checked out beside this repository")
def test_real_and_malformed_messages_all_end_up_stored_or_quarantined(dovecot, billing):
    user, _ = dovecot.new_user()
    sample = corpus_sample()
    assert len(sample) >= 20
    append(dovecot, user, sample)
    served = bodies(dovecot, user)  # as the server gives them back: what the poll reads
    assert len(served) == len(sample)

    result = poll_mailbox(make_mailbox(billing, dovecot, user), now_fn=lambda: T0)

    assert (result.fetched, result.failed, result.duplicates, result.error) == (len(sample), 0, 0, "")
    assert result.stored + result.quarantined == len(sample)
    assert unseen(dovecot, user) == []
    stored = {
        bytes(raw) for raw in Message.objects.filter(kind=Message.Kind.INBOUND).values_list("raw", flat=True)
    }
    quarantined = set(QuarantinedMail.objects.values_list("sha256", flat=True))
    for raw in served.values():  # each one, byte for byte, as a ticket message or in quarantine
        assert raw in stored or hashlib.sha256(raw).hexdigest() in quarantined, raw[:300]


# --- the command, run as its own process against the test's database -------------------------------------

SETUP = """
import os
from answerable.mail.models import Mailbox
from answerable.staff.models import Team
team = Team.objects.create(name="Crash")
team.addresses.create(email="crash@desk.example")
Mailbox.objects.create(team=team, name="crash", host=os.environ["T_HOST"], port=int(os.environ["T_PORT"]),
                       use_ssl=False, username=os.environ["T_USER"], password=os.environ["T_PASSWORD"])
"""

COUNT = """
import json
from answerable.mail.models import QuarantinedMail
from answerable.tickets.models import Message
ids = list(Message.objects.filter(kind=Message.Kind.INBOUND).values_list("message_id", flat=True))
print(json.dumps({"inbound": ids, "quarantined": QuarantinedMail.objects.count()}))
"""


class Desk:
    """manage.py in a child process, on the database this test uses."""

    def __init__(self, tmp_path: Path, dovecot: Dovecot, user: str) -> None:
        settings = connection.settings_dict
        if connection.vendor == "postgresql":  # the test database itself (transaction=True: committed)
            auth = quote(settings["USER"] or "", safe="")
            if settings["PASSWORD"]:
                auth += ":" + quote(settings["PASSWORD"], safe="")
            host = f"{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
            url = f"postgres://{auth}@{host}/{settings['NAME']}"
        else:  # an in-memory SQLite test database is out of a child's reach: a file of its own
            url = f"sqlite:///{tmp_path / 'desk.sqlite3'}"
        self.env = {
            **os.environ,
            "DATABASE_URL": url,
            "ANSWERABLE_DATA_DIR": str(tmp_path / "data"),
            "LOG_LEVEL": "ERROR",
            "T_HOST": dovecot.host,
            "T_PORT": str(dovecot.port),
            "T_USER": user,
            "T_PASSWORD": dovecot.users[user],
        }
        if connection.vendor != "postgresql":
            self.manage("migrate", "--no-input", "-v0")
        self.manage("shell", "-c", SETUP)

    def command(self, *args: str) -> list[str]:
        return [sys.executable, str(ROOT / "manage.py"), *args]

    def manage(self, *args: str) -> str:
        command = self.command(*args)
        done = subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=120)  # noqa: S603
        assert done.returncode == 0, done.stderr
        return done.stdout

    def start(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(  # noqa: S603 -- our own manage.py
            self.command("poll_mailboxes", *args),
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def counts(self) -> dict:
        return json.loads(
            self.manage("shell", "-c", COUNT).strip().splitlines()[-1]
        )  # after the shell banner


@pytest.mark.django_db(transaction=True)
def test_ingestion_killed_with_sigkill_at_random_moments_stores_every_message_exactly_once(dovecot, tmp_path):
    user, _ = dovecot.new_user()
    messages = [mail(n, message_id=n % 250 != 7, sender=f"c{n % 50}@crash.example") for n in range(2000)]
    append(dovecot, user, messages)
    desk = Desk(tmp_path, dovecot, user)
    rng = random.Random(4242)  # noqa: S311 -- reproducible kill times
    progress = []
    started = time.monotonic()
    for _kill in range(rng.randint(5, 8)):
        before = len(unseen(dovecot, user))
        process = desk.start("--once")
        # Django's start-up takes from 1 s to several on a loaded machine: wait until this run has stored
        # (and flagged) its first message, then kill it at a random moment of the work.
        deadline = time.monotonic() + 120
        while len(unseen(dovecot, user)) == before and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(rng.uniform(0.05, 0.6))
        process.send_signal(signal.SIGKILL)
        process.wait()
        progress.append(len(unseen(dovecot, user)))
    final = desk.start("--once")
    _, errors = final.communicate(timeout=180)
    assert final.returncode == 0, errors
    elapsed = time.monotonic() - started

    served = bodies(dovecot, user)
    assert len(served) == 2000 and unseen(dovecot, user) == []
    # The key ingest files each one under: its Message-ID, or for the 8 without one a hash of the bytes read.
    without_id = [raw for raw in served.values() if b"\nMessage-ID:" not in raw]
    expected = Counter([f"<imap-{n}@imap.example>" for n in range(2000) if n % 250 != 7])
    expected.update(message_key(parse(raw), raw) for raw in without_id)
    assert len(without_id) == 8 and len(expected) == 2000 and set(expected.values()) == {1}
    counts = desk.counts()
    assert Counter(counts["inbound"]) == expected  # every message, each exactly once
    assert counts["quarantined"] == 0
    # The kills landed while mail was being stored, not all before or after it.
    assert progress[0] < 2000 or progress[1] < 2000, progress
    assert progress[-1] > 0, progress
    print(f"unseen after each kill: {progress}; {elapsed:.1f} s")


@pytest.mark.django_db(transaction=True)
def test_sigterm_finishes_the_current_message_then_stops(dovecot, tmp_path):
    user, _ = dovecot.new_user()
    append(dovecot, user, [mail(n) for n in range(150)])
    desk = Desk(tmp_path, dovecot, user)
    process = desk.start("--interval", "0.2")
    deadline = time.monotonic() + 60
    while len(unseen(dovecot, user)) == 150 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _, errors = process.communicate(timeout=20)
    assert process.returncode == 0, errors

    left = len(unseen(dovecot, user))
    stored = len(desk.counts()["inbound"])
    assert stored > 0 and stored + left == 150  # whatever was flagged was stored, and nothing more

    looping = desk.start("--interval", "0.2")  # the loop goes on polling, round after round
    deadline = time.monotonic() + 60
    while unseen(dovecot, user) and time.monotonic() < deadline:
        time.sleep(0.1)
    append(dovecot, user, [mail(1000)])
    while unseen(dovecot, user) and time.monotonic() < deadline:
        time.sleep(0.1)
    looping.send_signal(signal.SIGTERM)
    _, errors = looping.communicate(timeout=20)
    assert looping.returncode == 0, errors
    assert len(desk.counts()["inbound"]) == 151
