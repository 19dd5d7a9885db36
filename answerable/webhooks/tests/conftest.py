"""A real HTTP receiver on 127.0.0.1 that checks signatures, and can fail on purpose."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from answerable.webhooks import services
from answerable.webhooks.signing import verify


class Receiver:
    def __init__(self) -> None:
        self.secret = ""
        self.answers: list[int] = []  # status codes to answer with, in order; then 200
        self.received: list[dict] = []
        self.lock = threading.Lock()
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                valid = verify(receiver.secret, self.headers["X-Answerable-Signature"], body, now=time.time())
                with receiver.lock:
                    status = receiver.answers.pop(0) if receiver.answers else 200
                    receiver.received.append(
                        {
                            "headers": dict(self.headers),
                            "body": json.loads(body),
                            "valid": valid,
                            "path": self.path,
                        }
                    )
                if status in (301, 302):
                    self.send_response(status)
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                    self.end_headers()
                    return
                self.send_response(status if valid else 401)
                self.end_headers()
                self.wfile.write(b"ok" if valid else b"bad signature")

            def log_message(self, *args: object) -> None:
                pass

        return Handler


@pytest.fixture
def receiver():
    r = Receiver()
    r.thread.start()
    yield r
    r.server.shutdown()
    r.server.server_close()


@pytest.fixture(autouse=True)
def _forget_subscriptions():
    services.forget_subscriptions()
    yield
    services.forget_subscriptions()
