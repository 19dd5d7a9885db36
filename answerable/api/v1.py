"""The API, version 1: /api/v1/ (schema at /api/v1/openapi.json, docs at /api/v1/docs)."""

from ninja import NinjaAPI

from answerable.api import errors
from answerable.api.docs import OfflineSwagger
from answerable.api.routers import directory, ledger, search, tickets, webhooks
from answerable.api.security import TokenAuth
from answerable.api.throttle import TokenThrottle

api = NinjaAPI(
    title="Answerable API",
    version="1",
    description=(
        "Tickets, customers, promises, the coach and satisfaction ratings. Authenticate with a token "
        "(`Authorization: Bearer ans_...`); each token has scopes and acts with its agent's permissions. "
        'Errors are `{"error": {"code", "message", "fields"}}`. See docs/api.md.'
    ),
    urls_namespace="api-v1",
    docs=OfflineSwagger(),
    auth=TokenAuth(),
    throttle=TokenThrottle(),
)
errors.install(api)
api.add_router("", tickets.router)
api.add_router("", directory.router)
api.add_router("", ledger.router)
api.add_router("", webhooks.router)
api.add_router("", search.router)
