"""Bearer-token authentication and scope checks for the API."""

from django.http import HttpRequest
from ninja.security import HttpBearer

from answerable.api import tokens
from answerable.api.errors import ApiError
from answerable.api.models import ApiToken
from answerable.lib import clock
from answerable.staff.models import Agent


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = tokens.authenticate(token.strip(), now=clock.now())
        if found is not None:
            request.user = found.agent  # the same Agent the console's permission checks take
        return found


def agent_for(request: HttpRequest, scope: str) -> Agent:
    """The agent the request acts as, if its token has `scope`; else 403."""
    token: ApiToken = request.auth  # type: ignore[attr-defined]
    if scope not in token.scopes:
        raise ApiError(403, "missing_scope", f"This token lacks the {scope!r} scope.")
    return token.agent
