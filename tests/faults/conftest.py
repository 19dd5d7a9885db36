"""Fixtures for the fault tests: an SMTP server that captures what we send and can be stopped or made to
stall mid-transaction, and a sender that behaves like a mail server delivering to our receiver."""

import asyncio
import smtplib
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller

from answerable.worker.tests.conftest import broker, redis_broker  # noqa: F401 (fixtures for this folder)
from answerable.worker.tests.procs import free_port


@dataclass
class MailServer:
    """What a customer's mail server received, by Message-ID. `stall_next()` makes the next DATA hang
    until `release()`, and then not accept the message (the sender never heard 250, so it is not sent)."""

    port: int
    received: Counter = field(default_factory=Counter)
    stalled: threading.Event = field(default_factory=threading.Event)  # a DATA is hanging now
    _stall: bool = False
    _released: threading.Event = field(default_factory=threading.Event)
    _controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope):
        if self._stall:
            self._stall = False
            self.stalled.set()
            while not self._released.is_set():
                await asyncio.sleep(0.02)
            return "421 4.3.0 Not accepted"
        from email import message_from_bytes, policy

        message = message_from_bytes(envelope.original_content, policy=policy.default)
        self.received[message["Message-ID"]] += 1
        return "250 OK"

    def stall_next(self) -> None:
        self._stall = True

    def release(self) -> None:
        self._released.set()

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    server = MailServer(port=free_port())
    server.start()
    try:
        yield server
    finally:
        server.release()
        server.stop()


def deliver(port: int, raw: bytes, recipient: str, *, timeout: float = 40) -> int:
    """Hand `raw` to our receiver as a mail server does: a 4xx or a dropped connection means try again
    (a real MTA waits minutes; this one only as long as the test allows). Returns the attempts made."""
    deadline = time.monotonic() + timeout
    attempts = 0
    while True:
        attempts += 1
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
                smtp.sendmail("customer@outside.example", [recipient], raw)
            return attempts
        except (smtplib.SMTPException, OSError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)  # an MTA's retry interval, shortened
