"""Which team receives mail at an address: read for every inbound mail, changed rarely, so kept in memory.

The whole address table (a few rows per team) is loaded in one query and kept for CACHE_SECONDS. A team or
address saved or deleted in this process clears it at once; other processes see the change within
CACHE_SECONDS. An address that is not in the cached table is looked up in the database, so mail to an address
added moments ago in another process still reaches its team.
"""

import time
from dataclasses import dataclass, field

from django.db.models.signals import post_delete, post_save

from answerable.staff.models import Team, TeamAddress

CACHE_SECONDS = 60.0


@dataclass
class _Table:
    loaded_at: float
    teams: dict[str, Team] = field(default_factory=dict)  # lower-case address -> team
    first_address: dict[int, str] = field(default_factory=dict)  # team id -> its first address (by id)


_table: _Table | None = None


def _current() -> _Table:
    global _table
    table = _table
    if table is None or time.monotonic() - table.loaded_at > CACHE_SECONDS:
        table = _Table(loaded_at=time.monotonic())
        for row in TeamAddress.objects.select_related("team").order_by("id"):
            table.teams.setdefault(row.email.lower(), row.team)
            table.first_address.setdefault(row.team_id, row.email)
        _table = table
    return table


def team_at(address: str) -> Team | None:
    """The team whose inbound address this is (no plus-address handling: pass the base address)."""
    key = address.strip().lower()
    table = _current()
    team = table.teams.get(key)
    if team is None:
        found = TeamAddress.objects.select_related("team").filter(email__iexact=key).first()
        if found is not None:
            team = table.teams[key] = found.team
    return team


def is_team_address(address: str) -> bool:
    """One of our own inbound addresses, as of the cached table."""
    return address.strip().lower() in _current().teams


def first_address(team_id: int) -> str | None:
    """The team's first inbound address (the domain of our Message-IDs), or None if it has none."""
    table = _current()
    if team_id not in table.first_address:
        addresses = TeamAddress.objects.filter(team_id=team_id).order_by("id")
        email = addresses.values_list("email", flat=True).first()
        if email is None:
            return None
        table.first_address[team_id] = email
    return table.first_address[team_id]


def clear(**kwargs: object) -> None:
    global _table
    _table = None


for _model in (Team, TeamAddress):
    post_save.connect(clear, sender=_model, dispatch_uid=f"directory-clear-save-{_model.__name__}")
    post_delete.connect(clear, sender=_model, dispatch_uid=f"directory-clear-delete-{_model.__name__}")
