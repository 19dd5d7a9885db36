"""50 agents browsing and replying (run by run.py; `locust -f bench/load/locustfile.py --headless ...`).

Each simulated agent logs in, then with a few seconds' thought between steps opens its inbox, opens a
ticket from it, and now and then replies (without htmx, as a form post that redirects).
"""

import itertools
import os
import random
import re
import uuid

from locust import HttpUser, between, task

PASSWORD = os.environ.get("LOAD_PASSWORD", "load test password 1")
_numbers = itertools.count(1)
_TICKET = re.compile(r'href="/t/(\d+)/"')
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Agent(HttpUser):
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.username = f"load{(next(_numbers) - 1) % int(os.environ.get('LOAD_AGENTS', '50')) + 1}"
        page = self.client.get("/login/", name="/login/")
        token = _CSRF.search(page.text).group(1)
        self.client.post(
            "/login/", {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            name="/login/ (post)", allow_redirects=False,
        )  # fmt: skip
        self.tickets: list[str] = []

    @task(3)
    def inbox(self) -> None:
        page = self.client.get("/inbox/open/", name="/inbox/open/")
        found = _TICKET.findall(page.text)
        if found:
            self.tickets = found

    @task(5)
    def ticket(self) -> None:
        if not self.tickets:
            return self.inbox()
        self.client.get(f"/t/{random.choice(self.tickets)}/", name="/t/[id]/")
        return None

    @task(1)
    def reply(self) -> None:
        if not self.tickets:
            return self.inbox()
        pk = random.choice(self.tickets)
        page = self.client.get(f"/t/{pk}/", name="/t/[id]/")
        token = _CSRF.search(page.text)
        if token is None:
            return None
        with self.client.post(
            f"/t/{pk}/compose/",
            {
                "csrfmiddlewaretoken": token.group(1), "kind": "reply", "idempotency_key": uuid.uuid4().hex,
                "text": "Thank you for your patience. I have checked your order and it ships today.",
            },
            name="/t/[id]/compose/", allow_redirects=False, catch_response=True,
        ) as response:  # fmt: skip
            if response.status_code == 302:
                response.success()
            else:
                response.failure(f"reply answered {response.status_code}")
        return None
