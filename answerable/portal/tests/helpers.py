import re
from datetime import UTC, datetime

# A Tuesday morning in business hours (the teams' default week: Mon-Fri 09:00-17:00 UTC).
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
# Words the portal never shows a customer (UI.md §8).
BANNED = ("ticket", "sla", "priority", "internal", "assignee")


def link_in(body: str) -> str:
    """The path of the sign-in link in a mail."""
    return re.search(r"https?://[^/\s]+(/help/enter/[^\s]+/)", body).group(1)


def banned_words_in(html: str) -> list[str]:
    text = html.lower()
    return [w for w in BANNED if re.search(rf"\b{w}", text)]
