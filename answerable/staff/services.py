"""Writes to staff records that agents make themselves."""

from datetime import datetime

from answerable.staff.models import Agent


def set_away(agent: Agent, *, away: bool, until: datetime | None = None) -> Agent:
    """Mark the agent away (automatic assignment skips them; pickers show it) or back. `until`: back by
    itself at that time; ignored when coming back."""
    agent.away = away
    agent.away_until = until if away else None
    agent.save(update_fields=["away", "away_until"])
    return agent
