"""Property-based fuzzing of the API from its own OpenAPI schema (schemathesis), in process through the WSGI
app, with a token that has every scope: no 500s, and every response (errors included) matches the schema.

Fixed and small (derandomized, a few examples per operation) so it runs in seconds and fails the same way
every time; raise FUZZ_EXAMPLES locally for a longer hunt.
"""

import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from answerable.api import tokens
from answerable.wsgi import application
from conftest import T0

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))


@pytest.fixture
def bearer(world, make_ticket):
    # Tickets in both teams, so generated ids hit visible, invisible and missing tickets alike.
    for i in range(3):
        make_ticket(world.billing, subject=f"Fuzz {i}")
    # A supervisor: may assign, so PATCH reaches the services rather than stopping at 403; webhooks are for
    # admins. (Nothing is delivered: the test's transaction never commits.)
    sue = tokens.create_token(world.sue, name="fuzz", scopes=list(tokens.SCOPES), now=T0).secret
    ada = tokens.create_token(world.ada, name="fuzz", scopes=["webhooks:manage"], now=T0).secret
    return lambda path: ada if path.startswith("/api/v1/webhooks") else sue


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
def test_api_never_fails_and_always_matches_its_schema(case, bearer, settings_caches, keep_connection):
    response = case.call_and_validate(headers={"Authorization": f"Bearer {bearer(case.path)}"}, checks=CHECKS)
    if os.environ.get("FUZZ_LOG"):
        with open(os.environ["FUZZ_LOG"], "a") as fh:
            fh.write(f"{case.method} {case.path} {response.status_code}\n")


@pytest.fixture
def settings_caches(settings):
    # The fuzzer sends more requests a minute than the default limit allows; 429 is tested elsewhere.
    settings.API_RATE_LIMIT_PER_MINUTE = 10**9


@pytest.fixture
def keep_connection():
    # The WSGI app sends request_started/finished, whose close_old_connections would close the test's
    # connection (it is inside the test transaction); Django's own test client disconnects it the same way.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)
