"""The search box's language, parsed without Django: free words, "exact phrases", -exclusions and filters.

    refund "double charge" -paypal status:open,pending assignee:me tag:vip after:2026-03-01 is:waiting

Filters of the same name combine with OR when the field holds one value (status, assignee, team, org,
from, to), and with AND otherwise (tag, has, is, promise). A filter, a word or a phrase is excluded with a
leading "-". What this module cannot understand is a `QuerySyntaxError` with a message for the search box;
nothing is dropped silently. Values that need the database (a team's name, an agent) are checked by the
services, which raise the same error.
"""

import re
from dataclasses import dataclass, field
from datetime import date

# Characters of scripts written without spaces between words (and Hangul, whose words carry particles):
# terms with them are searched as substrings (trigram / LIKE), not as words.
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")

STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")
FILTERS: dict[str, str] = {
    "from": "the customer's address or name: from:ana@acme.example, from:ana",
    "to": "the team address the customer wrote to: to:billing@desk.example, to:billing",
    "status": "new, open, pending, on_hold, solved, closed (several with commas: status:open,pending)",
    "assignee": "me, none, or an agent's user name",
    "team": "a team's name",
    "tag": "a tag",
    "org": "an organisation's name (or part of it)",
    "before": "a date, YYYY-MM-DD: tickets opened before that day",
    "after": "a date, YYYY-MM-DD: tickets opened on or after that day",
    "has": "attachment",
    "is": "waiting (the customer spoke last and has no answer)",
    "promise": "broken or due (an open promise due within 24 hours)",
}
CHOICES = {"has": ("attachment",), "is": ("waiting",), "promise": ("broken", "due")}
MAX_LENGTH = 500
MAX_TERMS = 20


class QuerySyntaxError(ValueError):
    """A query the search cannot run, with a message meant for the person who typed it."""


@dataclass(frozen=True)
class Term:
    text: str
    phrase: bool = False
    negated: bool = False

    @property
    def cjk(self) -> bool:
        return bool(CJK.search(self.text))


@dataclass(frozen=True)
class Filter:
    name: str
    values: tuple[str, ...]
    negated: bool = False


@dataclass(frozen=True)
class Query:
    terms: tuple[Term, ...] = ()
    filters: tuple[Filter, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not self.terms and not self.filters

    @property
    def positive(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if not t.negated)

    @property
    def negative(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if t.negated)

    def filter_values(self, name: str) -> list[Filter]:
        return [f for f in self.filters if f.name == name]


# A token: optional "-", then either a quoted phrase, or name:"quoted value", or a bare run of non-space.
_TOKEN = re.compile(r'(-?)(?:"([^"]*)"?|([A-Za-z_]+):"([^"]*)"?|(\S+))')
_FILTER = re.compile(r"([A-Za-z_]+):(.*)", re.DOTALL)


def parse(text: str) -> Query:
    text = (text or "").strip()
    if len(text) > MAX_LENGTH:
        raise QuerySyntaxError(f"The search is too long: at most {MAX_LENGTH} characters.")
    if text.count('"') % 2:
        raise QuerySyntaxError('A quote is not closed: add the closing " after the phrase.')
    terms: list[Term] = []
    filters: list[Filter] = []
    for match in _TOKEN.finditer(text):
        minus, phrase, fname, fquoted, bare = match.groups()
        negated = minus == "-"
        if phrase is not None:
            words = " ".join(phrase.split())
            if words:
                terms.append(Term(words, phrase=True, negated=negated))
            continue
        if fname is not None:
            filters.append(_filter(fname, fquoted, negated))
            continue
        if bare is None:  # a lone "-"
            continue
        named = _FILTER.fullmatch(bare)
        # "https://..." and "10:30" are words, not filters: a filter name is letters and its value does
        # not start with "//".
        if named and not named.group(2).startswith("//"):
            filters.append(_filter(named.group(1), named.group(2), negated))
            continue
        word = _word(bare)
        if word and re.search(r"\w", word):  # punctuation alone finds nothing: not a term
            terms.append(Term(word, negated=negated))
    if len(terms) + len(filters) > MAX_TERMS:
        raise QuerySyntaxError(f"Too many words and filters: at most {MAX_TERMS}.")
    if terms and all(t.negated for t in terms) and not filters:
        raise QuerySyntaxError("Add a word or a filter to search for: an exclusion alone matches everything.")
    return Query(tuple(terms), tuple(filters))


def _word(bare: str) -> str:
    """A free word without the punctuation around it; "#1042" keeps its number, an address stays whole."""
    return bare.strip(".,;:!?()[]{}<>'`").lstrip("#")


def _filter(name: str, raw: str, negated: bool) -> Filter:
    key = name.lower()
    if key not in FILTERS:
        known = " ".join(f"{k}:" for k in FILTERS)
        raise QuerySyntaxError(f"Unknown filter “{name}:”. Filters: {known}")
    values = tuple(v.strip() for v in raw.split(",") if v.strip()) if key not in ("from", "org") else (
        (raw.strip(),) if raw.strip() else ()
    )  # fmt: skip
    if not values:
        raise QuerySyntaxError(f"The filter {key}: needs a value: {FILTERS[key]}.")
    if key == "status":
        values = tuple(v.lower().replace("-", "_").replace(" ", "_") for v in values)
        bad = [v for v in values if v not in STATUSES]
        if bad:
            raise QuerySyntaxError(f"Unknown status “{bad[0]}”. Statuses: {', '.join(STATUSES)}.")
    elif key in CHOICES:
        values = tuple(v.lower() for v in values)
        bad = [v for v in values if v not in CHOICES[key]]
        if bad:
            raise QuerySyntaxError(f"{key}:{bad[0]} is not known. {key}: takes {', '.join(CHOICES[key])}.")
    elif key in ("before", "after"):
        if len(values) != 1:
            raise QuerySyntaxError(f"{key}: takes one date.")
        parse_date(key, values[0])
    return Filter(key, values, negated)


def parse_date(key: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise QuerySyntaxError(
            f"{key}:{value} is not a date: write it as YYYY-MM-DD, e.g. {key}:2026-03-01."
        ) from None
