"""Signed reference tokens for reply addresses: support+t1042-3f9a1c2b@desk.example.

A token names a ticket and is signed with SECRET_KEY, so a guessed "t1043" is worthless.
"""

import hashlib
import hmac
import re

from django.conf import settings

_TOKEN = re.compile(r"\+t(\d{1,12})-([0-9a-f]{10})@", re.IGNORECASE)


def _sig(ticket_id: int) -> str:
    key = hashlib.sha256(f"answerable.reply-token:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, str(ticket_id).encode(), hashlib.sha256).hexdigest()[:10]


def reply_address(team_address: str, ticket_id: int) -> str:
    local, _, domain = team_address.partition("@")
    return f"{local}+t{ticket_id}-{_sig(ticket_id)}@{domain}"


def ticket_from_address(address: str) -> int | None:
    """The ticket id in a plus-address, if its signature is right."""
    match = _TOKEN.search(address)
    if not match:
        return None
    ticket_id = int(match.group(1))
    return ticket_id if hmac.compare_digest(match.group(2).lower(), _sig(ticket_id)) else None


def base_address(address: str) -> str:
    """support+t1042-…@desk.example -> support@desk.example, so the team is found by its address."""
    local, _, domain = address.partition("@")
    return f"{local.split('+', 1)[0]}@{domain}" if domain else address
