"""The local mail receiver: SMTP for the teams' inbound addresses.

It answers 250 only after the message is committed to the database; 550 for an address no team uses;
451 (try again later) when storing failed, so the sending server keeps the mail and retries.
"""

import asyncio
import logging
import signal
import threading
from typing import Any

from aiosmtpd.controller import Controller
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
            return "451 4.3.0 Could not store the message; try again later"
        if outcome.ticket is not None:
            return f"250 OK {outcome.kind} {outcome.ticket.reference}"
        return f"250 OK {outcome.kind}"


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


def make_controller(host: str, port: int) -> Controller:
    return Controller(Handler(), hostname=host, port=port, decode_data=False)


class Command(BaseCommand):
    help = "Receive mail for the teams' inbound addresses over SMTP."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=settings.MAIL_RECEIVER_HOST)
        parser.add_argument("--port", type=int, default=settings.MAIL_RECEIVER_PORT)

    def handle(self, *args: Any, host: str, port: int, **options: Any) -> None:
        controller = make_controller(host, port)
        controller.start()
        self.stdout.write(f"Mail receiver listening on {host}:{port}")
        signal.signal(signal.SIGTERM, _exit)
        try:
            threading.Event().wait()
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            controller.stop()


def _exit(signum: int, frame: object) -> None:
    raise SystemExit(0)
