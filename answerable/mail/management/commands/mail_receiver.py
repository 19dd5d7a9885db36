"""The local mail receiver: SMTP or LMTP for the teams' inbound addresses.

It answers 250 only after the message is committed to the database; 550 for an address no team uses;
451 (try again later) when storing failed, so the sending server keeps the mail and retries.

LMTP (RFC 2033) is for a mail server in front of us (Postfix `mailbox_transport = lmtp:...`): it has
already queued the mail, so we speak LMTP on TCP or a Unix socket and answer after DATA once per
accepted recipient. The message is stored once for all its recipients, so every line says the same.
"""

import asyncio
import logging
import signal
import threading
from typing import Any

from aiosmtpd.controller import Controller, UnixSocketController
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection

from answerable.lib import clock
from answerable.mail.ingest import Outcome, ingest, team_for

log = logging.getLogger(__name__)


class Handler:
    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        team = await asyncio.to_thread(_team_exists, address)
        if not team:
            return "550 5.1.1 No team receives mail at this address"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        try:
            outcome = await asyncio.to_thread(_store, bytes(raw), list(envelope.rcpt_tos))
        except Exception:
            log.exception("could not store inbound mail; asking the sender to retry")
            status = "451 4.3.0 Could not store the message; try again later"
        else:
            reference = f" {outcome.ticket.reference}" if outcome.ticket is not None else ""
            status = f"250 OK {outcome.kind}{reference}"
        if isinstance(server, LMTP):
            # RFC 2033 section 4.2: one reply per accepted recipient, in RCPT order.
            return "\r\n".join([status] * max(1, len(envelope.rcpt_tos)))
        return status


def _team_exists(address: str) -> bool:
    try:
        return team_for([address]) is not None
    finally:
        connection.close()  # worker threads come and go: never leave their connections open


def _store(raw: bytes, recipients: list[str]) -> Outcome:
    try:
        return ingest(raw, recipients=recipients, now=clock.now(), source="smtp")
    finally:
        connection.close()


class _LMTPController(Controller):
    def factory(self) -> SMTP:
        return LMTP(self.handler, **self.SMTP_kwargs)


class _LMTPSocketController(UnixSocketController):
    def factory(self) -> SMTP:
        return LMTP(self.handler, **self.SMTP_kwargs)


def make_controller(
    host: str, port: int, *, lmtp: bool = False, unix_socket: str | None = None
) -> Controller | UnixSocketController:
    """SMTP on host:port by default; LMTP on host:port, or on a Unix socket when one is given."""
    if unix_socket:
        return _LMTPSocketController(Handler(), unix_socket=unix_socket, decode_data=False)
    if lmtp:
        return _LMTPController(Handler(), hostname=host, port=port, decode_data=False)
    return Controller(Handler(), hostname=host, port=port, decode_data=False)


class Command(BaseCommand):
    help = "Receive mail for the teams' inbound addresses over SMTP or LMTP."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=settings.MAIL_RECEIVER_HOST)
        parser.add_argument("--port", type=int, default=settings.MAIL_RECEIVER_PORT)
        parser.add_argument("--lmtp", action="store_true", help="speak LMTP instead of SMTP")
        parser.add_argument("--socket", default="", help="LMTP on this Unix socket path instead of TCP")

    def handle(self, *args: Any, host: str, port: int, lmtp: bool, socket: str, **options: Any) -> None:
        controller = make_controller(host, port, lmtp=lmtp, unix_socket=socket or None)
        controller.start()
        where = socket or f"{host}:{port}"
        self.stdout.write(f"Mail receiver ({'LMTP' if lmtp or socket else 'SMTP'}) listening on {where}")
        signal.signal(signal.SIGTERM, _exit)
        try:
            threading.Event().wait()
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            controller.stop()


def _exit(signum: int, frame: object) -> None:
    raise SystemExit(0)
