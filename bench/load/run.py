"""Load test: 50 agents browsing and replying while 100 inbound messages a second arrive over SMTP.

    .venv/bin/python bench/load/run.py                      # 60 s, 50 agents, 100 msg/s, on 127.0.0.1 only
    .venv/bin/python bench/load/run.py --duration 20 --rate 20 --agents 10   # a quick look

It creates a throwaway PostgreSQL database (beside --database-url, dropped at the end unless --keep), seeds a
team, the agents and 300 tickets through the services, and starts the desk as it runs scaled out: gunicorn
with 2 worker processes, a Celery worker with 2 processes on Redis (--broker), the periodic runner and the
SMTP mail receiver, plus an SMTP sink standing in for the customers' mail servers. Then for --duration
seconds locust drives the agents while this process delivers --rate messages a second to the receiver over
8 SMTP connections (a 4xx answer is retried, as a mail server would). The agents start at --spawn-rate a
second and the figures are reset once all have started (`--reset-stats`); logins still running then are
counted in their own rows (a password check is ~0.3-0.5 s of CPU by design, so 50 at once queue). With
--nice-background the receiver, the worker and the periodic runner run at nice 10, so the agents' pages
come first and inbound mail waits. Afterwards it waits (at most 120 s) for the outbox to drain and prints
p50/p95/p99 per page, the error count, and the messages lost: inbound accepted with 250 but not stored, and
outbound recorded as sent but never received (or still queued).
"""

import argparse
import csv
import json
import os
import secrets
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.load.seed import PASSWORD, TEAM_ADDRESS  # noqa: E402

PY = sys.executable
BIN = Path(PY).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


class Sink:
    """The customers' mail servers: counts what the desk sends, by Message-ID."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.received: Counter = Counter()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope) -> str:
        for line in envelope.original_content.split(b"\r\n"):
            if not line:
                break
            if line.lower().startswith(b"message-id:"):
                self.received[line.split(b":", 1)[1].strip().decode()] += 1
        return "250 OK"


def inbound(n: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Customer {n % 500} <customer{n % 500}@load.example>"
    msg["To"] = TEAM_ADDRESS
    msg["Subject"] = f"Question {n} about order {10000 + n}"
    msg["Message-ID"] = f"<load-{n}@load.example>"
    msg.set_content(f"Hello, my order {10000 + n} has not arrived yet. Can you check where it is?\n\nThanks")
    return msg.as_bytes()


class Sender:
    """Delivers `rate` messages a second for `duration` seconds over `connections` SMTP sessions."""

    def __init__(self, port: int, rate: float, duration: float, connections: int = 8) -> None:
        self.port, self.rate, self.duration, self.connections = port, rate, duration, connections
        self.accepted: list[str] = []
        self.deferred = 0  # 4xx answers, retried
        self.refused = 0  # 5xx answers: the mail would bounce
        self.behind = 0.0  # how far behind schedule the last message started (s)
        self._next = 0
        self._lock = threading.Lock()

    def run(self) -> None:
        if self.rate <= 0:  # browsing only
            return
        start = time.monotonic()
        threads = [threading.Thread(target=self._connection, args=(start,)) for _ in range(self.connections)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def _take(self, start: float) -> int | None:
        with self._lock:
            n = self._next
            due = start + n / self.rate
            if due - start >= self.duration:
                return None
            self._next += 1
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)  # pacing: the next message is not due yet
        else:
            self.behind = -delay
        return n

    def _connection(self, start: float) -> None:
        smtp = None
        n = self._take(start)
        while n is not None:
            try:
                if smtp is None:
                    smtp = smtplib.SMTP("127.0.0.1", self.port, timeout=30)
                smtp.sendmail(f"customer{n % 500}@load.example", [TEAM_ADDRESS], inbound(n))
            except smtplib.SMTPResponseException as exc:
                if 400 <= exc.smtp_code < 500:
                    self.deferred += 1
                    continue  # try the same message again
                self.refused += 1
            except (smtplib.SMTPException, OSError):
                self.deferred += 1
                smtp = None
                continue
            else:
                with self._lock:
                    self.accepted.append(f"<load-{n}@load.example>")
            n = self._take(start)
        if smtp is not None:
            smtp.quit()


def shell(env: dict, code: str) -> str:
    done = subprocess.run(  # noqa: S603
        [PY, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip().splitlines()[-1]


STATE = """
import json
from answerable.tickets.models import Message
m = Message.objects
print(json.dumps({
    "inbound": list(
        m.filter(kind="inbound", message_id__startswith="<load-").values_list("message_id", flat=True)
    ),
    "sent": list(m.filter(kind="outbound", delivery="sent").values_list("message_id", flat=True)),
    "queued": m.filter(kind="outbound", delivery="queued").count(),
    "failed": m.filter(kind="outbound", delivery="failed").count(),
    "replies": m.filter(kind="outbound", automatic=False).count(),
}))
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--broker", default="redis://127.0.0.1:6379/12")
    ap.add_argument("--agents", type=int, default=50)
    ap.add_argument("--rate", type=float, default=100.0, help="inbound messages a second")
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--web-workers", type=int, default=2)
    ap.add_argument("--worker-processes", type=int, default=2)
    ap.add_argument("--spawn-rate", type=float, default=5.0, help="agents logging in per second")
    ap.add_argument("--nice-background", action="store_true", help="background services at nice 10")
    ap.add_argument("--keep", action="store_true", help="keep the database")
    args = ap.parse_args()

    import psycopg

    base = args.database_url.rsplit("/", 1)[0]
    name = f"answerable_load_{uuid.uuid4().hex[:8]}"
    admin_url = args.database_url.replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    data = tempfile.mkdtemp(prefix="answerable-load-")
    sink = Sink()
    sink.controller.start()
    env = {
        **os.environ,
        "DATABASE_URL": f"{base}/{name}",
        "ANSWERABLE_DATA_DIR": data,
        "SECRET_KEY": secrets.token_urlsafe(40),
        "BROKER_URL": args.broker,
        "BROKER_QUEUE_PREFIX": f"load-{uuid.uuid4().hex[:6]}.",
        "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SETTINGS_MODULE": "answerable.settings",
    }
    procs: list[subprocess.Popen] = []
    logs = Path(data)

    def start(label: str, argv: list[str]) -> None:
        if args.nice_background and label != "web":
            argv = ["nice", "-n", "10", *argv]
        out = (logs / f"{label}.log").open("wb")
        procs.append(subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,  # noqa: S603
                                      start_new_session=True))  # fmt: skip

    try:
        t0 = time.monotonic()
        subprocess.run([PY, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)  # noqa: S603
        subprocess.run([PY, "-m", "bench.load.seed", str(args.agents)], cwd=ROOT, env=env, check=True)  # noqa: S603
        print(f"database {name} migrated and seeded in {time.monotonic() - t0:.0f} s", flush=True)
        web, mail = free_port(), free_port()
        start(
            "web",
            [
                str(BIN / "gunicorn"),
                "answerable.wsgi",
                "--bind",
                f"127.0.0.1:{web}",
                "--workers",
                str(args.web_workers),
                "--threads",
                "4",
                "--keep-alive",
                "30",  # longer than locust's pauses: no request on a connection the server is closing
                "--log-level",
                "warning",
            ],
        )
        start(
            "worker",
            [
                str(BIN / "celery"),
                "-A",
                "answerable.worker.celery_app",
                "worker",
                "-l",
                "WARNING",
                "--concurrency",
                str(args.worker_processes),
                "--without-gossip",
                "--without-mingle",
            ],
        )
        start("periodic", [PY, "manage.py", "periodic"])
        start("mail", [PY, "manage.py", "mail_receiver", "--port", str(mail)])
        wait_port(web)
        wait_port(mail)
        stats = logs / "locust"
        sender = Sender(mail, args.rate, args.duration)
        sending = threading.Thread(target=sender.run)
        locust = subprocess.Popen(  # noqa: S603
            [str(BIN / "locust"), "-f", str(ROOT / "bench/load/locustfile.py"), "--headless",
             "-u", str(args.agents), "-r", str(args.spawn_rate), "-t", f"{int(args.duration)}s",
             "--host", f"http://127.0.0.1:{web}", "--csv", str(stats), "--only-summary", "--reset-stats",
             "--loglevel", "WARNING"],
            cwd=ROOT, env={**env, "LOAD_PASSWORD": PASSWORD, "LOAD_AGENTS": str(args.agents)},
            stdout=(logs / "locust.log").open("wb"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        run_start = time.monotonic()
        sending.start()
        sending.join()
        locust.wait(timeout=args.duration + 120)
        elapsed = time.monotonic() - run_start
        print(f"load phase {elapsed:.0f} s; waiting for the outbox to drain", flush=True)
        deadline = time.monotonic() + 120
        while True:
            state = json.loads(shell(env, STATE))
            if state["queued"] == 0 or time.monotonic() > deadline:
                break
            time.sleep(2)
        report(args, stats, sender, sink, state, elapsed)
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
        sink.controller.stop()
        if not args.keep:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        print(f"logs in {logs}" + (f"; database {name} kept" if args.keep else ""))
    return 0


def report(args, stats: Path, sender: Sender, sink: Sink, state: dict, elapsed: float) -> None:
    rows = list(csv.DictReader((stats.parent / f"{stats.name}_stats.csv").open()))
    print(f"\n{args.agents} agents, {args.rate:g} inbound msg/s offered for {args.duration:g} s; "
          f"{args.web_workers} web and {args.worker_processes} worker processes, PostgreSQL\n")  # fmt: skip
    print(f"{'page':<22}{'requests':>9}{'errors':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}")
    for row in rows:
        label = "all pages" if row["Name"] == "Aggregated" else row["Name"]
        print(f"{label:<22}{row['Request Count']:>9}{row['Failure Count']:>8}{row['50%']:>8}"
              f"{row['95%']:>8}{row['99%']:>8}")  # fmt: skip
    accepted = set(sender.accepted)
    stored = Counter(state["inbound"])
    lost_in = len(accepted - set(stored))
    doubled_in = sum(1 for c in stored.values() if c > 1)
    sent = Counter(state["sent"])
    lost_out = sum(1 for mid in sent if sink.received[mid] == 0) + state["queued"]
    doubled_out = sum(1 for mid, c in sink.received.items() if c > 1)
    print(f"\ninbound: {len(accepted)} accepted ({len(accepted) / max(elapsed, 1):.1f}/s achieved, "
          f"{sender.deferred} deferred with 4xx and retried, {sender.refused} refused, "
          f"{sender.behind:.1f} s behind schedule at the end); stored {len(stored)}; "
          f"lost {lost_in}; stored twice {doubled_in}")  # fmt: skip
    acks = len(sent) + state["queued"] + state["failed"] - state["replies"]
    print(f"outbound: {state['replies']} replies and {acks} acknowledgements; sent {len(sent)}, "
          f"received by the sink {sum(sink.received.values())}; "
          f"failed {state['failed']}; lost {lost_out}; sent twice {doubled_out}")  # fmt: skip
    errors = sum(int(r["Failure Count"]) for r in rows if r["Name"] == "Aggregated")
    print(f"errors: {errors}; messages lost: {lost_in + lost_out}")


if __name__ == "__main__":
    sys.exit(main())
