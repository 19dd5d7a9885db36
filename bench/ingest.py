"""Mail ingestion benchmark: N generated messages through parse, thread, store and acknowledgement-queued.

    .venv/bin/python bench/ingest.py                          # 2000 messages, SQLite in a temporary directory
    .venv/bin/python bench/ingest.py --database-url postgres://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/ingest.py --workers 2              # parse in 2 processes while this one writes
    .venv/bin/python bench/ingest.py --profile /tmp/ingest.prof   # cProfile of the ingest phase

SQLite (the default) is a fresh file in a temporary directory, with the settings' options (WAL, IMMEDIATE).
With a postgres:// URL the URL names the server and a maintenance database: a throwaway database
answerable_bench_<random> is created beside it and dropped at the end (unless --keep).

The messages (fixed seed) are a desk's ordinary day: plain text, multipart/alternative with HTML, HTML only,
replies that quote the message before and thread to it by In-Reply-To/References, attachments (PDF, PNG,
CSV, inline images in multipart/related), other charsets (ISO-8859-1/2, windows-1252, KOI8-R, Shift_JIS,
RFC 2047 headers, undeclared 8-bit, wrongly declared UTF-8), auto-replies, redeliveries of the same message,
and a few malformed ones. Two teams with business hours (Europe/Berlin, German holidays) and 30 days of
answered tickets (the history the acknowledgement's expected time is computed from).

Only the ingest phase is timed: `answerable.mail.ingest.ingest(raw, recipients=[...], now=...)` for every
message, one transaction each, as the SMTP receiver calls it. The simulated clock moves `--spacing` seconds
per message (default 1 s: a busy desk's day replayed as a backlog). The breakdown times parse() and the
database (every statement through an execute_wrapper, plus commits); the rest is Python around them (ORM,
reply separation, HTML sanitising, attachment checks and files).
"""

import argparse
import base64
import contextlib
import cProfile
import json
import math
import os
import random
import re
import statistics
import sys
import tempfile
import time
import zlib
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.inbox import prepare_database  # noqa: E402 (path set up above)

START = datetime(2026, 3, 10, 7, 30, tzinfo=UTC)  # a Tuesday morning in Berlin
TARGET_PER_S = 1000.0
TEAMS = [("Support", "support@desk.example"), ("Billing", "billing@desk.example")]
HISTORY_TICKETS = 250  # per team, over the last 30 days: more than expected.HISTORY_TICKETS reads

FIRST = [
    "Ana", "Ben", "Chloe", "Dev", "Emma", "Farid", "Grace", "Hugo", "Iris", "Jonas", "Kai", "Lena", "Mateo",
    "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sami", "Tara", "José", "Zoë", "Łukasz", "Søren", "Ömer",
    "Renée", "Jiří", "Ingrid",
]  # fmt: skip
LAST = [
    "Ruiz", "Shah", "Martin", "Okafor", "Novak", "Berg", "Costa", "Dubois", "Evans", "Fischer", "Müller",
    "Haddad", "Ito", "Jensen", "Kowalski", "López", "Moreau", "Nakamura", "Dvořák", "Petrov", "Ærø",
]  # fmt: skip
DOMAINS = ["acme.example", "northwind.example", "globex.example", "initech.example", "mail.example"]
SUBJECTS = [
    "Order {n} not shipped", "Refund for order {n}", "Double charge on invoice {n}",
    "Cannot log in since the update", "Parcel {n} arrived damaged", "Change the delivery address for {n}",
    "Question about invoice {n}", "The export to CSV fails", "Cancel my subscription",
    "Wrong item in order {n}", "API returns 500 on /orders/{n}", "VAT number missing on invoice {n}",
]  # fmt: skip
SENTENCES = [
    "I ordered this two weeks ago and it still has not arrived.",
    "Could you please check what is going on with my account?",
    "The tracking page has said 'label created' since Monday.",
    "I was charged twice for the same invoice, see the attached statement.",
    "We have tried clearing the cache and logging in again, without success.",
    "Our finance team needs the VAT number on the invoice before they can pay.",
    "I have attached a screenshot of the error message.",
    "Please cancel the order if it cannot ship this week.",
    "Could you confirm the delivery address once more?",
    "The parcel was left at the neighbour's and the box is crushed.",
    "Is there a way to change the plan without losing our data?",
    "It worked fine until the update on Thursday.",
]
# Text in other charsets: what the charset can encode, and what a customer in that language writes.
FOREIGN = {
    "iso-8859-1": "Bonjour, ma commande n'est toujours pas arrivée. Merci de vérifier où elle en est !",
    "windows-1252": "Grüße aus Köln \u2013 die Rechnung enthält „doppelte“ Beträge: 49,90 € statt 24,95 €.",
    "iso-8859-2": "Dzień dobry, przesyłka nie dotarła. Proszę o sprawdzenie. Zażółć gęślą jaźń.",
    "koi8-r": "Здравствуйте! Мой заказ до сих пор не доставлен. Пожалуйста, проверьте статус.",
    "shift_jis": "お世話になっております。注文した商品がまだ届いていません。確認をお願いします。",
}
SIGNATURES = [
    "\n\nBest regards,\n{name}",
    "\n\nThanks,\n{name}\n--\n{name}\nAcme Ltd, +44 20 7946 0000",
    "\n\n{name}",
]
KINDS = [
    ("plain", 28), ("alternative", 18), ("html_only", 4), ("reply", 22), ("reply_html", 5),
    ("attachment", 8), ("inline_image", 2), ("charset", 8), ("auto", 2), ("duplicate", 1), ("malformed", 2),
]  # fmt: skip

# A valid 1x1 PNG, then filler: the attachment check sniffs the type from the first bytes.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


# --- set-up ----------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--messages", "-n", type=int, default=2000, help="messages to ingest (default 2000)")
    p.add_argument(
        "--database-url",
        default="",
        help="postgres://user@host:port/maintenance_db (a throwaway database is created beside it); "
        "default: SQLite in a fresh temporary directory",
    )
    p.add_argument("--workers", type=int, default=0, help="parse in N processes while this one writes")
    p.add_argument(
        "--writers",
        type=int,
        default=1,
        help="N processes each ingesting (parse and write) the mail of its share of the senders (default 1)",
    )
    p.add_argument("--spacing", type=float, default=1.0, help="simulated seconds between messages (1)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--keep", action="store_true", help="keep the database (and its directory) at the end")
    p.add_argument("--profile", metavar="PATH", help="write a cProfile of the ingest phase to PATH")
    p.add_argument("--no-breakdown", action="store_true", help="time the ingest without instrumentation")
    p.add_argument("--json", metavar="PATH", help="also write the figures as JSON to PATH")
    p.add_argument(
        "--parse-only",
        action="store_true",
        help="no database: compare parsers on the shared corpus and the generated messages",
    )
    args = p.parse_args(argv)
    if args.messages < 10:
        p.error("--messages: at least 10")
    if args.writers > 1 and args.workers:
        p.error("--writers and --workers: one or the other")
    return args


def setup_django() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "answerable.settings"
    os.environ.setdefault("LOG_LEVEL", "ERROR")  # quarantined mail logs a warning each
    import django

    django.setup()


def make_world(rng: random.Random) -> None:
    """Two teams with addresses, business hours and holidays, and 30 days of answered tickets each."""
    from answerable.customers import services as customer_services
    from answerable.staff.models import Holiday, Team, TeamAddress
    from answerable.tickets.models import Status, Ticket

    week = {day: [["08:00", "12:30"], ["13:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    history_customer = customer_services.create_customer(name="Old Customer", emails=["old@history.example"])
    for name, address in TEAMS:
        team = Team.objects.create(
            name=name, time_zone="Europe/Berlin", week_schedule=week, holiday_country="DE"
        )
        TeamAddress.objects.create(team=team, email=address)
        Holiday.objects.create(team=team, date=START.date() + timedelta(days=17), name="Company day")
        tickets = []
        for _ in range(HISTORY_TICKETS):
            created = START - timedelta(seconds=rng.uniform(3600, 30 * 86400))
            answered = created + timedelta(minutes=rng.lognormvariate(4.5, 0.8))
            tickets.append(
                Ticket(
                    subject="Old request", customer=history_customer, team=team, status=Status.SOLVED,
                    created_at=created, first_response_at=answered, solved_at=answered,
                    last_activity_at=answered,
                )
            )  # fmt: skip
        Ticket.objects.bulk_create(tickets)


# --- messages --------------------------------------------------------------------------------------------


class Generator:
    """Realistic raw messages with a fixed seed. Each is (raw bytes, envelope recipients, now)."""

    def __init__(self, seed: int, spacing: float) -> None:
        self.rng = random.Random(seed)
        self.spacing = spacing
        self.senders = [self._person(i) for i in range(400)]
        self.sent: list[tuple[tuple[str, str], str, str, str, str]] = []  # sender, msgid, subject, body, rcpt
        self.raws: list[bytes] = []

    def _person(self, i: int) -> tuple[str, str]:
        first, last = FIRST[i % len(FIRST)], LAST[(i * 7) % len(LAST)]
        local = f"{first}.{last}{i}".lower().encode("ascii", "ignore").decode()
        return f"{first} {last}", f"{local}@{DOMAINS[i % len(DOMAINS)]}"

    def _body(self, sentences: tuple[int, int] = (2, 8)) -> str:
        rng = self.rng
        paras = []
        for _ in range(rng.randint(1, 3)):
            paras.append(" ".join(rng.choice(SENTENCES) for _ in range(rng.randint(*sentences))))
        return "Hello,\n\n" + "\n\n".join(paras)

    def _signature(self, name: str) -> str:
        return self.rng.choice(SIGNATURES).format(name=name)

    def _base(self, i: int, when: datetime, sender: tuple[str, str], rcpt: str, subject: str) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = formataddr(sender)
        msg["To"] = rcpt
        msg["Subject"] = subject
        msg["Date"] = format_datetime(when)
        msg["Message-ID"] = f"<bench.{i}.{self.rng.getrandbits(40):x}@{sender[1].split('@')[1]}>"
        msg["MIME-Version"] = "1.0"
        return msg

    @staticmethod
    def _html(text: str) -> str:
        paras = "".join(
            f"<p>{p.replace('&', '&amp;').replace(chr(10), '<br>')}</p>" for p in text.split("\n\n")
        )
        return (
            f'<html><head><style>p{{margin:0}}</style></head><body><div dir="ltr">{paras}</div></body></html>'
        )

    def generate(self, n: int) -> list[tuple[bytes, list[str], datetime]]:
        rng = self.rng
        names, weights = zip(*KINDS, strict=True)
        out = []
        for i in range(n):
            when = START + timedelta(seconds=i * self.spacing)
            kind = rng.choices(names, weights)[0]
            if (kind.startswith("reply") and not self.sent) or (kind == "duplicate" and not self.raws):
                kind = "plain"
            raw, rcpt = getattr(self, f"_{kind}")(i, when)
            self.raws.append(raw)
            out.append((raw, [rcpt], when))
        return out

    def _new(self, i: int, when: datetime) -> tuple[EmailMessage, tuple[str, str], str, str, str]:
        sender = self.rng.choice(self.senders)
        rcpt = self.rng.choice(TEAMS)[1]
        subject = self.rng.choice(SUBJECTS).format(n=self.rng.randint(10000, 99999))
        body = self._body() + self._signature(sender[0])
        msg = self._base(i, when, sender, rcpt, subject)
        self.sent.append((sender, msg["Message-ID"], subject, body, rcpt))
        return msg, sender, rcpt, subject, body

    def _plain(self, i: int, when: datetime) -> tuple[bytes, str]:
        msg, _, rcpt, _, body = self._new(i, when)
        msg.set_content(body, cte=self.rng.choice([None, "quoted-printable"]))
        return msg.as_bytes(), rcpt

    def _alternative(self, i: int, when: datetime) -> tuple[bytes, str]:
        msg, _, rcpt, _, body = self._new(i, when)
        msg.set_content(body)
        msg.add_alternative(self._html(body), subtype="html")
        return msg.as_bytes(), rcpt

    def _html_only(self, i: int, when: datetime) -> tuple[bytes, str]:
        msg, _, rcpt, _, body = self._new(i, when)
        msg.set_content(self._html(body.replace("'", "&#39;")), subtype="html")
        return msg.as_bytes(), rcpt

    def _reply_parts(self, i: int, when: datetime) -> tuple[EmailMessage, str, str, str]:
        """A reply to an earlier generated message of the same sender: In-Reply-To, References, quote."""
        sender, parent_id, subject, parent_body, rcpt = self.rng.choice(self.sent[-300:])
        subject = subject if subject.startswith("Re: ") else f"Re: {subject}"
        msg = self._base(i, when, sender, rcpt, subject)
        msg["In-Reply-To"] = parent_id
        msg["References"] = parent_id
        new = " ".join(self.rng.choice(SENTENCES) for _ in range(self.rng.randint(1, 3)))
        self.sent.append((sender, msg["Message-ID"], subject, new, rcpt))
        header = f"On {format_datetime(when - timedelta(hours=2))}, {sender[0]} <{sender[1]}> wrote:"
        return msg, new + self._signature(sender[0]), header, parent_body

    def _reply(self, i: int, when: datetime) -> tuple[bytes, str]:
        msg, new, header, parent = self._reply_parts(i, when)
        quoted = "\n".join(f"> {line}" if line else ">" for line in parent.splitlines())
        msg.set_content(f"{new}\n\n{header}\n{quoted}\n")
        return msg.as_bytes(), msg["To"]

    def _reply_html(self, i: int, when: datetime) -> tuple[bytes, str]:
        msg, new, header, parent = self._reply_parts(i, when)
        quoted = "\n".join(f"> {line}" if line else ">" for line in parent.splitlines())
        msg.set_content(f"{new}\n\n{header}\n{quoted}\n")
        html = (
            f'<div>{self._html(new)}</div><div class="gmail_quote"><div class="gmail_attr">{header}</div>'
            '<blockquote class="gmail_quote" style="margin:0 0 0 .8ex">'
            f"{self._html(parent)}</blockquote></div>"
        )
        msg.add_alternative(html, subtype="html")
        return msg.as_bytes(), msg["To"]

    def _attachment(self, i: int, when: datetime) -> tuple[bytes, str]:
        msg, _, rcpt, _, body = self._new(i, when)
        msg.set_content(body)
        choice = self.rng.randrange(3)
        size = self.rng.randint(2_000, 40_000)
        if choice == 0:
            data = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + self.rng.randbytes(size) + b"\n%%EOF\n"
            msg.add_attachment(data, maintype="application", subtype="pdf", filename=f"invoice-{i}.pdf")
        elif choice == 1:
            msg.add_attachment(
                PNG + self.rng.randbytes(size), maintype="image", subtype="png", filename="screen.png"
            )
        else:
            rows = "\n".join(f"{n},{self.rng.randint(1, 999)},EUR" for n in range(size // 40))
            msg.add_attachment(f"order,amount,currency\n{rows}\n", subtype="csv", filename="orders.csv")
        return msg.as_bytes(), rcpt

    def _inline_image(self, i: int, when: datetime) -> tuple[bytes, str]:
        msg, _, rcpt, _, body = self._new(i, when)
        msg.set_content(body)
        msg.add_alternative(self._html(body) + '<img src="cid:logo@bench">', subtype="html")
        html_part = msg.get_payload()[1]
        html_part.add_related(PNG, maintype="image", subtype="png", cid="<logo@bench>", filename="logo.png")
        return msg.as_bytes(), rcpt

    def _charset(self, i: int, when: datetime) -> tuple[bytes, str]:
        sender = self.rng.choice(self.senders)
        rcpt = self.rng.choice(TEAMS)[1]
        charset = self.rng.choice(list(FOREIGN))
        text = FOREIGN[charset] + "\n\n" + self._body((1, 3)) + self._signature(sender[0])
        variant = self.rng.randrange(4)
        subject = self.rng.choice(SUBJECTS).format(n=self.rng.randint(10000, 99999))
        msgid = f"<bench.{i}.{self.rng.getrandbits(40):x}@{sender[1].split('@')[1]}>"
        self.sent.append((sender, msgid, subject, text, rcpt))
        if charset == "shift_jis" or variant == 0:
            # Declared, with an RFC 2047 subject and sender name in the same charset.
            subject_header = Header(f"{subject} - {FOREIGN[charset][:12]}", charset).encode()
            name_header = Header(sender[0], "utf-8").encode()
            cte = "base64" if charset == "shift_jis" else "quoted-printable"
            payload = text.encode(charset, "replace")
            body = base64.encodebytes(payload) if cte == "base64" else _qp(payload)
            head = [
                f"From: {name_header} <{sender[1]}>",
                f"Subject: {subject_header}",
                f'Content-Type: text/plain; charset="{charset}"',
                f"Content-Transfer-Encoding: {cte}",
            ]
        elif variant == 1:  # declared, 8bit on the wire, raw 8-bit subject in the same charset
            body = text.encode(charset, "replace")
            raw_subject = f"{subject} - {FOREIGN[charset][:12]}".encode(charset, "replace")
            head = [
                f"From: {sender[1]}",
                b"Subject: " + raw_subject,
                f"Content-Type: text/plain; charset={charset}",
                "Content-Transfer-Encoding: 8bit",
            ]
        elif variant == 2:  # undeclared 8-bit
            body = text.encode(charset, "replace")
            head = [f"From: {sender[1]}", f"Subject: {subject}", "Content-Transfer-Encoding: 8bit"]
        else:  # declared UTF-8, written in windows-1252
            body = text.encode("windows-1252", "replace")
            head = [
                f"From: {sender[1]}",
                f"Subject: {subject}",
                "Content-Type: text/plain; charset=utf-8",
                "Content-Transfer-Encoding: 8bit",
            ]
        head += [f"To: {rcpt}", f"Date: {format_datetime(when)}", f"Message-ID: {msgid}", "MIME-Version: 1.0"]
        lines = [h if isinstance(h, bytes) else h.encode("ascii") for h in head]
        return b"\r\n".join(lines) + b"\r\n\r\n" + body.replace(b"\n", b"\r\n"), rcpt

    def _auto(self, i: int, when: datetime) -> tuple[bytes, str]:
        msg, _, rcpt, _, body = self._new(i, when)
        if self.rng.random() < 0.5:
            msg["Auto-Submitted"] = "auto-replied"
            msg.replace_header("Subject", "Out of office: " + msg["Subject"])
        else:
            msg["Precedence"] = "bulk"
            msg["List-Id"] = "<news.acme.example>"
        msg.set_content(body)
        return msg.as_bytes(), rcpt

    def _duplicate(self, i: int, when: datetime) -> tuple[bytes, str]:
        raw = self.rng.choice(self.raws[-50:])
        return raw, next((t[1] for t in TEAMS if t[1].encode() in raw), TEAMS[0][1])

    def _malformed(self, i: int, when: datetime) -> tuple[bytes, str]:
        sender = self.rng.choice(self.senders)
        rcpt = TEAMS[0][1]
        head = (
            f"From: {sender[1]}\r\nTo: {rcpt}\r\nDate: {format_datetime(when)}\r\n"
            f"Message-ID: <bench.bad.{i}@{sender[1].split('@')[1]}>\r\n"
        ).encode()
        body = self._body((1, 3)).encode()
        variant = self.rng.randrange(5)
        if variant == 0:  # a boundary that never appears
            return (
                head + b'Subject: Broken\r\nContent-Type: multipart/mixed; boundary="nope"\r\n\r\n' + body,
                rcpt,
            )
        if variant == 1:  # an unknown charset name
            return (
                head + b"Subject: Odd charset\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\n" + body,
                rcpt,
            )
        if variant == 2:  # broken base64 and a truncated multipart
            return head + (
                b'Subject: Truncated\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
                b"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                b"SGVsbG8gd29y!!bGQ\r\n--b\r\n"
                b"Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0x"
            ), rcpt
        if variant == 3:  # an RFC 2047 word in a charset that does not exist, and garbage header lines
            return head + (
                b"Subject: =?x-unknown?Q?Caf=E9?= and =?utf-8?B?broken?=\r\nthis is not a header\r\n\r\n"
                + body
            ), rcpt
        # no sender at all: quarantined
        return head.replace(f"From: {sender[1]}\r\n".encode(), b"") + b"Subject: Who?\r\n\r\n" + body, rcpt


def _qp(data: bytes) -> bytes:
    import quopri

    return quopri.encodestring(data)


# --- measure ---------------------------------------------------------------------------------------------


class Instruments:
    """Prepare time (parse and reply separation, wrapped where ingest calls it), database time (every
    statement and commit)."""

    def __init__(self) -> None:
        self.parse_s = 0.0
        self.db_s = 0.0
        self.queries = 0
        self.commits = 0

    def install(self) -> Callable[[], None]:
        from django.db import connection

        from answerable.mail import ingest as ingest_module

        # What ingest calls for the CPU part: prepare() (parse and reply separation), or parse() in code from
        # before prepare() existed, so the bench also measures the older code it is compared with.
        hook = "prepare" if hasattr(ingest_module, "prepare") else "parse"
        original_prepare = getattr(ingest_module, hook)

        def timed_prepare(raw: bytes):
            t = time.perf_counter()
            try:
                return original_prepare(raw)
            finally:
                self.parse_s += time.perf_counter() - t

        def wrapper(execute, sql, params, many, context):
            t = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                self.db_s += time.perf_counter() - t
                self.queries += 1

        connection.ensure_connection()
        original_commit = connection._commit

        def timed_commit() -> None:
            t = time.perf_counter()
            try:
                original_commit()
            finally:
                self.db_s += time.perf_counter() - t
                self.commits += 1

        setattr(ingest_module, hook, timed_prepare)
        connection._commit = timed_commit
        cm = connection.execute_wrapper(wrapper)
        cm.__enter__()

        def uninstall() -> None:
            cm.__exit__(None, None, None)
            setattr(ingest_module, hook, original_prepare)
            del connection._commit

        return uninstall


def _prepare_in_worker(raw: bytes):
    from answerable.mail.ingest import prepare

    return prepare(raw)


_SENDER = re.compile(rb"^From:[^\r\n]*?([^\s<>\"]+@[^\s<>\"]+)", re.MULTILINE | re.IGNORECASE)


def _shard_of(raw: bytes, shards: int) -> int:
    """A sender's mail always goes to the same writer, so a reply is filed after the mail it answers."""
    found = _SENDER.search(raw[:4096])
    return zlib.crc32(found.group(1).lower()) % shards if found else 0


def _write_share(share: list[tuple[bytes, list[str], datetime]]) -> Counter:
    from django.db import connections

    from answerable.mail.ingest import ingest

    connections.close_all()  # a connection of its own, not the parent's
    kinds: Counter[str] = Counter()
    for raw, rcpt, now in share:
        kinds[ingest(raw, recipients=rcpt, now=now).kind] += 1
    connections.close_all()
    return kinds


def run_writers(messages: list[tuple[bytes, list[str], datetime]], args: argparse.Namespace) -> dict:
    """N processes, each parsing and writing the mail of its share of the senders, one transaction each."""
    import multiprocessing

    from django.db import connections

    shares: list[list[tuple[bytes, list[str], datetime]]] = [[] for _ in range(args.writers)]
    for message in messages:
        shares[_shard_of(message[0], args.writers)].append(message)
    connections.close_all()
    with multiprocessing.get_context("fork").Pool(args.writers) as pool:
        pool.map(len, [[]] * args.writers)  # the processes are up before the clock starts
        started = time.perf_counter()
        results = pool.map(_write_share, shares, chunksize=1)
        elapsed = time.perf_counter() - started
    kinds: Counter[str] = sum(results, Counter())
    n = len(messages)
    return {
        "messages": n, "seconds": round(elapsed, 3), "per_s": round(n / elapsed, 1),
        "kinds": dict(sorted(kinds.items())), "parse_s": None, "db_s": None, "queries": None, "commits": None,
        "shares": [len(share) for share in shares],
    }  # fmt: skip


def run_ingest(messages: list[tuple[bytes, list[str], datetime]], args: argparse.Namespace) -> dict:
    from django.db import connections

    from answerable.mail.ingest import ingest

    pool = None
    if args.workers:
        import multiprocessing

        connections.close_all()  # the children never touch the database; do not share a connection
        pool = multiprocessing.get_context("fork").Pool(args.workers)
        pool.map(_prepare_in_worker, [m[0] for m in messages[:8]])  # warm the workers before the clock
    instruments = Instruments()
    uninstall = (lambda: None) if args.no_breakdown else instruments.install()
    profiler = cProfile.Profile() if args.profile else None
    kinds: Counter[str] = Counter()
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    try:
        if pool is not None:
            prepared = pool.imap(_prepare_in_worker, (m[0] for m in messages), chunksize=16)
            for (raw, rcpt, now), ready in zip(messages, prepared, strict=True):
                kinds[ingest(raw, recipients=rcpt, now=now, prepared=ready).kind] += 1
        else:
            for raw, rcpt, now in messages:
                kinds[ingest(raw, recipients=rcpt, now=now).kind] += 1
    finally:
        if profiler:
            profiler.disable()
        elapsed = time.perf_counter() - started
        uninstall()
        if pool is not None:
            pool.close()
            pool.join()
    if profiler:
        profiler.dump_stats(args.profile)
    n = len(messages)
    return {
        "messages": n,
        "seconds": round(elapsed, 3),
        "per_s": round(n / elapsed, 1),
        "kinds": dict(sorted(kinds.items())),
        "parse_s": None if args.no_breakdown or args.workers else round(instruments.parse_s, 3),
        "db_s": None if args.no_breakdown else round(instruments.db_s, 3),
        "queries": None if args.no_breakdown else instruments.queries,
        "commits": None if args.no_breakdown else instruments.commits,
    }


# --- parse only ------------------------------------------------------------------------------------------

_HEADERS = (
    "message-id", "in-reply-to", "references", "subject", "date", "from", "reply-to", "sender", "return-path",
    "delivered-to", "x-original-to", "to", "cc", "auto-submitted", "precedence", "list-id",
)  # fmt: skip


def default_policy_reference(raw: bytes) -> None:
    """What answerable.mail.parse did before (policy.default): the same headers, body and attachments."""
    from email import policy
    from email.parser import BytesParser

    msg = BytesParser(policy=policy.default).parsebytes(raw)
    for name in _HEADERS:
        with contextlib.suppress(Exception):  # the reference keeps going, as the old parse did
            str(msg.get(name, "") or "")
    for preference in (("plain",), ("html",)):
        try:
            part = msg.get_body(preferencelist=preference)
            if part is not None:
                part.get_content()
        except Exception:  # noqa: S110
            pass
    try:
        for part in msg.iter_attachments():
            part.get_payload(decode=True)
    except Exception:  # noqa: S110
        pass


def compat32_parse_only(raw: bytes) -> None:
    from email import policy
    from email.parser import BytesParser

    BytesParser(policy=policy.compat32).parsebytes(raw)


def parse_only(args: argparse.Namespace) -> int:
    """Messages per second, one process, best of 5 rounds, for each way of reading mail."""
    os.environ.setdefault("ANSWERABLE_DATA_DIR", tempfile.mkdtemp(prefix="answerable-bench-parse-"))
    setup_django()
    from answerable.lib.corpora import corpora_dir
    from answerable.mail.ingest import prepare
    from answerable.mail.parse import parse

    corpora = corpora_dir()
    sets = {
        "generated": [m[0] for m in Generator(args.seed, args.spacing).generate(min(args.messages, 2000))]
    }
    if corpora is not None:
        sets["corpus"] = [p.read_bytes() for p in sorted((corpora / "email" / "messages").glob("*/*.eml"))]
    ways = [
        ("policy.default: parse, headers, body, attachments (the old parse)", default_policy_reference),
        ("policy.compat32: parse only", compat32_parse_only),
        ("answerable parse() (compat32 + careful decoding)", parse),
        ("answerable prepare() (parse + reply separation)", prepare),
    ]
    figures: dict[str, dict[str, float]] = {}
    for label, raws in sets.items():
        print(f"{label}: {len(raws)} messages, {sum(map(len, raws)) / 1e6:.1f} MB")
        for name, fn in ways:
            for raw in raws[:50]:
                fn(raw)
            best = math.inf
            for _ in range(5):
                t = time.perf_counter()
                for raw in raws:
                    fn(raw)
                best = min(best, time.perf_counter() - t)
            figures.setdefault(label, {})[name] = round(len(raws) / best, 1)
            print(f"  {len(raws) / best:8,.0f} msg/s  {name}")
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "parse_only": figures}, indent=2))
    return 0


def database_version() -> str:
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SHOW server_version")
            return f"PostgreSQL {cur.fetchone()[0].split()[0]}"
        cur.execute("SELECT sqlite_version()")
        return f"SQLite {cur.fetchone()[0]}"


def check(messages: list[tuple[bytes, list[str], datetime]]) -> dict[str, int]:
    """What was stored: every message is a ticket message or quarantined; acknowledgements queued."""
    from answerable.mail.models import QuarantinedMail
    from answerable.tickets.models import Attachment, Message, Ticket

    return {
        "tickets": Ticket.objects.filter(subject__regex=r"^(?!Old request$)").count(),
        "inbound": Message.objects.filter(kind=Message.Kind.INBOUND).count(),
        "acks_queued": Message.objects.filter(automatic=True, delivery=Message.Delivery.QUEUED).count(),
        "attachments": Attachment.objects.count(),
        "with_problems": Message.objects.exclude(problems=[]).count(),
        "quarantined": QuarantinedMail.objects.count(),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.parse_only:
        return parse_only(args)
    args.no_fill = False
    cleanup = prepare_database(args)  # the same throwaway database handling as bench/inbox.py
    setup_django()
    from django.core.management import call_command

    try:
        call_command("migrate", verbosity=0, interactive=False)
        rng = random.Random(args.seed)
        make_world(rng)
        t = time.perf_counter()
        messages = Generator(args.seed, args.spacing).generate(args.messages)
        sizes = [len(m[0]) for m in messages]
        vendor = database_version()
        print(
            f"{len(messages):,} messages generated in {time.perf_counter() - t:.1f} s "
            f"(median {statistics.median(sizes):,.0f} bytes, {sum(sizes) / 1e6:.1f} MB); {vendor}, "
            f"{os.cpu_count()} cores, "
            + (
                f"{args.writers} writer processes (each parses its own)"
                if args.writers > 1
                else f"workers: {args.workers or 'none (parse in this process)'}"
            )
        )
        result = run_writers(messages, args) if args.writers > 1 else run_ingest(messages, args)
        result["stored"] = check(messages)
        result["vendor"] = vendor
        n, secs = result["messages"], result["seconds"]
        verdict = "met" if result["per_s"] >= TARGET_PER_S else "NOT met"
        print(
            f"ingest: {n:,} messages in {secs:.2f} s = {result['per_s']:,.0f} messages/s "
            f"(target {TARGET_PER_S:,.0f}: {verdict})"
        )
        print(f"  per message: {1000 * secs / n:.3f} ms")
        if result["db_s"] is not None:
            parse_s = result["parse_s"]
            other = secs - (parse_s or 0) - result["db_s"]
            if parse_s is not None:
                share, each = 100 * parse_s / secs, 1e6 * parse_s / n
                print(f"  prepare   {parse_s:7.2f} s  {share:5.1f}%  ({each:,.0f} µs/msg: parse, reply text)")
            else:
                print(f"  parse     in {args.workers} worker processes, beside this one")
            print(
                f"  database  {result['db_s']:7.2f} s  {100 * result['db_s'] / secs:5.1f}%  "
                f"({result['queries'] / n:.1f} statements, {result['commits'] / n:.2f} commits per message)"
            )
            print(f"  rest      {other:7.2f} s  {100 * other / secs:5.1f}%  (ORM, sanitising, attachments)")
        print(f"  outcomes: {result['kinds']}")
        print(f"  stored:   {result['stored']}")
        if args.json:
            Path(args.json).write_text(json.dumps({"args": vars(args), "result": result}, indent=2))
    finally:
        cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
