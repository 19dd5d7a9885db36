"""Find the commitments an agent makes in a reply, and when each one falls due.

Rules, not a model: a commitment is a clause whose verb is in the future with "will"/"'ll"/"shall"/"going to"
(or "should" with an arrival verb and a time, as carriers' estimates are worded), said by the team or a third
party acting for it. Clauses are dropped when they are questions, quoted, hedged ("usually", "we'll try to"),
negated, conditional on a wish ("I wish I could tell you it will arrive"), embedded in a question ("you asked
whether it will be back"), idioms ("I'll be honest"), or the customer's own actions ("you'll send the form").

Absolute dates are read by dateutil's parser. Due times follow the phrase families of the labelling rules in
shared/eval/README.md: weekdays and "tomorrow"
at the end of business, "morning"/"first thing" at noon, clock times as given, windows at their end,
elapsed minutes and hours across daylight-saving changes, business days on the team's calendar, calendar days
and weeks, "next week", "the 15th", dates, "end of the month"; vague or event-tied wording has no due time.

No Django imports: the ledger, the coach and the evaluation script share this module.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil import parser as dateutil_parser

from answerable.lib.business_hours import WEEKDAYS, BusinessCalendar

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FoundPromise:
    span: str  # exact substring of the text stating the commitment
    start: int
    end: int
    due: datetime | None  # aware, in the calendar's time zone; None when no resolvable time
    time_text: str  # the time words found ("by Friday", "within 24 hours"); "" when none
    kind: str  # "get_back", "delivery" or "resolution"


# --------------------------------------------------------------------------------------------------
# Calendars from a short spec: "Mon-Fri 09:00-17:00", "Mon-Thu 08:00-16:00, Fri 08:00-12:00"

_DAY_NAMES = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "weds": 2, "wednesday": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4, "sat": 5, "saturday": 5,
    "sun": 6, "sunday": 6,
}  # fmt: skip
_SPEC_TOKEN = re.compile(
    r"(?P<d1>[A-Za-z]{3,9})\s*(?:(?:-|\u2013|to)\s*(?P<d2>[A-Za-z]{3,9}))?"
    r"|(?P<t1>\d{1,2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?)\s*(?:-|\u2013|to)\s*(?P<t2>\d{1,2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?)",
    re.IGNORECASE,
)


def _spec_time(value: str) -> str:
    m = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?\s*([ap])?\.?m?\.?", value.strip().lower())
    if not m:
        raise ValueError(f"Unreadable time {value!r}")
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    if m.group(3) == "p" and hour < 12:
        hour += 12
    elif m.group(3) == "a" and hour == 12:
        hour = 0
    if hour == 24 and minute == 0:
        return "24:00"
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise ValueError(f"Unreadable time {value!r}")
    return f"{hour:02d}:{minute:02d}"


def calendar_from_spec(tz: str, spec: str) -> BusinessCalendar:
    """A calendar from "Mon-Fri 09:00-17:00"; groups may be joined by commas or semicolons
    ("Mon-Thu 08:00-16:00, Fri 08:00-12:00"), and a group may list several intervals or days
    ("Mon, Wed 09:00-12:00 13:00-17:00"). Raises ValueError when the spec has no readable hours."""
    week: dict[str, list[list[str]]] = {day: [] for day in WEEKDAYS}
    days: list[int] = []
    last_was_time = False
    for m in _SPEC_TOKEN.finditer(spec):
        if m.group("t1"):
            if not days:
                days = list(range(7))  # a bare "09:00-17:00" means every day
            for day in days:
                week[WEEKDAYS[day]].append([_spec_time(m.group("t1")), _spec_time(m.group("t2"))])
            last_was_time = True
            continue
        d1 = _DAY_NAMES.get(m.group("d1").lower())
        if d1 is None:
            continue  # "closed", "and", ...
        if last_was_time:
            days, last_was_time = [], False
        d2 = _DAY_NAMES.get((m.group("d2") or "").lower(), d1)
        span = [(d1 + i) % 7 for i in range((d2 - d1) % 7 + 1)]
        days.extend(span)
    return BusinessCalendar(time_zone=tz, week=week)


# --------------------------------------------------------------------------------------------------
# Sentences and quoted text

_ABBREVIATIONS = frozenset(
    {
        "dr", "mr", "mrs", "ms", "mx", "mme", "mlle", "sr", "sra", "srta", "sig", "sig.ra", "st", "prof",
        "no", "nr", "approx", "vs", "inc", "ltd", "co", "jr", "jnr", "snr", "e.g", "i.e",
        "fig", "ref", "tel", "dept",
    }
)  # fmt: skip
_SENTENCE_END = re.compile(r"[.!?]+[\"'\u2019\u201d)\]]*(?=\s|$)")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")
_NEXT_START = re.compile(r"\s*(\S)")
_QUOTED = re.compile(
    r"(?<!\w)'(?=[^\s'])([^\n]*?)(?<=[^\s'])'(?!\w)"
    r"|\u2018(?=\S)([^\n]*?)(?<=\S)\u2019(?!\w)"
    r"|\"([^\"\n]*)\""
    r"|\u201c([^\u201d\n]*)\u201d"
)


def _mask_quotes(text: str) -> str:
    """The text with quoted passages blanked (same length), so their words are neither promises nor times."""

    def blank(m: re.Match[str]) -> str:
        body = m.group(0)
        return body[0] + "_" * (len(body) - 2) + body[-1]

    return _QUOTED.sub(blank, text)


def _sentences(masked: str) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", masked):
        base, chunk = line.start(), line.group(0)
        start = 0
        for m in _SENTENCE_END.finditer(chunk):
            if m.group(0).startswith(".") and len(m.group(0).rstrip("\"'\u2019\u201d)]")) == 1:
                w = _WORD_BEFORE.search(chunk, max(0, m.start() - 24), m.start())
                if w and (
                    w.group(1).lower() in _ABBREVIATIONS or (len(w.group(1)) == 1 and w.group(1).isupper())
                ):
                    continue
            nxt = _NEXT_START.match(chunk, m.end())
            if nxt and not (
                nxt.group(1).isupper() or nxt.group(1).isdigit() or nxt.group(1) in "\"'\u2018\u201c(_"
            ):
                continue
            out.append((base + start, base + m.end()))
            start = m.end()
        if chunk[start:].strip():
            out.append((base + start, base + len(chunk)))
    return out


# --------------------------------------------------------------------------------------------------
# Time expressions

_NUM_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "couple": 2, "a couple": 2,
    "a couple of": 2, "couple of": 2,
}  # fmt: skip
_NUM = (
    r"(?:\d+(?:\.\d+)?|a\s+couple(?:\s+of)?|couple\s+of|an?|one|two|three|four|five|six|seven|eight|nine|ten"
    r"|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen"
    r"|(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[-\s](?:one|two|three|four|five|six|seven"
    r"|eight|nine))?)"
)
_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10,
    "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?"
    r"|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_WEEKDAY = (
    r"(?:[Mm]onday|[Tt]uesday|[Ww]ednesday|[Tt]hursday|[Ff]riday|[Ss]aturday|[Ss]unday"
    r"|Mon|Tues?|Wed|Thu(?:rs?)?|Fri|Sat|Sun)"
)
_CLOCK = (
    r"(?:(?:1[0-2]|0?[1-9])(?:[:.][0-5]\d)?\s*(?:[ap]\.?m\b\.?)"
    r"|(?:[01]?\d|2[0-3]):[0-5]\d(?!\d)(?:\s*(?:hrs|h)\b)?"
    r"|(?:1[0-2]|0?[1-9])\s+o['\u2019]clock"
    r"|noon|midday|midnight|lunchtime|lunch\s+time)"
)
_CLOCK_LOOSE = r"(?:(?:1[0-2]|0?[1-9])(?:[:.][0-5]\d)?)"  # "between 9 and 11am"

# Families in priority order: an earlier family claims its characters first.
_FAMILIES: list[tuple[str, re.Pattern[str]]] = [
    ("vague", re.compile(
        r"\b(?:as\s+soon\s+as\s+(?:possible|we\s+can|I\s+can|practical|practicable)|asap|ASAP"
        r"|as\s+quickly\s+as\s+(?:possible|we\s+can|I\s+can)|at\s+the\s+earliest\s+opportunity"
        r"|(?:in|within|over)\s+the\s+(?:coming|next\s+few|next\s+couple\s+of)\s+(?:days|weeks|hours|months)"
        r"|(?:in|within)\s+(?:a\s+)?few\s+(?:more\s+)?(?:days|weeks|hours|minutes)"
        r"|in\s+due\s+course|(?<!as\s)(?:very\s+)?soon(?!\s+as\b)|shortly|before\s+long|right\s+away|straight\s+away|immediately"
        r"|later\s+on|at\s+some\s+point|promptly|in\s+a\s+(?:bit|while|moment)|in\s+time)\b", re.I)),
    ("window", re.compile(
        rf"\bbetween\s+(?:{_CLOCK}|{_CLOCK_LOOSE})\s+and\s+(?P<end>{_CLOCK})"
        rf"|\b(?:from\s+)?(?:{_CLOCK}|{_CLOCK_LOOSE})\s*(?:-|\u2013|to|until|till)\s*(?P<end2>{_CLOCK})"
        r"|\bbetween\s+(?:1[0-2]|0?[1-9])\s+and\s+(?P<end3>1[0-2]|0?[1-9])\b"
        r"(?!\s*(?:[:.]\d|%|percent|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|business|working|times?"
        r"|items?))", re.I)),
    ("elapsed", re.compile(
        rf"\b(?:within|in|inside|inside\s+of|over|take|takes|taking|up\s+to|no\s+later\s+than|under)\s+"
        rf"(?:the\s+next\s+|the\s+|another\s+|less\s+than\s+)?"
        rf"(?P<n1>{_NUM}|half\s+an?)(?:\s*(?:-|\u2013|to|or)\s*(?P<n2>{_NUM}))?(?P<half1>\s+and\s+a\s+half)?"
        rf"\s*(?P<biz>business|working|work|office)?\s*(?P<unit>minutes?|mins?|hours?|hrs?|h|days?|weeks?|months?)\b"
        rf"(?P<half2>\s+and\s+a\s+half)?(?:\s+or\s+(?P<n3>{_NUM}))?(?:['\u2019]s?\s+time)?"
        r"(?P<rel>\s+(?:of|after|from)\s+(?!now\b|today\b|the\s+date\s+of\s+this))?"
        rf"|\b(?P<n4>{_NUM})\s*(?P<biz4>business|working)?\s*(?P<unit4>minutes?|hours?|days?|weeks?)\s+from\s+now\b"
        r"|\b(?:within\s+the|within\s+the\s+next|in\s+the\s+next)\s+(?P<hour>hour)\b"
        r"|\b(?:within|in)\s+(?:a|one|the\s+next)\s+(?P<week>week|fortnight)\b"
        r"|\b(?:in\s+)?(?P<day_after>the\s+day\s+after\s+tomorrow)\b"
        r"|\b(?:by\s+|on\s+|within\s+|in\s+)?(?:the\s+)?next\s+(?P<nbd>business|working)\s+day\b", re.I)),
    ("date", re.compile(
        rf"\b(?:(?:by|on|before|until|till|for|from)\s+)?(?:(?:{_WEEKDAY}),?\s+)?(?:the\s+)?"
        rf"(?P<d1>[0-3]?\d)(?:st|nd|rd|th)?(?:\s+of)?\s+(?P<m1>{_MONTH})(?:,?\s+(?P<y1>20\d\d))?\b"
        rf"|\b(?:(?:by|on|before|until|till|for|from)\s+)?(?:(?:{_WEEKDAY}),?\s+)?(?P<m2>{_MONTH})\s+"
        rf"(?P<d2>[0-3]?\d)(?:st|nd|rd|th)?\b(?:,?\s+(?P<y2>20\d\d))?"
        r"|\b(?:(?:by|on|before|until|till|for|from)\s+)?(?P<iso>20\d\d-[01]\d-[0-3]\d)\b"
        r"|\b(?:(?:by|on|before|until|till|for|from)\s+)?(?:the\s+)?(?P<nthm>[0-3]?\d)(?:st|nd|rd|th)?\s+of\s+"
        r"(?:the\s+)?(?P<which>next|this|the|following)\s+month\b"
        r"|\b(?:by|on|before|until|till|for)\s+(?:the\s+)?(?P<nth>[0-3]?\d)(?:st|nd|rd|th)\b"
        r"(?!\s+(?:of\s+)?(?:floor|time|attempt|try|item|line|page|step|order|row))")),
    ("weekday", re.compile(
        rf"\b(?:(?P<pre>this|next|coming|last|on|by|before|until|till|from|since|every|each)\s+)?(?:(?P<pre2>this|next|coming)\s+)?"
        rf"(?P<wd>{_WEEKDAY})\b(?!s\b)(?!\s*(?:-|\u2013|to|through|thru)\s*{_WEEKDAY})"
        r"(?P<nw>,?\s+(?:of\s+|in\s+)?next\s+week\b)?")),
    ("next_week", re.compile(
        r"\b(?:(?:by|before|until|at|from)\s+)?(?:the\s+)?(?:(?:end|middle|start|beginning)\s+of\s+|early\s+|mid[-\s]?"
        r"|later?\s+)?next\s+week\b", re.I)),
    ("this_week", re.compile(
        r"\b(?:(?:by|before|until|at)\s+)?(?:the\s+)?(?:(?:end\s+of\s+(?:the|this)\s+(?:working\s+|business\s+)?week)"
        r"|later\s+this\s+week|this\s+week|within\s+the\s+week|(?:before|by)\s+the\s+weekend)\b", re.I)),
    ("weekend", re.compile(r"\b(?:this|over\s+the|at\s+the|on\s+the|during\s+the)\s+weekend\b", re.I)),
    ("month_end", re.compile(
        rf"\b(?:(?:by|before|until|at)\s+)?(?:the\s+)?(?:end\s+of\s+(?:the|this)\s+month|month[-\s]end"
        rf"|(?:end\s+of\s+|later\s+|during\s+|in\s+)?(?P<next>next)\s+month|(?:later\s+)?this\s+month"
        rf"|end\s+of\s+(?P<month>{_MONTH}))\b", re.I)),
    ("eod", re.compile(
        r"\b(?:(?:by|before|until|at)\s+)?(?:the\s+)?(?:end\s+of\s+(?:the\s+)?(?:business\s+|working\s+)?day"
        r"|close\s+of\s+(?:business|play)|end\s+of\s+(?:business|play)|EOD|COB|EOP)\b", re.I)),
    ("day", re.compile(
        r"\b(?:(?:by|before|until|till|on|for|from|later)\s+)?(?P<w>today|tonight|tomorrow|tmrw|this\s+(?:morning|afternoon|evening))\b",
        re.I)),
    ("relative", re.compile(  # a time told from an unknown moment: no due time
        r"\b(?:that|the\s+same|the\s+following|the\s+next)\s+(?:day|night|morning|afternoon|evening|week)\b"
        r"|\b(?:the\s+)?(?:day|night|morning|afternoon|evening|week)\s+(?:before|after)\b(?!\s+tomorrow)",
        re.I)),
    ("part", re.compile(
        r"\b(?:(?P<ft>first\s+thing)(?:\s+in\s+the\s+morning)?|(?:in\s+the\s+|by\s+|on\s+)?"
        r"(?<!your\s)(?<!our\s)(?<!their\s)(?<!the\s)(?<!an\s)(?<!a\s)(?<!every\s)(?<!each\s)"
        r"(?P<p>morning|afternoon|evening|night))\b", re.I)),
    ("clock", re.compile(
        rf"\b(?:(?:by|at|before|until|till|around|no\s+later\s+than)\s+)?(?P<c>{_CLOCK})"
        r"|\b(?:by|at|before)\s+(?P<cb>1[0-2]|[1-9])(?=\s*(?:$|[.,;!]|\s+(?:today|tomorrow|tonight|this|on|sharp)\b))"
        r"|\b(?:by|at|before|until)\s+(?P<cd>(?:[01]?\d|2[0-3])\.[0-5]\d)(?![\d%])",
        re.I)),
    ("event", re.compile(
        r"\b(?:once|as\s+soon\s+as|when(?:ever)?|after|until|till|upon|the\s+(?:moment|minute|day)\s+(?!after)"
        r"|following|pending|depending\s+on|subject\s+to)\s+(?![0-9])\w", re.I)),
]  # fmt: skip


@dataclass
class _Tok:
    family: str
    start: int
    end: int
    m: re.Match[str]


def _time_tokens(s: str, lo: int, hi: int) -> list[_Tok]:
    toks: list[_Tok] = []
    taken: list[tuple[int, int]] = []
    for family, rx in _FAMILIES:
        for m in rx.finditer(s, lo, hi):
            a, b = m.start(), m.end()
            if family == "event":
                b = hi  # the event runs to the end of the clause
            if any(a < y and x < b for x, y in taken):
                continue
            if family == "weekday" and (m.group("pre") or "") in ("last", "since", "every", "each"):
                taken.append((a, b))  # past or habitual: claims the words, resolves nothing
                continue
            if family == "weekday" and len(m.group("wd")) == 3 and not m.group("wd")[0].isupper():
                continue
            toks.append(_Tok(family, a, b, m))
            taken.append((a, b))
    toks.sort(key=lambda t: t.start)
    return toks


def _num(value: str | None) -> float | None:
    if not value:
        return None
    v = re.sub(r"\s+", " ", value.strip().lower())
    if v.startswith("half"):
        return 0.5
    try:
        return float(v)
    except ValueError:
        pass
    if v in _NUM_WORDS:
        return _NUM_WORDS[v]
    parts = re.split(r"[-\s]", v)
    if len(parts) == 2 and parts[0] in _NUM_WORDS and parts[1] in _NUM_WORDS:
        return _NUM_WORDS[parts[0]] + _NUM_WORDS[parts[1]]
    return None


def _clock_value(text: str) -> time | None:
    t = text.strip().lower()
    if t in ("noon", "midday", "lunchtime", "lunch time"):
        return time(12, 0)
    if t == "midnight":
        return time(23, 59)
    m = re.match(r"(\d{1,2})(?:[:.](\d{2}))?\s*(?:([ap])\.?m\b\.?|o['\u2019]clock|hrs|h)?", t)
    if not m:
        return None
    hour, minute, ap = int(m.group(1)), int(m.group(2) or 0), m.group(3)
    if ap == "p" and hour < 12:
        hour += 12
    elif ap == "a" and hour == 12:
        hour = 0
    elif ap is None and 1 <= hour <= 6:
        hour += 12  # "at 5:30" in a business day is the afternoon
    if not (0 <= hour < 24 and 0 <= minute < 60):
        return None
    return time(hour, minute)


# --------------------------------------------------------------------------------------------------
# Calendar arithmetic for due times


def _end_of_business(cal: BusinessCalendar, day: date) -> datetime:
    closes = [b for _, b in cal.week[WEEKDAYS[day.weekday()]]]
    if not closes:
        counts = Counter(b for d in WEEKDAYS for _, b in cal.week[d])
        top = max(counts.values())
        closes = [b for b, n in counts.items() if n == top]
    if any(b is None for b in closes):  # open until midnight
        return datetime.combine(day, time(23, 59), tzinfo=cal.tz)
    return datetime.combine(day, max(c for c in closes if c is not None), tzinfo=cal.tz)


def _at(cal: BusinessCalendar, day: date, clock: time | None) -> datetime:
    return _end_of_business(cal, day) if clock is None else datetime.combine(day, clock, tzinfo=cal.tz)


def _nth_business_day(cal: BusinessCalendar, start: date, n: int) -> date:
    day = start
    for _ in range(max(n, 0)):
        opened = cal.next_open(datetime.combine(day + timedelta(days=1), time(0), tzinfo=cal.tz))
        day = opened.astimezone(cal.tz).date()
    return day


def _last_day_of_month(year: int, month: int) -> date:
    nxt = date(year + month // 12, month % 12 + 1, 1)
    return nxt - timedelta(days=1)


@dataclass
class _When:
    """What the time words of one clause say, before they are combined into a due time."""

    days: list[date]
    clock: time | None = None
    part: str = ""  # "noon", "eob", "night", "afternoon"
    fixed: datetime | None = None  # durations resolve on their own
    period: bool = False  # a period's day (next week, month end) ignores a stated clock
    vague: bool = False
    event: bool = False
    explicit_today: bool = False


def _resolve(toks: list[_Tok], sent: datetime, cal: BusinessCalendar) -> datetime | None:
    today = sent.date()
    w = _When(days=[])
    weekday_toks: list[tuple[int, _Tok]] = []
    next_week = False
    week_end: date | None = None
    for t in toks:
        m, f = t.m, t.family
        if f == "vague":
            w.vague = True
        elif f in ("relative", "event"):
            w.event = True
        elif f == "window":
            w.clock = _clock_value(m.group("end") or m.group("end2") or m.group("end3"))
        elif f == "clock":
            c = _clock_value(m.group("c") or m.group("cb") or m.group("cd"))
            if c is not None:
                w.clock = c
        elif f == "elapsed":
            if m.group("rel"):
                w.event = True
            w.fixed = _elapsed(m, sent, cal) or w.fixed
        elif f == "next_week":
            next_week = True
        elif f == "this_week":
            week_end = today + timedelta(days=(4 - today.weekday()) % 7)  # this week's Friday
        elif f == "weekend":
            week_end = today + timedelta(days=6 - today.weekday())  # this week's Sunday
        elif f == "month_end":
            if m.group("next"):
                y, mo = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
            elif m.group("month"):
                mo = _MONTHS[m.group("month")[:3].lower()]
                y = today.year if mo >= today.month else today.year + 1
            else:
                y, mo = today.year, today.month
            w.days.append(_last_day_of_month(y, mo))
            w.period = True
        elif f == "eod":
            w.part = w.part or "eob"
        elif f == "day":
            word = m.group("w").lower()
            if word in ("tomorrow", "tmrw"):
                w.days.append(today + timedelta(days=1))
            else:
                w.days.append(today)
                w.explicit_today = True
                if word == "tonight" or word.endswith("evening"):
                    w.part = "night"
                elif word.endswith("morning"):
                    w.part = "noon"
                elif word.endswith("afternoon"):
                    w.part = "afternoon"
        elif f == "part":
            if m.group("ft") or (m.group("p") or "").lower() == "morning":
                w.part = "noon"
            elif (m.group("p") or "").lower() == "afternoon":
                w.part = "afternoon"
            else:
                w.part = "night"
        elif f == "weekday":
            weekday_toks.append((_weekday_index(m.group("wd")), t))
        elif f == "date":
            d = _date_of(m, today, sent, cal)
            if d is not None:
                w.days.append(d)
    clock = w.clock
    next_monday = today + timedelta(days=7 - today.weekday())
    if next_week and not weekday_toks:
        w.days.append(next_monday + timedelta(days=4))  # the Friday of next week
        w.period = True
    if week_end is not None and not weekday_toks:  # "on Thursday this week" is Thursday
        w.days.append(week_end)
        w.period = True
    for idx, t in weekday_toks:
        if any(x.family == "date" for x in toks):
            break  # "on Tuesday 3 March": the date is the more precise
        if t.m.group("nw") or next_week:  # "on Tuesday next week"
            w.days.append(next_monday + timedelta(days=idx))
            continue
        ahead = (idx - today.weekday()) % 7
        if ahead == 0 and "next" in (t.m.group("pre"), t.m.group("pre2")):
            ahead = 7  # "next Friday" said on a Friday
        day = today + timedelta(days=ahead)
        if ahead == 0 and _at(cal, day, _part_clock(cal, day, clock, w.part)) <= sent:
            day += timedelta(days=7)
        w.days.append(day)
    if w.fixed is not None and not w.event:
        return w.fixed
    if w.days:
        day = max(w.days)
        if w.period:
            return _end_of_business(cal, day)
        return _at(cal, day, _part_clock(cal, day, clock, w.part))
    if w.event and clock is None:
        return None  # "first thing once it's fixed"
    if clock is not None:
        due = datetime.combine(today, clock, tzinfo=cal.tz)
        if due <= sent and not w.explicit_today:
            due = datetime.combine(today + timedelta(days=1), clock, tzinfo=cal.tz)
        return due
    if w.part == "eob":
        return _end_of_business(cal, today)
    if w.part in ("noon", "afternoon", "night") and not w.event and not w.vague:
        day = today if sent.hour < 9 else today + timedelta(days=1)
        return _at(cal, day, _part_clock(cal, day, clock, w.part))
    return None


def _part_clock(cal: BusinessCalendar, day: date, clock: time | None, part: str) -> time | None:
    if clock is not None:
        return clock
    if part == "noon":
        return time(12, 0)
    if part == "night":
        return time(23, 59)
    if part == "afternoon":
        eob = _end_of_business(cal, day).timetz()
        return None if eob.hour >= 13 else time(17, 0)
    return None  # end of business


def _weekday_index(word: str) -> int:
    return _DAY_NAMES[word.lower()[:3]]


def _elapsed(m: re.Match[str], sent: datetime, cal: BusinessCalendar) -> datetime | None:
    if m.group("hour"):
        return (sent.astimezone(UTC) + timedelta(hours=1)).astimezone(cal.tz)
    if m.group("week"):
        days = 14 if m.group("week").lower() == "fortnight" else 7
        return _end_of_business(cal, sent.date() + timedelta(days=days))
    if m.group("day_after"):
        return _end_of_business(cal, sent.date() + timedelta(days=2))
    if m.group("rel"):
        return None  # "within an hour of that": counted from an event whose time is unknown
    if m.group("nbd"):
        return _end_of_business(cal, _nth_business_day(cal, sent.date(), 1))
    if m.group("n4"):
        n, unit, biz = _num(m.group("n4")), m.group("unit4").lower(), bool(m.group("biz4"))
    else:
        values = [_num(m.group(g)) for g in ("n1", "n2", "n3")]
        nums = [v for v in values if v is not None]
        n = max(nums) if nums else None
        if n is not None and (m.group("half1") or m.group("half2")):
            n += 0.5
        unit, biz = m.group("unit").lower(), bool(m.group("biz"))
    if n is None or n <= 0 or n > 1000:
        return None
    if unit.startswith(("min", "h")):
        delta = timedelta(minutes=n) if unit.startswith("min") else timedelta(hours=n)
        if biz:
            return cal.add(sent, delta).astimezone(cal.tz)
        return (sent.astimezone(UTC) + delta).astimezone(cal.tz)
    if unit.startswith("month"):
        months = round(n)
        y, mo = divmod(sent.month - 1 + months, 12)
        y, mo = sent.year + y, mo + 1
        d = min(sent.day, _last_day_of_month(y, mo).day)
        return _end_of_business(cal, date(y, mo, d))
    days = round(n * (7 if unit.startswith("week") else 1))
    if biz:
        return _end_of_business(cal, _nth_business_day(cal, sent.date(), days))
    return _end_of_business(cal, sent.date() + timedelta(days=days))


def _date_of(m: re.Match[str], today: date, sent: datetime, cal: BusinessCalendar) -> date | None:
    try:
        if m.group("iso"):
            return date.fromisoformat(m.group("iso"))
        if m.group("nthm"):
            n = int(m.group("nthm"))
            which = m.group("which").lower()
            y, mo = today.year, today.month
            if which in ("next", "following"):
                y, mo = (y + 1, 1) if mo == 12 else (y, mo + 1)
            return date(y, mo, n)
        if m.group("nth"):
            n = int(m.group("nth"))
            if not 1 <= n <= 31:
                return None
            y, mo = today.year, today.month
            for _ in range(14):
                if n <= _last_day_of_month(y, mo).day:
                    d = date(y, mo, n)
                    if d > today or (d == today and _end_of_business(cal, d) > sent):
                        return d
                y, mo = (y + 1, 1) if mo == 12 else (y, mo + 1)
            return None
        # "12th of March 2027", "March 12", "Friday 12 March": the date words themselves go to dateutil's
        # parser; the rule only decides that a year left out means the next such date.
        start = m.start("d1") if m.group("d1") else m.start("m2")
        words = re.sub(r"(?<=\d)(st|nd|rd|th)\b|\bof\b|,", " ", m.string[start : m.end()])
        parsed = dateutil_parser.parse(words, default=datetime(today.year, today.month, 1, tzinfo=UTC)).date()
        if m.group("y1") or m.group("y2") or parsed >= today:
            return parsed
        return parsed.replace(year=parsed.year + 1)
    except (ValueError, OverflowError):
        return None


# --------------------------------------------------------------------------------------------------
# Commitments

# "will", "'ll", "shall", "should", "going to": the usual ways to commit to a future action
_MODAL = re.compile(
    r"(?<=\w)['\u2019]ll\b|\b(?:will|shall)\b|\bshould\b|(?:\b(?:am|is|are)|(?<=\w)['\u2019](?:m|re|s))\s+going\s+to\b"
)
# "we're sending a courier tomorrow", "your delivery is scheduled for Thursday": need a concrete time
_PROGRESSIVE = re.compile(
    r"(?:\b(?:am|is|are)|(?<=\w)['\u2019](?:m|re|s))\s+"
    r"(?:(?:\w+ly\s+|now\s+|also\s+)?(?:sending|posting|shipping|delivering|dispatching|calling|ringing|phoning|emailing|texting|bringing|"
    r"coming|dropping|collecting|picking|visiting|installing|fitting|replacing|refunding|crediting|issuing|"
    r"releasing|couriering|returning|arriving|leaving|going\s+out|heading|booking|reissuing|resending)|"
    r"(?:scheduled|booked(?:\s+in)?|planned|arranged|confirmed|expected|set)\s+(?:to|for|on|at|in|between)|"
    r"due\s+to\s+(?:arrive|be|reach|ship|land|go|leave))\b"
)
_PROMISE_TO = re.compile(r"\b(?:promise|commit|undertake|guarantee)\s+(?:to|that)\b")
# "your chair ships within 10 business days", "it arrives on Friday": a lead time stated in the present for
# this customer's own item; needs a concrete time and a subject that is theirs (not "orders ship in 2 days")
_PRESENT_LEAD = re.compile(
    r"\b(?:ships|arrives|dispatches|goes\s+out|leaves\s+(?:us|our\s+\w+)|(?:is|are)\s+(?:dispatched|shipped|"
    r"delivered|posted))\b"
)
_OWN_ITEM = re.compile(r"(?i)^(?:(?:and|so|then),?\s+)?(?:your\b|this\b|it\b|they\b|each\s+of\s+your\b)")
# "you can expect a call by Friday", or "Expect a call by Friday" opening a sentence (not "we expect")
_EXPECT = re.compile(
    r"(?:\b[Yy]ou\s+(?:can|should|will|may)\s+|(?<![\w'\u2019] )\b)[Ee]xpect\s+"
    r"(?=(?:a|an|the|your|it|them|to|our)\b)"
)
_NOT_MODAL_BEFORE = re.compile(r"\b(?:the|a|your|his|her|their|our|free|good|ill|against|of)\s+$", re.I)
_NEGATED = re.compile(r"\s+(?:not|never|no\s+longer|n['\u2019]t)\b", re.I)
_ADVERBS = re.compile(
    r"(?:\s+(?:also|then|now|still|definitely|certainly|personally|just|again|gladly|happily|first|"
    r"both|all|each|immediately|promptly|quickly|actually|indeed|of\s+course|make\s+sure\s+to|be\s+sure\s+to|"
    r"\w+ly(?=\s+\w+ed\b))\b)*\s+",
    re.I,
)
_IDIOM = re.compile(
    r"(?:be\s+(?:honest|frank|straight|blunt|candid|upfront|up-front|clear|brief|quick|direct|short|happy|"
    r"glad|pleased|delighted|sorry|sad|careful|fine|okay|ok|right|missed|grateful|thankful|the\s+first)\b"
    r"|keep\s+(?:it|this|things)\s+(?:as\s+)?(?:short|brief|simple|quick)|admit|confess|grant|bet|say\b|"
    r"leave\s+(?:it|that|this)\s+(?:there|at\s+that|with\s+you)|spare\s+you|cut\s+to\s+the\s+chase|"
    r"get\s+(?:straight|right)\s+to|level\s+with|have\s+you\s+know|take\s+your\s+word|tell\s*[.,!]|"
    r"see\s+(?:what|if|whether|how)\b|see\s*[.,!]|take\s+(?:that|your\s+point)|start\s+(?:with|by)\b|"
    r"put\s+it\s+(?:simply|another\s+way|this\s+way)|let\s+you\s+(?:be\s+the\s+judge|decide)|"
    r"never\s+forget|remember\b|miss\b|spell\s+(?:it|this|that)\s+out|explain\s+(?:below|here|why|how)|keep\s+(?:my|our|everything)\s+fingers\s+crossed|"
    r"cross\s+(?:my|our)\s+fingers|let\s+you\s+(?:get\s+on|go\b|get\s+back\s+to\s+your)|"
    r"be\s+in\s+(?:the\s+)?(?:office|touch\s+with\s+(?:them|him|her))|wait\b|look\s+forward|hold\s+off)",
    re.I,
)
_STATE_VERBS = re.compile(
    r"(?:need|needs|require|want|cost|depend|mean|vary|seem|feel|matter|include|contain|suit|last|happen|"
    r"look\s+(?!into|at\b|for\b|over\b|through\b|after\b|out\b|in\b)|sound|go\s+(?:up|down)|rise|fall|"
    r"increase|decrease|run\s+out|love|like|enjoy|know|understand|notice\b|appreciate|"
    r"be\s+(?:closed|open|unavailable|away|out\s+of|on\s+leave|off|charged|billed|required|needed|"
    r"responsible|liable|able\s+to\s+(?:see|tell))|have\s+to\s+(?:wait|pay|be)|"
    r"continue\s+to\s+(?:be|apply))\b",
    re.I,
)
# verbs that describe a thing's state unless a person does them: "your plan will renew on 1 March" is not a
# promise, "we'll close the ticket tomorrow" is
_THING_STATE_VERBS = re.compile(
    r"(?:end|close|open|reopen|expire|lapse|renew|change|apply|work\b(?!\s+on)|help|stay|remain)\b",
    re.I,
)
_PERSON_SUBJECT = re.compile(
    r"(?i:(?:^|\s)(?:i|we|they|he|she)$|^(?:our|your|the|a|an)\s+(?:[\w-]+\s+){0,2}"
    r"(?:team|staff|engineer|technician|driver|courier|rider|crew|manager|agent|adviser|advisor|specialist|"
    r"colleague|department|office|desk|nurse|doctor|dentist|vet|officer|accountant|lawyer|solicitor|fitter|"
    r"plumber|electrician|tutor|teacher|coach|carrier|partner|supplier|lab|company)s?$)"
    r"|^(?:Dr|Mr|Mrs|Ms|Mx|Prof)\b|^[A-Z][a-z]+$",
)
_HEDGES = re.compile(
    r"\b(?:usually|normally|typically|generally|often|sometimes|occasionally|in\s+most\s+cases|"
    r"as\s+a\s+rule|tends?\s+to|probably|possibly|perhaps|maybe|hopefully|likely|unlikely|try\s+(?:to|and)|"
    r"do\s+(?:our|my|their|his|her)\s+best|aim\s+to|endeavou?r|attempt\s+to|hope\s+to|if\s+possible|"
    r"where\s+possible|ideally|always|never|(?-i:may|might|could)|as\s+standard|in\s+general|"
    r"our\s+(?:policy|terms)|under\s+our\s+(?:policy|terms))\b",
    re.I,
)
_BEFORE_BLOCK = re.compile(
    r"\b(?:if|whether|unless|wish|hope|hoping|wonder\w*|unsure|not\s+sure|doubt\w*|think|believe|"
    r"guess|suppose|imagine|assume|expect|can['\u2019]t|cannot|couldn['\u2019]t|unable|not\s+able|don['\u2019]t|"
    r"doesn['\u2019]t|didn['\u2019]t|do\s+not|does\s+not|did\s+not|not|never|no\s+guarantee|would|could|might|"
    r"question|confirm(?:ed|ing)?\s+(?:that\s+)?you|(?:our|the)\s+(?:policy|terms)\s+(?:is|are|says?|states?)|"
    r"as\s+(?:standard|a\s+rule)|in\s+general|no|nothing|nobody|none|no\s+one|"
    r"(?:i['\u2019]m|i\s+am|we['\u2019]re|we\s+are)\s+(?:sure|confident|certain|positive))\b"
    r"|\b(?:ask\w*|know|sure|tell\s+(?:you|me)|check\w*|see|find\s+out|confirm)\s+(?:\w+\s+){0,2}?"
    r"(?:when|how\s+long|what\s+time|which\s+day)\b",
    re.I,
)
_POLICY_SUBJECT = re.compile(
    r"^(?:all|any|every|each|most|some|many|new|standard)\b"
    r"|^(?:refunds|orders|deliveries|returns|replacements|payments|transfers|claims|cards|appointments|"
    r"bookings|cancellations|requests|parcels|packages|items|repairs|exchanges|tickets|applications|"
    r"customers|members|students|patients|guests|users|accounts|invoices|changes|updates|messages|"
    r"emails|calls|prices|fees|charges|disputes|chargebacks|withdrawals|deposits|shipments)\b",
    re.I,
)
_YOU_OK = re.compile(
    r"(?:receive|get|see|hear|have|be\s+(?:notified|contacted|called|emailed|sent|refunded|credited|"
    r"reimbursed|able\s+to\s+(?:collect|pick|use|access|log|see|download|track)|updated|informed|given|"
    r"offered|issued|assigned|back\s+(?:up|online)|receiving|getting|hearing|seeing|booked|reconnected))\b",
    re.I,
)
_SHOULD_OK = re.compile(
    r"(?:arrive|reach|be|land|show|appear|get|come|go|clear|finish|turn\s+up|receive|see|hear|have|"
    r"reflect|post|complete|update|start|hit)\b",
    re.I,
)
_GET_BACK = re.compile(
    r"\b(?:call|phone|ring|text|message|contact|reply|respond|get\s+back|come\s+back|be\s+in\s+touch|"
    r"follow\s+up|update|let\s+you\s+know|confirm|notify|write|reach\s+out|check\s+in|hear|touch\s+base|"
    r"chase|advise|inform|answer|get\s+in\s+touch|keep\s+you\s+(?:posted|updated|informed))\w*",
    re.I,
)
_DELIVERY = re.compile(
    r"\b(?:ready|ship|post|send|deliver|arrive|reach|dispatch|refund|credit|pay|issue|fix|repair|collect|"
    r"return|replace|install|fit|bake|print|finish|publish|upload|reissue|resend|email|mail|courier|drop|"
    r"bring|have\s+it|go\s+out|leave|be\s+(?:back|live|active|delivered|shipped|sent|posted|refunded|"
    r"credited|reversed|processed|applied|restored|completed|done|finished|with\s+you|there|ready)|restore|"
    r"reverse|unlock|reset|release|push|deploy|swap|restart|roast|rebook|book|extend|migrate|wipe|apply|"
    r"process|transfer|upholster|make|prepare|produce|pack|box|activate|switch|dispatch|land)\w*",
    re.I,
)
_BE_COMPLEMENT = re.compile(
    r"be\s+(?:\w+ly\s+)?(?:[\w-]+(?:ed|en)\b|(?!closing|opening)\w+ing\b|(?:sent|paid|done|made|built|set|put|kept|held|brought|bought|sold|"
    r"told|left|cut|shut|spent|lent|dealt|found|run|hung|read|shown|known|given|driven|written|taken|"
    r"ready|back|with|there|here|at|in|on|live|active|complete|available|up|online|out|able|over|"
    r"sorted|fixed|home|across|along|round|around|through|under\s+way|underway)\b)",
    re.I,
)
_SUBJECT_YOU = re.compile(r"(?:^|\s)you\s*$", re.I)
_SUBJECT_THERE = re.compile(r"(?:^|\s)there\s*$", re.I)
_SUBJECT_THING = re.compile(r"(?:^|\s)(?:it|this|that|which|these|those)\s*$", re.I)
_SUBJECT_AGENT = re.compile(r"(?:^|\s)(?:i|we)\s*$", re.I)
_SUBJECT_QUESTION = re.compile(r"^\s+(?:you|we|i|it|they|he|she)\b", re.I)
_BOUNDARY = re.compile(
    r"\s*[;\u2014\u2013]\s*|:\s+|\s+-\s+|,\s*(?:(?:and|but|so|or|then|while|whereas|because|since|although|though|yet|plus)\s+)?"
    r"|\s+(?:and|but|so|then|while|whereas|because|although|though|yet|plus)\s+",
    re.I,
)
_FORWARD_END = re.compile(
    r"\s*[;\u2014]|:\s|\s+-\s+|\s+\u2013\s+|,\s|\s+(?:but|whereas|while|because|although|though|so\s+that|so)\s+",
    re.I,
)
_APPOSITIVE = re.compile(
    r"(?:(?:Mr|Mrs|Ms|Mx|Dr|Prof)\.?\s+)?[A-Z][\w'\u2019.-]*(?:\s+[A-Z][\w'\u2019.-]*){0,2}\s*,\s*"
)
_LEAD_EVENT = re.compile(
    r"^\s*(?:once|when|as\s+soon\s+as|after|the\s+moment)\s+(?:you|we|i|they|it|he|she|the\s+\w+|your\s+\w+|our\s+\w+)\b",
    re.I,
)
_LEAD_CONTINGENCY = re.compile(
    r"^\s*(?:if|in\s+case|should|in\s+the\s+(?:unlikely\s+)?event)\b[^,;]*?\b(?:not|n['\u2019]t|miss\w*|fail\w*|no\s+one|"
    r"nobody|problem|issue|lost|damaged|late|delay\w*|wrong|faulty)\b",
    re.I,
)
_AND = re.compile(r"\s+and\s+", re.I)
_TIME_ONLY_LEFTOVER = re.compile(
    r"[\s,]*(?:(?:and|or|at|by|on|in|the|latest|at\s+the\s+latest)\b[\s,]*)*", re.I
)
_LEADING_JUNK = re.compile(
    r"^(?:(?:and|but|so|then|plus|also)\s+)+"
    r"|^(?:I|we)\s+(?:can\s+)?(?:confirm|promise|guarantee|assure\s+you)(?:\s+that)?\s+(?!to\b)(?=\S+\s+\S)",
    re.I,
)
_TRAILING_JUNK = re.compile(r"[\s,;:.!\u2014\u2013-]+$")
_CONCRETE = frozenset(
    {"window", "elapsed", "next_week", "this_week", "weekend", "month_end", "date", "eod", "day", "weekday",
     "clock", "part"}
)  # fmt: skip
_PASSIVE_OR_ACTION = re.compile(r"(?:be\s+(?:\w+ly\s+)?[\w-]+(?:ed|en)\b)", re.I)


_REACH = 300  # a clause reaches at most this far either side of its verb (bounds the work on run-on text)
_MAX_TEXT = 20_000  # characters read: a reply longer than that is not a reply


@dataclass(frozen=True)
class _Anchor:
    start: int
    end: int
    kind: str  # "modal", "should", "progressive", "promise", "expect"


def _anchors(s: str, lo: int, hi: int) -> list[_Anchor]:
    found: list[_Anchor] = []
    for m in _MODAL.finditer(s, lo, hi):
        if _NOT_MODAL_BEFORE.search(s, max(lo, m.start() - 16), m.start()):
            continue
        found.append(_Anchor(m.start(), m.end(), "should" if m.group(0) == "should" else "modal"))
    found += [_Anchor(m.start(), m.end(), "progressive") for m in _PROGRESSIVE.finditer(s, lo, hi)]
    found += [_Anchor(m.start(), m.end(), "promise") for m in _PROMISE_TO.finditer(s, lo, hi)]
    found += [_Anchor(m.start(), m.end(), "expect") for m in _EXPECT.finditer(s, lo, hi)]
    found += [_Anchor(m.start(), m.end(), "present") for m in _PRESENT_LEAD.finditer(s, lo, hi)]
    found.sort(key=lambda a: (a.start, -(a.end - a.start)))
    out: list[_Anchor] = []
    for a in found:
        if out and a.start < out[-1].end:
            continue
        out.append(a)
    return out


def _clause_start(s: str, lo: int, anchor: int) -> tuple[int, int]:
    """Start of the clause holding the anchor, and the start of the boundary before it (or -1)."""
    lo = max(lo, anchor - _REACH)
    bounds = list(_BOUNDARY.finditer(s, lo, anchor))
    for b in reversed(bounds):
        seg = s[b.end() : anchor]
        if not seg.strip():
            continue  # "... and will update you"
        if _APPOSITIVE.fullmatch(seg) and "," in b.group(0):
            continue  # "Our developer, Tunde, will ..."
        return b.end(), b.start()
    return lo, -1


def _kind(predicate: str) -> str:
    head = predicate[:60]
    g, d = _GET_BACK.search(head), _DELIVERY.search(head)
    if g and (not d or g.start() <= d.start()):
        return "get_back"
    if d:
        return "delivery"
    return "resolution"


def extract(text: str, *, sent_at: datetime, calendar: BusinessCalendar) -> list[FoundPromise]:
    """The commitments in `text`, in order, each with its due time resolved against `sent_at` on
    `calendar` (aware, in the calendar's zone). Never raises: odd input gives an empty list."""
    if not isinstance(text, str) or not text.strip():
        return []
    try:
        sent = _as_local(sent_at, calendar.tz)
        masked = _mask_quotes(text[:_MAX_TEXT])
        found: list[FoundPromise] = []
        for lo, hi in _sentences(masked):
            found.extend(_from_sentence(text, masked, lo, hi, sent, calendar))
        return found
    except Exception:  # a bug here must not stop a reply being sent; it is logged, not hidden
        log.exception("promise extraction failed")
        return []


def _as_local(sent_at: datetime, tz: ZoneInfo) -> datetime:
    if not isinstance(sent_at, datetime):
        raise TypeError("sent_at must be a datetime")
    if sent_at.tzinfo is None:
        sent_at = sent_at.replace(tzinfo=tz)
    return sent_at.astimezone(tz)


def _from_sentence(
    text: str, s: str, lo: int, hi: int, sent: datetime, cal: BusinessCalendar
) -> list[FoundPromise]:
    body = s[lo:hi].rstrip()
    if body.endswith("?") or body.rstrip("\"'\u2019\u201d)").endswith("?"):
        return []
    anchors = _anchors(s, lo, hi)
    starts = [_clause_start(s, lo, a.start) for a in anchors]
    out: list[FoundPromise] = []
    for i, a in enumerate(anchors):
        start, _ = starts[i]
        if i and anchors[i - 1].start >= start:
            continue  # embedded in an earlier clause ("I'll let you know when it will ship")
        # the clause ends at the next boundary, or where the next clause begins
        end = min(hi, a.end + _REACH)
        fwd = _FORWARD_END.search(s, a.end, end)
        if fwd:
            end = fwd.start()
        for j in range(i + 1, len(anchors)):
            if anchors[j].start > end:
                break
            nstart, nbound = starts[j]
            if nstart > a.end:
                end = min(end, nbound if nbound >= 0 else nstart)
                break
        end = _extend_to_time(s, a.end, end, hi)
        lead = s[lo:start] if start > lo else ""
        if lead and _LEAD_CONTINGENCY.match(lead):
            continue  # "if the courier misses you, they'll leave a card": what happens if, not a promise
        lead_event = bool(_LEAD_EVENT.match(lead))
        start = _extend_back_to_time(s, lo, start)
        for part_start, part_end, inherited in _split_coordinated(s, start, a, end):
            promise = _judge(text, s, part_start, part_end, a, inherited, lead_event, sent, cal)
            if promise is not None:
                out.append(promise)
    return out


def _extend_to_time(s: str, after: int, end: int, hi: int) -> int:
    """A clause cut by a comma before any time words takes the next comma-piece when that holds them
    ("we'll repair, clean and return it by Friday")."""
    if any(t.family != "event" for t in _time_tokens(s, after, end)) or end >= hi or s[end : end + 2] != ", ":
        return end
    nxt = _FORWARD_END.search(s, end + 2, hi)
    stop = nxt.start() if nxt else hi
    if _anchors(s, end + 2, stop):
        return end
    if any(t.family in _CONCRETE for t in _time_tokens(s, end + 2, stop)):
        return stop
    return end


def _extend_back_to_time(s: str, lo: int, start: int) -> int:
    """Take in a leading time phrase set off by a comma ("Tomorrow, I'll call you")."""
    if start <= lo or not s[:start].rstrip().endswith(","):
        return start
    comma = s.rfind(",", lo, start)
    prev = max((b.end() for b in _BOUNDARY.finditer(s, lo, comma)), default=lo)
    toks = _time_tokens(s, prev, comma)
    if not toks or any(t.family in ("event", "vague") for t in toks):
        return start
    rest = "".join(
        " " if any(t.start <= k < t.end for t in toks) else ch for k, ch in enumerate(s[prev:comma], prev)
    )
    return prev if _TIME_ONLY_LEFTOVER.fullmatch(rest) else start


def _split_coordinated(s: str, start: int, anchor: _Anchor, end: int) -> list[tuple[int, int, bool]]:
    """'will be roasted on Monday and delivered on Tuesday': two commitments, each with its own time."""
    toks = _time_tokens(s, anchor.end, end)
    parts: list[tuple[int, int, bool]] = []
    cur = start
    for m in _AND.finditer(s, anchor.end, end):
        if any(t.start <= m.start() < t.end for t in toks):
            continue  # "between 9am and 5pm"
        left = [t for t in toks if cur <= t.start < m.start() and t.family in _CONCRETE]
        right = [t for t in toks if t.start >= m.end() and t.family in _CONCRETE]
        nxt_word = re.match(r"\w+", s[m.end() :])
        if left and right and nxt_word and nxt_word.group(0).islower() and nxt_word.group(0) not in (
            "the", "a", "an", "your", "our", "their", "it", "they", "we", "i", "you", "he", "she", "then",
        ):  # fmt: skip
            parts.append((cur, m.start(), cur != start))
            cur = m.end()
    parts.append((cur, end, cur != start))
    return parts


def _judge(
    text: str,
    s: str,
    start: int,
    end: int,
    anchor: _Anchor,
    inherited: bool,
    lead_event: bool,
    sent: datetime,
    cal: BusinessCalendar,
) -> FoundPromise | None:
    pre = s[start : anchor.start]
    post = s[anchor.end : end]
    clause = s[start:end]
    subject = pre.strip()
    adv = _ADVERBS.match(post)
    predicate = post[adv.end() :] if adv else post.lstrip()
    if anchor.kind in ("progressive", "expect", "promise", "present"):
        predicate = s[anchor.start : end]  # the anchor words carry the verb
    if not inherited and not _acceptable(anchor, pre, post, predicate, subject):
        return None
    if _HEDGES.search(clause):
        return None
    lo_time = start if inherited else anchor.end
    toks = _time_tokens(s, lo_time, end)
    if not toks and not inherited:
        toks = _time_tokens(s, start, anchor.start)
    concrete = [t for t in toks if t.family in _CONCRETE]
    if anchor.kind in ("progressive", "expect", "present") and not concrete:
        return None
    moves = _SHOULD_OK.match(predicate) or _DELIVERY.match(predicate) or _GET_BACK.match(predicate)
    if anchor.kind == "should" and not inherited and not (toks and moves):
        return None
    if not toks and not inherited and not _commits_without_time(predicate, subject):
        return None
    try:
        due = _resolve(toks, sent, cal)
        if lead_event and due is not None and all(t.family in ("elapsed", "vague", "event") for t in toks):
            due = None  # "once you send the photos, we'll settle within 5 days": counted from an unknown time
    except Exception:
        due = None
    span_start, span_end = _trim(text, start, end)
    if span_end <= span_start:
        return None
    time_text = text[toks[0].start : toks[-1].end].strip(" ,.;") if toks else ""
    return FoundPromise(
        span=text[span_start:span_end],
        start=span_start,
        end=span_end,
        due=due,
        time_text=time_text,
        kind=_kind(predicate if not inherited else clause),
    )


def _acceptable(anchor: _Anchor, pre: str, post: str, predicate: str, subject: str) -> bool:
    """The checks on the clause's own words that tell a commitment from a look-alike."""
    if _BEFORE_BLOCK.search(pre) or _SUBJECT_THERE.search(pre):
        return False  # embedded question, wish, negation, report of the customer's words
    if _POLICY_SUBJECT.match(subject):
        return False  # "refunds will be issued within 14 days": general policy
    if anchor.kind == "promise":
        return bool(_SUBJECT_AGENT.search(pre))
    if anchor.kind == "expect":
        return True
    if anchor.kind == "present":
        return bool(_OWN_ITEM.match(subject))
    if anchor.kind == "progressive":
        if "booked" in predicate.lower():
            return not _SUBJECT_AGENT.search(pre)  # "we're booked for this week" is about us, not a promise
        return not _SUBJECT_YOU.search(pre)
    if _NEGATED.match(post):
        return False
    if anchor.kind == "should" and (
        _SUBJECT_QUESTION.match(post) or re.match(r"\s+have\s+(?:been|\w+(?:ed|en))\b", post)
    ):
        return False  # "should you need", "should have"
    if _IDIOM.match(predicate) or _STATE_VERBS.match(predicate):
        return False
    if _THING_STATE_VERBS.match(predicate) and not _PERSON_SUBJECT.search(subject):
        return False
    if re.match(r"be\b", predicate, re.I) and not _BE_COMPLEMENT.match(predicate):
        return False  # "it will be cheaper", "the fee will be £25"
    # the customer's own action ("you'll send the form", "you'll need to") is not the team's promise
    return not (_SUBJECT_YOU.search(pre) and not _YOU_OK.match(predicate))


def _commits_without_time(predicate: str, subject: str) -> bool:
    """Without time words, a thing as subject must be moved or made ("it will be repaired"); a person or a
    team may commit to any action ("our engineers will look into it")."""
    if _SUBJECT_THING.search(" " + subject):
        return bool(_DELIVERY.match(predicate) or _PASSIVE_OR_ACTION.match(predicate))
    return True


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    seg = text[start:end]
    lead = len(seg) - len(seg.lstrip())
    m = _LEADING_JUNK.match(seg[lead:])
    if m:
        lead += m.end()
    tail = _TRAILING_JUNK.search(seg)
    stop = tail.start() if tail else len(seg)
    return start + lead, start + max(stop, lead)
