"""IMAP polling of the teams' mailboxes.

A message is read with BODY.PEEK[] (which never sets \\Seen), stored through `ingest`, and only once ingest
has returned (its transaction committed) flagged \\Seen or moved to the mailbox's `move_to` folder. A message
that cannot be stored stays unseen and is tried again at the next poll; ingest is idempotent, so a message
read twice (a crash between storing and flagging, a flag cleared by someone) is still stored once.

Each mailbox is polled on its own: a refused login, an unreachable server or a bad certificate is recorded in
`Mailbox.last_error` and the other mailboxes are polled all the same.
"""

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from imapclient import DELETED, SEEN, IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError

from answerable.lib import clock
from answerable.mail.ingest import Outcome, ingest
from answerable.mail.models import Mailbox

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 60.0  # for connecting and for each server response
BATCH_BYTES = 64 * 1024 * 1024  # at most this much mail held in memory at once (one message may exceed it)
_SIZE_CHUNK = 500  # UIDs per size query, to keep command lines short


@dataclass
class PollResult:
    fetched: int = 0
    stored: int = 0  # new tickets, replies, follow-ups, bounces matched to our mail
    duplicates: int = 0  # already stored before: flagged or moved now
    quarantined: int = 0
    failed: int = 0  # ingest raised: left unseen, retried next poll
    error: str = ""  # why the poll stopped early (or a flag/move the server refused), else ""

    def add(self, outcome: Outcome) -> None:
        if outcome.kind == "duplicate":
            self.duplicates += 1
        elif outcome.kind == "quarantined":
            self.quarantined += 1
        else:
            self.stored += 1


def poll_mailbox(
    mailbox: Mailbox,
    *,
    now_fn: Callable[[], datetime] = clock.now,
    batch: int = 100,
    stop: Callable[[], bool] | None = None,
) -> PollResult:
    """Store the mailbox's unseen mail. Never raises for the mail server's sake; `stop()` is asked between
    messages (a graceful shutdown finishes the current message and leaves the rest for the next poll)."""
    result = PollResult()
    stage = "connect"
    try:
        with IMAPClient(
            mailbox.host, port=mailbox.port, ssl=mailbox.use_ssl, timeout=TIMEOUT_SECONDS
        ) as client:
            stage = "login"
            client.login(mailbox.username, mailbox.password)
            stage = "poll"
            _poll(client, mailbox, result, now_fn=now_fn, batch=max(1, batch), stop=stop or _never)
    except Exception as exc:  # connection refused, TLS, login, timeouts, a server that hung up
        result.error = f"{stage}: {describe(exc)}"
        log.warning("mailbox %s (%s): %s", mailbox.pk, mailbox, result.error)
    polled_at = now_fn()
    Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=polled_at, last_error=result.error)
    mailbox.last_polled_at, mailbox.last_error = polled_at, result.error
    if result.fetched:
        log.info("mailbox %s (%s): %s", mailbox.pk, mailbox, result)
    return result


def poll_all(
    now_fn: Callable[[], datetime] = clock.now, *, stop: Callable[[], bool] | None = None
) -> dict[int, PollResult]:
    """Poll every active mailbox once, each on its own: one failing never keeps the others from their turn."""
    results: dict[int, PollResult] = {}
    for mailbox in Mailbox.objects.filter(active=True).select_related("team").order_by("pk"):
        if stop is not None and stop():
            break
        try:
            results[mailbox.pk] = poll_mailbox(mailbox, now_fn=now_fn, stop=stop)
        except Exception as exc:  # e.g. the database refused the last_error update: go on with the next one
            log.exception("mailbox %s (%s): poll failed", mailbox.pk, mailbox)
            results[mailbox.pk] = PollResult(error=describe(exc))
    return results


def describe(exc: BaseException) -> str:
    """A one-line reason for last_error: imaplib gives server responses as bytes."""
    parts = [arg.decode(errors="replace") if isinstance(arg, bytes) else str(arg) for arg in exc.args]
    text = " ".join(part for part in parts if part) or str(exc)
    if text.startswith(("b'", 'b"')) and text.endswith(("'", '"')):  # LoginError wraps str(bytes)
        text = text[2:-1]
    return f"{exc.__class__.__name__}: {text}" if text else exc.__class__.__name__


def _never() -> bool:
    return False


def _poll(
    client: IMAPClient,
    mailbox: Mailbox,
    result: PollResult,
    *,
    now_fn: Callable[[], datetime],
    batch: int,
    stop: Callable[[], bool],
) -> None:
    if mailbox.move_to and not client.folder_exists(mailbox.move_to):
        log.info("mailbox %s: creating folder %r for stored mail", mailbox.pk, mailbox.move_to)
        client.create_folder(mailbox.move_to)
    client.select_folder(mailbox.folder)
    uids = sorted(client.search(["UNSEEN", "NOT", "DELETED"]))
    if not uids:
        return
    address = mailbox.team.addresses.order_by("pk").values_list("email", flat=True).first()
    recipients = [address] if address else []  # the mailbox's team receives it
    source = f"imap:{mailbox.pk}"
    can_move = client.has_capability("MOVE")
    can_uid_expunge = client.has_capability("UIDPLUS")
    for chunk in _batches(client, uids, batch):
        fetched = client.fetch(chunk, ["BODY.PEEK[]"])
        for uid in chunk:
            if stop():
                return
            raw = _body(fetched.get(uid))
            if raw is None:
                continue  # expunged by another client since the search
            result.fetched += 1
            try:
                outcome = ingest(raw, recipients=recipients, now=now_fn(), source=source)
            except Exception:
                result.failed += 1
                log.exception(
                    "mailbox %s: could not store UID %s; left unseen for the next poll", mailbox.pk, uid
                )
                continue
            result.add(outcome)
            try:
                _done(client, uid, mailbox.move_to, can_move=can_move, can_uid_expunge=can_uid_expunge)
            except IMAPClientAbortError:
                raise  # the connection is gone: the poll ends; this message is stored, next poll a duplicate
            except IMAPClientError as exc:  # the server refused the flag or the move of this one message
                action = "moved" if mailbox.move_to else "flagged"
                result.error = f"UID {uid} stored but not {action}: {describe(exc)}"
                log.warning("mailbox %s: %s", mailbox.pk, result.error)


def _batches(client: IMAPClient, uids: list[int], batch: int) -> Iterator[list[int]]:
    """UIDs in groups of at most `batch` messages and about BATCH_BYTES: large mail is not all in memory."""
    current: list[int] = []
    size = 0
    for start in range(0, len(uids), _SIZE_CHUNK):
        part = uids[start : start + _SIZE_CHUNK]
        sizes = client.fetch(part, ["RFC822.SIZE"])
        for uid in part:
            if uid not in sizes:
                continue  # gone since the search
            message_size = int(sizes[uid].get(b"RFC822.SIZE", 0))
            if current and (len(current) >= batch or size + message_size > BATCH_BYTES):
                yield current
                current, size = [], 0
            current.append(uid)
            size += message_size
    if current:
        yield current


def _body(data: dict | None) -> bytes | None:
    if not data:
        return None
    raw = data.get(b"BODY[]")
    if raw is None:  # some servers echo the section differently
        raw = next((value for key, value in data.items() if key.startswith(b"BODY[")), None)
    if raw is None:
        return None
    return raw if isinstance(raw, bytes) else str(raw).encode()


def _done(client: IMAPClient, uid: int, move_to: str, *, can_move: bool, can_uid_expunge: bool) -> None:
    """Called only after the message is stored: flag it \\Seen, and move it if the mailbox says so."""
    client.add_flags([uid], [SEEN], silent=True)  # seen first: if the move fails it is not read again
    if not move_to:
        return
    if can_move:
        client.move([uid], move_to)
        return
    client.copy([uid], move_to)
    client.add_flags([uid], [DELETED], silent=True)
    if can_uid_expunge:
        client.expunge([uid])  # UID EXPUNGE: only this message
    else:
        client.expunge()  # no UIDPLUS: a plain EXPUNGE, which also removes mail others flagged \Deleted
