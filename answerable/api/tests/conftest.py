import json
from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.test import Client

from answerable.api import tokens
from answerable.api.tokens import SCOPES
from conftest import T0

ALL = list(SCOPES)


class Api:
    """A test client speaking JSON with a bearer token."""

    def __init__(self, client: Client, secret: str | None) -> None:
        self.client, self.secret = client, secret

    def _headers(self, extra: dict | None) -> dict:
        h = {"HTTP_AUTHORIZATION": f"Bearer {self.secret}"} if self.secret else {}
        return h | (extra or {})

    def get(self, path: str, params: dict | None = None, **headers):
        return self.client.get(f"/api/v1{path}", params or {}, **self._headers(headers))

    def post(self, path: str, body: object = None, **headers):
        return self.client.post(
            f"/api/v1{path}", json.dumps(body), content_type="application/json", **self._headers(headers)
        )

    def patch(self, path: str, body: object = None, **headers):
        return self.client.patch(
            f"/api/v1{path}", json.dumps(body), content_type="application/json", **self._headers(headers)
        )


@pytest.fixture(autouse=True)
def _clear_rate_counts():
    cache.clear()


@pytest.fixture
def api_as(client) -> Callable[..., Api]:
    def make(agent, scopes=ALL, **kw) -> Api:
        new = tokens.create_token(agent, name="test", scopes=scopes, now=T0, **kw)
        return Api(client, new.secret)

    return make
