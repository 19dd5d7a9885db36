"""The coach's checks on a draft reply: rules and VADER, no model, no Django.

    check_draft(draft, thread, macros=[...], sent_at=...) -> [Finding, ...]

Seven checks (see shared/eval/README.md, section "Coach"): tone, coverage, empathy, form_letter, dont_know,
vague_promise, faceless. Each finding carries the span it is about, one plain sentence of why, and a fix.
The rules are general wording families, not tuned to particular threads.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from itertools import pairwise
from types import ModuleType

try:  # the sentiment model ships inside its package; without it the coach runs on its rules alone
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
except ImportError:  # pragma: no cover - exercised by a test that hides the package
    SentimentIntensityAnalyzer = None

from answerable.coach import tone_model
from answerable.lib.business_hours import BusinessCalendar
from answerable.promises.extract import calendar_from_spec, extract

CHECKS = ("tone", "coverage", "empathy", "form_letter", "dont_know", "vague_promise", "faceless")


@dataclass(frozen=True)
class Finding:
    check: str
    start: int
    end: int
    quote: str
    why: str
    fix: str
    # One-click fix: the text that replaces draft[start:end], where the check can write it. "{agent_name}"
    # stands for the sending agent's name (coach.services.review fills it in).
    replacement: str | None = None


# --------------------------------------------------------------------------------------------------
# Shared helpers

_SENT = re.compile(r"[^.!?\n]+(?:[.!?]+[\"'\u2019\u201d)]*|(?=\n)|$)")
_WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019-]*|\d+(?:[.,:]\d+)*")


@lru_cache(maxsize=1)
def _vader() -> SentimentIntensityAnalyzer | None:  # loaded once per process
    return SentimentIntensityAnalyzer() if SentimentIntensityAnalyzer is not None else None


def missing_models() -> list[str]:
    """Model packages the coach would use but cannot load: the console says so."""
    missing = []
    if SentimentIntensityAnalyzer is None:
        missing.append("vaderSentiment (sentiment for the empathy check)")
    if _people_parser() is None:
        missing.append("probablepeople (person or company names in sign-offs)")
    if not tone_model.available():
        missing.append("the tone model (answerable/coach/data/tone_model.json)")
    return missing


@lru_cache(maxsize=1)
def _calendar() -> BusinessCalendar:
    return calendar_from_spec("UTC", "Mon-Fri 09:00-17:00")


def _sentences(text: str) -> list[tuple[int, int]]:
    out = []
    for m in _SENT.finditer(text):
        s, e = m.start(), m.end()
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "with",
        "by",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "i",
        "me",
        "my",
        "we",
        "our",
        "us",
        "you",
        "your",
        "he",
        "she",
        "they",
        "them",
        "his",
        "her",
        "their",
        "there",
        "here",
        "what",
        "which",
        "who",
        "whom",
        "when",
        "where",
        "why",
        "how",
        "can",
        "could",
        "would",
        "should",
        "will",
        "shall",
        "do",
        "does",
        "did",
        "done",
        "have",
        "has",
        "had",
        "not",
        "no",
        "yes",
        "so",
        "just",
        "also",
        "any",
        "some",
        "all",
        "about",
        "into",
        "than",
        "then",
        "too",
        "very",
        "please",
        "thanks",
        "thank",
        "hi",
        "hello",
        "dear",
        "one",
        "two",
        "get",
        "got",
        "let",
        "know",
        "like",
        "need",
        "want",
        "still",
        "much",
        "many",
        "more",
        "most",
        "other",
        "only",
        "own",
        "same",
        "such",
        "up",
        "out",
        "over",
        "again",
        "i'm",
        "i've",
        "i'd",
        "i'll",
        "we're",
        "we've",
        "we'll",
        "you're",
        "you've",
        "it's",
        "that's",
        "don't",
        "can't",
        "won't",
        "isn't",
        "there's",
        "ok",
        "okay",
        "really",
    ]
)


# Irregular past forms, so "I've already bled it" meets "please bleed it".
_IRREGULAR = {
    "bled": "bleed", "worn": "wear", "wore": "wear", "sent": "send", "paid": "pay", "done": "do",
    "did": "do", "took": "take", "taken": "take", "gave": "give", "given": "give", "brought": "bring",
    "bought": "buy", "kept": "keep", "left": "leave", "made": "make", "ran": "run", "rang": "ring",
    "rung": "ring", "spoke": "speak", "spoken": "speak", "told": "tell", "wrote": "write",
    "written": "write", "went": "go", "gone": "go", "put": "put", "set": "set", "swapped": "swap",
    "fed": "feed", "drove": "drive", "driven": "drive", "chose": "choose", "chosen": "choose",
    "froze": "freeze", "frozen": "freeze", "broke": "break", "broken": "break", "got": "get",
}  # fmt: skip


def _stem(word: str) -> str:
    w = word.lower().replace("\u2019", "'")
    w = _IRREGULAR.get(w, w)
    w = re.sub(r"'s$", "", w)
    for suf in ("ational", "ations", "ation", "ings", "ing", "edly", "ies", "ied", "ed", "es", "ly", "s"):
        if len(w) > len(suf) + 2 and w.endswith(suf):
            w = w[: -len(suf)]
            break
    return w[:6]


_SYNONYMS = {
    "price": "cost", "fee": "cost", "charg": "cost", "pay": "cost", "paid": "cost", "how much": "cost",
    "refund": "money", "reimbur": "money", "deliv": "ship", "dispatch": "ship", "arriv": "ship",
    "post": "ship", "collect": "pick", "pickup": "pick", "book": "appoin", "appoint": "appoin",
    "cancel": "cancel", "allerg": "allerg", "nut": "allerg",
}  # fmt: skip


def _terms(text: str) -> set[str]:
    out = set()
    for w in _WORD.findall(text):
        lw = w.lower()
        if lw in _STOP or (len(lw) < 3 and not lw.isdigit()):
            continue
        st = _stem(lw)
        out.add(_SYNONYMS.get(st, st))
    return out


def _customer_messages(thread: Sequence[dict]) -> list[str]:
    return [str(m.get("text", "")) for m in thread if m.get("from") == "customer"]


def _latest_customer_block(thread: Sequence[dict]) -> tuple[list[str], list[str]]:
    """(the customer messages since the last agent reply, the earlier customer messages)."""
    i = len(thread)
    while i > 0 and thread[i - 1].get("from") == "customer":
        i -= 1
    latest = [str(m.get("text", "")) for m in thread[i:]]
    earlier = [str(m.get("text", "")) for m in thread[:i] if m.get("from") == "customer"]
    return latest, earlier


def _body_span(draft: str) -> tuple[int, int]:
    """The draft without its greeting line and sign-off block."""
    lines = list(re.finditer(r"[^\n]+", draft))
    if not lines:
        return 0, 0
    start = 0
    first = lines[0].group(0).strip()
    if re.match(r"(?i)(hi|hello|hey|dear|good (morning|afternoon|evening))\b", first) and len(first) < 60:
        start = lines[0].end()
    sign = _signoff(draft)
    end = sign[0] if sign else len(draft)
    return start, max(start, end)


# --------------------------------------------------------------------------------------------------
# faceless

_VALEDICTION = re.compile(
    r"(?i)^\s*(thanks?( you| again| so much)?|many thanks|best( wishes| regards)?|kind(est)? regards|regards|"
    r"warm(est)? (wishes|regards)|warmly|all the best|cheers|sincerely|yours( sincerely| faithfully| truly)?|"
    r"with (love|thanks|best wishes)|take care|speak soon|talk soon|love|thanking you)[\s,.!-]*$"
)
_TEAM_WORDS = re.compile(
    r"(?i)\b(team|support|office|department|dept|services?|relations|bookings?|reservations|claims?|sales|desk|care|"
    r"customer|customers|helpdesk|admissions|reception|accounts?|billing|returns|workshop|studio|bakehouse|"
    r"bakery|shop|store|ltd|limited|inc|llc|plc|group|company|co\.|clinic|garage|bank|energy|insurance|"
    r"dental|school|academy|gym|salon|hotel|airways?|airlines?|travel|administrator|operations|management|"
    r"line|centre|center|hq|crew|staff|the|for|roasters|goods|flowers|florists?|furniture|fitness|cycles|"
    r"bikes|photography|kitchens?|caf[eé]|coffee|books|pets|grooming|motors|autos|cars|homes|lettings|"
    r"estates?|propert(y|ies)|water|broadband|telecoms?|mobile|hosting|analytics|software|labs|solutions|"
    r"systems|media|design|events|weddings|catering|foods?|farm|gardens?|nursery|pharmacy|vets?|"
    r"veterinary|opticians|physio|health|tours|holidays|rail|taxis|removals|storage|logistics|couriers|"
    r"parcels|prints?|crafts|candles|jewell?ery|fashion|clothing|boutique|outfitters|sports|tyres|"
    r"plumbing|heating|electrical|builders|cleaning|finance|mortgages|loans|college|university|languages?|"
    r"learning|tuition|surgery|practice|medical|hospital|inn|resort|spa|barbers|studios|gallery|theatre|"
    r"cinema|club|leisure|partners|associates|agency|repairs|garage|airport|hire|rentals|lettings|"
    r"association|society|trust|council|utilities|power|gas|networks?|digital|online|manager|director|"
    r"coordinator|advisor|adviser|agent|officer|specialist|assistant|representative|owner|head)\b"
)


def _signoff(draft: str) -> tuple[int, int] | None:
    """Span of the sign-off block: the lines after the last valediction, or a short closing line."""
    lines = [(m.start(), m.end(), m.group(0)) for m in re.finditer(r"[^\n]+", draft)]
    for i in range(len(lines) - 1, max(-1, len(lines) - 5), -1):
        if _VALEDICTION.match(lines[i][2]):
            rest = lines[i + 1 :]
            if rest:
                return rest[0][0], rest[-1][1]
            return lines[i][1], lines[i][1]
    if len(lines) >= 2:
        last = lines[-1][2].strip()
        plain = re.sub(r"\b(Co|Ltd|Inc|LLC|Corp|Bros|GmbH|S\.A|B\.V)\.$", "", last)  # "Inkwell Print Co."
        if len(last) <= 50 and not re.search(r"[.!?]$", plain) and len(last.split()) <= 8:
            # a closing name line without a valediction ("Lena", "Larkspur Bakehouse")
            j = len(lines) - 1
            while j > 1 and len(lines[j - 1][2].strip()) <= 40 and not re.search(r"[.!?:]$", lines[j - 1][2]):
                j -= 1
            return lines[j][0], lines[-1][1]
    return None


_NAME_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['\u2019-](?=[^\W\d_]))*\.?")


def _name_like(part: str) -> bool:
    """One to three capitalised words in any script's letters: "Tomás", "Inés Marín", "J. Okafor"."""
    # Letters after a name ("Oksana Petrenko ACCA", "Dr Ali Khan PhD") do not make it less a person's.
    words = [w for w in part.split() if not re.fullmatch(r"[A-Z]{2,6}|PhD|MSc|BSc|MBA|RN", w)]
    if not words or len(words) > 3 or _TEAM_WORDS.search(part):
        return False
    for w in words:
        if not _NAME_WORD.fullmatch(w) or not w[0].isupper():
            return False
        if len(w.rstrip(".")) > 2 and w.rstrip(".").isupper():
            return False  # an acronym ("ACME"), not a name
    return True


@cache
def _people_parser() -> ModuleType | None:  # probablepeople's CRF model ships in its wheel; loaded once
    try:
        import probablepeople
    except ImportError:
        return None
    return probablepeople


def _business_name(part: str) -> bool:
    """A shop or company name that looks like a person's: "SunPath Solar", "Cobalt Air", "Stitch & Hem"."""
    if re.search(r"[a-z][A-Z]", part.replace("Mc", "").replace("Mac", "")):
        return True  # CamelCase brands ("KeyFast"); not "McKay", "MacLeod"
    # Credentials ("ACCA", "PhD") and accents confuse the parser; a lone word is taken as a first name.
    words = [w for w in part.split() if not (len(w) > 1 and w.isupper()) and w not in ("PhD", "MSc", "BSc")]
    parser = _people_parser()
    if parser is None or len(words) < 2:
        return False
    folded = "".join(
        c for c in unicodedata.normalize("NFKD", " ".join(words)) if not unicodedata.combining(c)
    )
    try:
        return parser.tag(folded)[1] == "Corporation"
    except Exception:  # RepeatedLabelError and friends: the parser could not decide
        return False


def _names_person(line: str) -> bool:
    parts = [p.strip() for p in re.split(r"[/|,()\u2013\u2014\u00b7]| - ", line) if p.strip()]
    for part in parts:
        if "&" in part:  # "Sam & Priya" are two people; "Crumb & Co", "Hollis & Daughter" are businesses
            sides = [x.strip() for x in part.split("&")]
            if re.search(r"&\s*(Co|Sons?|Daughters?|Partners)\b", part):
                continue
            if all(_name_like(x) and not _business_name(x) for x in sides):
                return True
            continue
        if _name_like(part) and not _business_name(part):
            return True
    return False


def _check_faceless(draft: str) -> list[Finding]:
    span = _signoff(draft)
    if span is not None:
        block = draft[span[0] : span[1]]
        if any(_names_person(line) for line in block.splitlines()):
            return []
        s, e = span
        if e == s:  # a valediction with nothing under it: sign under it
            s = max(0, draft.rstrip().rfind("\n") + 1)
            e = len(draft.rstrip())
            replacement = draft[s:e] + "\n{agent_name}"
        else:  # a team or shop name: the person above it
            replacement = "{agent_name}\n" + draft[s:e]
    else:
        s = max(0, draft.rstrip().rfind("\n") + 1)
        e = len(draft.rstrip())
        replacement = draft[s:e] + "\n\nBest regards,\n{agent_name}"
    return [
        Finding(
            "faceless",
            s,
            e,
            draft[s:e],
            "The sign-off names no person, only a team or company, or there is no sign-off.",
            "Sign with your own name, e.g. 'Best, Sam' (a team name underneath is fine).",
            replacement,
        )
    ]


# --------------------------------------------------------------------------------------------------
# tone

_TONE = re.compile(
    r"(?i)\b("
    r"as (i|we)('ve| have)? (already |clearly )?(told|explained|said|mentioned|stated)|"
    r"as (has been|was) (already )?(explained|stated|said|mentioned)|"
    r"(already|previously) (told|explained to) you|"
    r"(explained|told you|said) (this |it )?(twice|three times|several times|before|again)|"
    r"third time of asking|for the (last|final|third) time|"
    r"stop (emailing|e-mailing|messaging|writing|contacting|calling|chasing)|"
    r"you (should|would|could) have (read|checked|looked|known|noticed|spotted|asked)|"
    r"if you('d| had) (bothered|read|checked|looked|paid attention)|"
    r"(not|isn't|is not) (my|our) (problem|fault|concern|issue|job)|"
    r"(that's|that is) not something we (deal|handle) with|not something we deal with|"
    r"(clearly|obviously) (stated|written|explained|shown|says)|"
    r"(it|this) (shouldn't|should not) (be|come as) (news|a surprise)|"
    r"(read|check) (the|your) [a-z ]{0,20}before (emailing|writing|contacting|asking)|"
    r"help to read|bother(ed)? to read|"
    r"not up for (discussion|debate)|end of (story|discussion)|"
    r"(writing|typing|shouting) in (capitals|caps|capital letters) (won't|will not|doesn't)|"
    r"(yours|you) (isn't|aren't|are not|is not) the only one|"
    r"i doubt (it's|it is|that) (anything|something) we|"
    r"your (own )?(fault|mistake|responsibility)|(this|that) is on you|"
    r"you (clearly|obviously) (didn't|did not|haven't|have not)|"
    r"(didn't|did not) you (read|see|check)|"
    r"calm down|no need to (shout|be rude)|"
    r"we're not (a charity|mind readers)|"
    r"(frankly|honestly), (i|we) (don't|do not) (see|know)|"
    r"there is nothing (more )?(to discuss|i can do)|"
    r"(simple|basic|common sense)[^.]{0,30}(even|anyone)|"
    r"we (get|have) (hundreds|thousands|lots) of|"
    r"(with|having) (all )?due respect|"
    r"not (a|our) mistake on our end|isn't a mistake on our end|not a mistake on our end|"
    r"per my (last|previous|earlier) (email|e-mail|message|reply)|i did (point|mention|say|explain)|"
    r"(says|states|stated|explained|written|shown|listed|set out) (quite |very |pretty |fairly )?clearly|"
    r"(quite|very|pretty|fairly|really) (obvious|simple|basic|straightforward)|i'?d have thought|"
    r"that'?s (just )?how [a-z ]{1,20} work|(that'?s|it'?s|is) your (problem|fault|lookout)|"
    r"wouldn'?t hold your breath|believe it or not|(shouldn'?t|should not) come as a surprise|"
    r"if you'?d (just |only )?(stuck|kept|followed|read|checked|looked|listened|paid|done|booked|"
    r"bothered|called|asked)|if you [a-z]+ed [a-z ]{1,30}more (often|carefully)|"
    r"as (we|i) (explain|tell|say) to (every|all)|"
    r"which you (accepted|agreed|signed)|there'?s nothing (we|i) can do|"
    r"shouting (at us|won'?t)|(it'?s|this is) not (complicated|difficult|hard|"
    r"rocket science)|i'?ll spell it out|spell it out for you|"
    r"no need to take that tone|take that tone|that'?s what you (ordered|asked for|paid for|chose)|"
    r"(customers|tenants|people|you all) always (say|claim)|anyone (reading|looking|with)|"
    r"(actually|properly) followed|already tells you|(sent|told|given) you (twice|three times|again)|"
    r"now sent you|is it\?|"
    r"damn|hell|crap|bloody|wtf|stupid|ridiculous|idiot|pathetic|nonsense"
    r")\b"
)
# Broader families of hostile wording, each a construction rather than a stock phrase: blame by
# counterfactual ("if you'd read", "had you checked", "maybe next time"), reproach about reading or knowing
# ("did you read", "in black and white", "as anyone would know"), sarcasm ("funny how", "thought not",
# "we're not magicians", "don't write themselves"), dismissal ("rules are rules", "that's how it works",
# "like everyone else", "Simple."), and a customer addressed as "mate".
_PAST = r"(read|[a-z]+ed|done|kept|come|taken|paid|brought|given|told|bought|made|left|thought|seen|been)"
_TONE_FAMILIES = re.compile(
    r"(?i)\b("
    r"(perhaps|maybe) if\b[^.!?\n]{0,40}\b(had|'d|was|were|did|didn'?t)\b|"
    r"had you (read|checked|looked|bothered|listened|asked|booked|ordered|come|arrived|called)|"
    r"(maybe|perhaps) next time,? (you |try |read |check |please )|"
    rf"if you'?d (actually |just |only |simply |bothered to )?{_PAST}\b|"
    rf"if you had (actually |just |only |simply )?{_PAST}\b|"
    r"you (really )?(should|ought to) (really )?have (?!(received|got|gotten|had|been (sent|given|told|"
    r"refunded|contacted|offered|called|charged|notified|informed|emailed))\b)|"
    r"did you (even |actually )(read|check|look at|open)|did you (even )?read (the|our|my|it|your)|"
    r"which i (assume|presume|trust) you (read|saw|got)|"
    r"(it'?s|it is|that'?s) all (there|in|written)|in black and white|as anyone (who|with|would|could|can)|"
    r"i'?m sure (even )?you can (work|figure|see|understand)|"
    r"(work|figure) (it|that|this) out (for )?yourself|"
    r"funny how|funnily enough|thought not|surprise,? surprise|what (else )?(were|did) you expect|"
    r"(we'?re|we are|i'?m|i am) not (magicians|miracle workers|mind[- ]readers|a charity|a library|"
    r"your (mum|mother|servant|babysitter))|out of thin air|(don'?t|doesn'?t) (write|fix|clean|build|run|"
    r"pay|book|sort) (themselves|itself)|unsurprisingly|(shouldn'?t|should not) (really )?be surprised|"
    r"rules are rules|(that'?s|this is|it'?s) (just )?(how|the way) (it|things|this) (works?|is|goes)|"
    r"like everyone else|take it or leave it|tough luck|(simple|easy) as that|"
    r"(that'?s|it'?s) (down to|on) you|(garbage|rubbish) in|not (that )?hard|"
    r"(?<!\n)(?<!^)\b(mate|sweetheart)[,.!?]|"
    r"i don'?t know what you call|i'?m not sure what (else )?you (were|are) expecting|"
    r"i think we know (how|what)|they don'?t make things up|helped (themselves|himself|herself)"
    r")"
)
_SIMPLE_STOP = re.compile(r"(?:^|[.!?]\s+)(Simple|Obviously|Clearly|End of)\.")


# "Sorry if this is a stupid question", "I feel stupid": aimed at the writer, not the customer.
_ABOUT_WRITER = re.compile(
    r"(?i)\b(sound|sounding|feel|feeling|look|looking|i'?m|i am|i was|me)\s+(so |a bit |really )?$"
)
_HUMBLE_QUESTION = re.compile(r"(?i)\b(sorry|maybe|probably|perhaps|if this is|might be|mine is|risk of)\b")


def _without_lead_clause(draft: str, s: int, e: int) -> tuple[int, int, str | None]:
    """Span and fix for a tone phrase: a leading clause ("As I already told you, we open ...") can simply
    go, with its comma, and the next word starts the sentence; anything else needs rewording by the agent."""
    starts_sentence = s == 0 or bool(re.search(r"(^|[.!?]\s+|\n\s*)$", draft[max(0, s - 4) : s]))
    lead = re.match(r"[^.!?\n,]{0,40},\s+(\w+)", draft[e : e + 80])
    if not (starts_sentence and lead):
        return s, e, None
    word = lead.group(1)
    return s, e + lead.end(), word[:1].upper() + word[1:]


def _aimed_at_writer(body: str, m: re.Match) -> bool:
    if m.group(0).lower() not in ("stupid", "ridiculous", "idiot"):
        return False
    before = body[max(0, m.start() - 40) : m.start()]
    if _ABOUT_WRITER.search(before):
        return True
    return body[m.end() :].lstrip().lower().startswith("question") and bool(_HUMBLE_QUESTION.search(before))


_SHOUT = re.compile(r"\b[A-Z]{3,}(?:\s+[A-Z]{2,}){2,}\b")
_ACRONYM_OK = frozenset({"FAQ", "PDF", "SMS", "URL", "USB", "VAT", "ETA", "PIN", "IBAN", "BACS", "HTML"})


def _check_tone(draft: str) -> list[Finding]:
    out = []
    b0, b1 = _body_span(draft)
    body = draft[b0:b1]
    for m in _TONE.finditer(body):
        if _aimed_at_writer(body, m):
            continue
        s, e, replacement = _without_lead_clause(draft, b0 + m.start(), b0 + m.end())
        out.append(
            Finding(
                "tone",
                s,
                e,
                draft[s:e],
                "This wording reads as blaming, condescending or curt toward the customer.",
                "Drop the phrase and state the facts plainly and politely.",
                replacement,
            )
        )
    for m in [*_TONE_FAMILIES.finditer(body), *_SIMPLE_STOP.finditer(body)]:
        s, e = b0 + m.start(), b0 + m.end()
        if any(f.start <= s < f.end or s <= f.start < e for f in out):
            continue  # already reported by the phrase list
        out.append(
            Finding(
                "tone",
                s,
                e,
                draft[s:e],
                "This wording reads as blaming, sarcastic or condescending toward the customer.",
                "Drop it: say what happened and what you will do, without judging the customer.",
            )
        )
    for m in _SHOUT.finditer(body):
        words = m.group(0).split()
        if all(w in _ACRONYM_OK for w in words):
            continue
        s, e = b0 + m.start(), b0 + m.end()
        run = re.search(r"(?:\b[A-Z]+\s+)+$", draft[max(b0, s - 40) : s])  # "WE DO" before "NOT OPEN ..."
        if run:
            s -= len(run.group(0))
        calm = draft[s:e].lower()
        if s == 0 or re.search(r"(^|[.!?]\s+|\n)$", draft[max(0, s - 3) : s]):
            calm = calm[:1].upper() + calm[1:]
        out.append(
            Finding(
                "tone",
                s,
                e,
                draft[s:e],
                "Writing in capitals reads as shouting.",
                "Write it in normal case.",
                calm,
            )
        )
    if not out and tone_model.score(body) >= tone_model.threshold():
        # No phrase we know, but the whole reads as hostile to the model trained on labelled replies: point
        # at the sentence that scores highest.
        sents = [(a, b) for a, b in _sentences(body) if body[a:b].strip()]
        if sents:
            a, b = max(sents, key=lambda ab: tone_model.score(body[ab[0] : ab[1]]))
            s, e = b0 + a, b0 + b
            out.append(
                Finding(
                    "tone",
                    s,
                    e,
                    draft[s:e].strip(),
                    "The reply as a whole reads as curt, blaming or condescending (the coach's tone model); "
                    "this sentence weighs most.",
                    "Reread it as the customer: state the facts and what you will do, without judging them.",
                )
            )
    return out


# --------------------------------------------------------------------------------------------------
# empathy

_UPSET = re.compile(
    r"(?i)\b(passed away|died|dying|death|funeral|bereave\w*|widow\w*|"
    r"lost (my|our) (husband|wife|mum|mom|dad|"
    r"mother|father|son|daughter|baby|partner|dog|cat)|cancer|chemo\w*|terminal|hospice|diagnos\w+|dementia|"
    r"hospital|emergency|frightened|scared|terrified|afraid|panic\w*|shaking|in tears|crying|cried|sobbing|"
    r"devastated|heartbroken|distraught|desperate|furious|livid|humiliat\w*|disgusted|beside myself|"
    r"at the end of my (rope|tether)|can't cope|cannot cope|can't sleep|haven't slept|sleepless|"
    r"stranded|stuck at|(could|might) have (been )?(killed|died)|unsafe|in danger|epilep\w*|seizure|"
    r"lose my job|losing my job|fired|evict\w*|can't afford|cannot afford|can't pay|pensioner|"
    r"so worried|really worried|worried sick|anxious|stressed|miscarriage|pregnan\w*|fever\w*|"
    r"ruined|nightmare|disaster|appalled|outraged|please help|help me|urgent(ly)?|(so|really|very) upset|"
    r"upset|gutted|overwhelmed|in bits|shaken|can'?t breathe|breaking point|disgrace(ful)?|frantic|"
    r"(so|really|very) (angry|annoyed)|feel sick|look like an idiot|nicu|intensive care|late (husband|wife|"
    r"mum|mother|dad|father)|(she'?s|he'?s) been gone|grave|ashes|miserable|exhausted|sleeping on|"
    r"alone with|newborn|died|this is (my|the) (second|third|fourth|fifth)|(third|fourth|fifth) (email|time)|"
    r"losing (money|sales|customers|business|hundreds|thousands)|(a|an absolute) disgrace|"
    r"bad reviews|saved for|"
    r"(i'?m|i am|we'?re|we are) (so |really |very |absolutely )?(gutted|distraught|upset|livid|furious)|"
    r"(broke|broken) into|break-in|stolen|hit by a car|crash(ed)?|accident)\b"
)
_ACK = re.compile(
    r"(?i)\b(so sorry|really sorry|very sorry|truly sorry|deeply sorry|terribly sorry|incredibly sorry|"
    r"sorry (about|for) (your|the loss|what|how|mum|dad|the news)|sorry to hear (about|of|that)|"
    r"i'?m sorry (that|the|you|your|it|this|to|about)|condolence\w*|sympathy|sympathies|thinking of you|"
    r"(i|we) (can )?(completely |totally |fully )?(understand|imagine|see why|see how)|"
    r"must (be|have been) (so |really |very |incredibly )?(hard|awful|difficult|frightening|scary|"
    r"stressful|upsetting|distressing|worrying|horrible|terrible|exhausting)|"
    r"(that's|that is|what a|it's|it is) (a |an )?(so |really |truly )?(awful|terrible|horrible|"
    r"frightening|scary|stressful|upsetting|distressing|worrying|dreadful|real disappointment|"
    r"frustrating|hard|difficult)|"
    r"please don'?t worry|don'?t worry|you'?re (right|not alone)|i hear you|that sounds|"
    r"completely understandable|(so |really )?glad (you|everyone|she|he|they) (are|is)|"
    r"(i|we) apologi[sz]e (for|that) (the|this|what|how|your)|apologies for (the|this|what|how)|"
    r"i can'?t imagine|what you('re| are) going through|take (all )?the time you need|no rush|"
    r"shouldn't have happened|should never have happened|we let you down|not good enough|unacceptable|"
    r"i know how (worrying|hard|frightening|scary|stressful|upsetting|awful|difficult|frustrating)|"
    r"i can (hear|tell|see) (how|that|you)|don'?t be (embarrassed|ashamed|sorry)|"
    r"(i'?m|i am|we'?re|we are) (so |really |very |truly )?sorry(?=\s*[\u2014\u2013,.!-])|"
    r"(is|was|sounds|feels|must feel) (really |so |very |incredibly )?(frightening|scary|awful|terrifying|"
    r"distressing|upsetting|heartbreaking|horrible|stressful|worrying))\b"
)
_CANNED = re.compile(
    r"(?i)sorry (to hear )?(there was|you('re| are| have| had)? (having|experiencing)|for any) "
    r"(a |an |any )?(problem|issue|trouble|inconvenience|difficult)|sorry for any inconvenience|"
    r"apologi[sz]e for any inconvenience|sorry for the (wait|delay|inconvenience)|"
    r"sorry (to hear )?(about )?your (experience|recent experience)|"
    r"sorry [^.]{0,40}(didn'?t|did not) (live up to|meet) your expectations"
)


# Clear distress on its own: the customer says they are frightened or grieving, or shouts for help.
_DISTRESS = re.compile(
    r"(?i)\b((i'?m|i am|we'?re|we are|i feel|we feel|feeling)\s+(so |really |very |honestly |absolutely |"
    r"completely |just )?(scared|terrified|frightened|afraid|panicking|desperate|devastated|heartbroken|"
    r"distraught|in bits|beside myself|not (really )?coping|at my wits'? end|in tears|shaking|"
    r"sick with worry|worried sick|falling apart)|passed away|put to sleep|funeral|bereave\w*|"
    r"breaks? my heart|broke my heart|"
    r"can'?t stop crying|can'?t cope|not coping|lost (my|our) (husband|wife|mum|mom|dad|mother|father|son|"
    r"daughter|baby|partner|dog|cat))\b"
)
_HELP_WORDS = re.compile(r"(?i)\b(please|help|hurry|urgent|emergency|now)\b")


def _customer_upset(text: str) -> bool:
    cues = len(_UPSET.findall(text))
    caps = [w for w in re.findall(r"\b[A-Z]{4,}\b", text) if w not in _ACRONYM_OK]
    shout = bool(caps) or "!!" in text or "??" in text
    if _DISTRESS.search(text) or (len(caps) >= 3 and _HELP_WORDS.search(text)):
        return True
    vader = _vader()
    score = vader.polarity_scores(text)["compound"] if vader is not None else 0.0
    if cues >= 2:
        return True
    if cues >= 1 and (score <= -0.3 or shout):
        return True
    return shout and score <= -0.5


def _check_empathy(draft: str, thread: Sequence[dict]) -> list[Finding]:
    latest, _ = _latest_customer_block(thread)
    text = "\n".join(latest) if latest else ""
    if not text or not _customer_upset(text):
        return []
    b0, b1 = _body_span(draft)
    body = _CANNED.sub(" ", draft[b0:b1])
    if _ACK.search(body):
        return []
    s, e = b0, b1 if b1 > b0 else len(draft)
    first = _sentences(draft[b0:b1])
    if first:
        s, e = b0 + first[0][0], b0 + first[0][1]
    return [
        Finding(
            "empathy",
            s,
            e,
            draft[s:e],
            "The customer is clearly upset and the reply never acknowledges how they feel or what happened.",
            "Open with a sentence that names their situation, e.g. 'I'm so sorry — that must have been "
            "frightening.'",
        )
    ]


# --------------------------------------------------------------------------------------------------
# dont_know

_DONT_KNOW = re.compile(
    r"(?i)\b(i'?m not sure|i am not sure|not sure (whether|if|how|what|why|when)|i don'?t know|"
    r"i do not know|we don'?t know|no idea|i have no (way|information)|i couldn'?t say|can'?t say|"
    r"(we|i)(\s+(are|am)|'re|'m|\u2019re|\u2019m) (unable|not able) to|(aren'?t|are not|isn'?t) able to|"
    r"i don'?t have (that|the|any) (information|details)|(don'?t|do not) (handle|deal with|cover)|"
    r"won'?t be (paying|refunding|covering)|nothing (we|i) can do|(we|i) (can'?t|cannot|can not|couldn'?t) "
    r"(be held|accept|offer|allow|refund|help|give|discuss|process|change|do|make|provide|guarantee|"
    r"replace|tell|say|comment|share|confirm|issue|arrange|honou?r|waive|extend|cover|compensate|"
    r"exchange|take|send|cancel|reverse|remove|release|reopen|deal|pay|look|fix)|"
    r"(is|are) (unable|not able) to|can'?t be held responsible|cannot be held responsible|"
    r"not (in a position|able) to|(outside|beyond) (our|my) (control|remit)|"
    r"unfortunately,? (that|this) is not|"
    r"(doesn'?t|does not|isn'?t|is not) something (we|i) (can|offer|do))\b"
)
_NEXT_STEP = re.compile(
    r"(?i)\b(?:(i'?ve|i have|we'?ve|we have) (passed|forwarded|escalated|raised|asked|referred|booked|"
    r"arranged|opened|sent|emailed|logged|flagged|put)|(i|we)'?ll (pass|forward|escalate|ask|check|"
    r"find out|refer|call|email|book|arrange|send|get|look|chase|speak|put|confirm|set)|"
    r"(i|we) will (pass|forward|escalate|ask|check|find out|refer|call|email|book|arrange|send|get|look|"
    r"chase)|"
    r"escalat\w+|instead|alternative\w*|what (we|i) can do|(we|i) can (offer|do|arrange|send|book|give)|"
    r"you can|you could|you may|you might|you('re| are) welcome to|your best (option|route|bet)|"
    r"(please |just )?(contact|call|ring|email|write to|speak to|reply|get in touch|visit|apply|fill in|"
    r"submit|go to|head to|try)|by (monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|"
    r"the end)|within \d|today|tomorrow|this (afternoon|morning|evening|week)|same day|"
    r"our [a-z]+ team|manager|supervisor|specialist|ombudsman|complaints? (process|procedure|team))\b"
)


def _check_dont_know(draft: str) -> list[Finding]:
    b0, b1 = _body_span(draft)
    body = draft[b0:b1]
    sents = _sentences(body)
    for i, (s, e) in enumerate(sents):
        m = _DONT_KNOW.search(body, s, e)
        if not m:
            continue
        # a next step in the same sentence, or in the rest of the draft, answers the shrug
        tail = re.search(
            r"(?i)\b(but|however|instead|though|although)\b|[;\u2014\u2013]|, so\b", body[m.end() : e]
        )
        after = (body[m.end() + tail.start() : e] if tail else "") + " "
        after += " ".join(body[a:b] for a, b in sents[i + 1 :])
        before = body[s : m.start()]
        if _NEXT_STEP.search(after) or re.search(r"(?i)\b(but|however)\b.*\b(can|will|'ll)\b", after):
            continue
        if re.search(r"(?i)\b(but|however|though)\b", before) and _NEXT_STEP.search(before):
            continue
        if _NEXT_STEP.search(" ".join(body[a:b] for a, b in sents[:i])) and re.search(
            r"(?i)\b(i'?ve|we'?ve|i have|we have) (passed|forwarded|escalated|raised|asked|referred|booked|"
            r"arranged|opened)",
            " ".join(body[a:b] for a, b in sents[:i]),
        ):
            continue
        qs, qe = b0 + s, b0 + e
        return [
            Finding(
                "dont_know",
                qs,
                qe,
                draft[qs:qe],
                "The reply admits not knowing or refuses, and offers no escalation, next step or time.",
                "Add what happens next: who you'll ask and when you'll get back, or an alternative route.",
            )
        ]
    return []


# --------------------------------------------------------------------------------------------------
# vague_promise


_TIMEISH = re.compile(
    r"(?i)\b(same (day|evening|morning|afternoon|night|time|visit|call)|on the spot|there and then|"
    r"straight away|right away|immediately|at once|within (an?|one|two|three|four|five|six|\d+|a few|"
    r"\d+-\d+) (minute|hour|day|working day|business day|week)s?|(minutes?|hours?|days?) (before|after|of)|"
    r"the (evening|day|night|morning) before|that (night|evening|afternoon)|tonight|this (afternoon|evening|"
    r"morning)|today|tomorrow|by (\d|noon|midday|monday|tuesday|wednesday|thursday|friday|saturday|sunday)|"
    r"in (about |around |roughly |under |less than )?(\d+|an?|one|two|three|four|five|ten|fifteen|twenty|"
    r"thirty|a few|a couple of) (minute|hour|day|working day|business day|week)s?|"
    r"on the (day|morning|evening) "
    r"(of|they|it|you|we)|(on|next|this) (monday|tuesday|wednesday|thursday|friday|saturday|sunday)|"
    r"in (january|february|march|april|may|june|july|august|september|october|november|december))\b"
)


_VAGUE_TIME = re.compile(
    r"(?i)\b(soon|shortly|asap|as soon as|once|when|in due course|at some point|eventually|in a while|"
    r"in the coming|a bit|later|before long)\b"
)


_VAGUE_ADVERB = re.compile(
    r"(?i)\s*\b(very soon|soon|shortly|asap|as soon as (possible|we can|i can)|in due course|at some point|"
    r"eventually|in a while|later|before long)\b"
)


def _with_a_time(span: str, sent_at: datetime) -> str | None:
    """The promise with a concrete time: one working day after sending (a default the agent sees and can
    edit before it goes out), in place of "soon"/"shortly" or added at the end."""
    due = _calendar().add(sent_at, timedelta(hours=8))
    when = f"by {due.strftime('%A')} {due.day} {due.strftime('%B')}, {due.strftime('%-I %p').lower()}"
    if re.search(r"(?i)\b(when|once|as soon as) (it|they|we|you|the)\b", span):
        return None  # tied to an event ("once it's ready"): the agent must say when that is
    stripped = _VAGUE_ADVERB.sub("", span).rstrip(" ,.;!")
    tail = span[len(span.rstrip(" .!")) :]
    return f"{stripped} {when}{tail}"


# The commitment waits on the customer: "let me know which day and I'll book you in", "once you confirm".
_ON_CUSTOMER_ACTION = re.compile(
    r"(?i)\b((reply|let (me|us) know|tell (me|us)|send (me|us)|confirm|call (me|us)|pick|choose|get back to "
    r"(me|us)|bring|drop|pop|come)\b[^.!?\n]{0,80}\b(and|then) (i|we)('ll| will)|"
    r"(if|once|when|as soon as|after|whenever) you\b[^.!?\n]{0,60}\b(reply|confirm|send|let (me|us) know|"
    r"book|choose|pick|register|decide|call|sign|pay|bring|drop|come|arrive|get here|pop))|"
    r"^\s*(bring|drop|pop|come|call|reply|send)\b"
)
_DESCRIBES_CUSTOMER = re.compile(
    r"(?i)\W*(you('ll| will)|your (\w+ )?(cover|bill|policy|plan|account) will)\b"
)


def _check_vague_promise(draft: str, sent_at: datetime | None) -> list[Finding]:
    when = sent_at or datetime(2026, 11, 2, 10, 0, tzinfo=UTC)  # a Monday morning: any fixed time will do
    out = []
    b0, b1 = _body_span(draft)
    body = draft[b0:b1]
    sents = _sentences(body)
    for p in extract(body, sent_at=when, calendar=_calendar()):
        if p.due is not None:
            continue
        i = next((k for k, (a, b) in enumerate(sents) if a <= p.start < b), None)
        sent = body[sents[i][0] : sents[i][1]] if i is not None else p.span
        before = body[sents[i - 1][0] : sents[i - 1][1]] if i else ""
        if _ON_CUSTOMER_ACTION.search(sent) or _ON_CUSTOMER_ACTION.search(before):
            continue  # "reply and I'll book it", "bring it in and we'll swap it": the customer sets the time
        if not _VAGUE_TIME.search(p.time_text + " " + p.span) and _TIMEISH.search(sent):
            continue  # a time tied to an event with a stated interval or day
        if _DESCRIBES_CUSTOMER.match(p.span):
            continue  # "you'll see the new setting", "your bill will be based on": a description
        s, e = b0 + p.start, b0 + p.end
        out.append(
            Finding(
                "vague_promise",
                s,
                e,
                draft[s:e],
                "This commits to something without saying when.",
                "Give a time: 'by 5pm tomorrow', 'within 2 working days', or 'reply and I'll do it the "
                "same day'.",
                _with_a_time(draft[s:e], when),
            )
        )
    return out


# --------------------------------------------------------------------------------------------------
# coverage

_REQUEST_START = re.compile(
    r"(?i)^\s*(\(?\d+[.)]|\(?[a-z]\)|[-*\u2022])?\s*(can|could|would|will|do|does|did|is|are|am|was|were|"
    r"should|shall|may|have|has|how|what|when|where|which|who|why|whats|what's|please|pls|i need|"
    r"i'd like|i would like|i want|i'd love|we need|we'd like|any chance|is there|are there)\b"
)
_NOT_REQUEST = re.compile(
    r"(?i)^\s*(thanks|thank you|cheers|many thanks|hope|sorry|ok|okay|great|glad|have a)\b|"
    r"\b(thanks so much|thank you so much)\b"
)


_CLAUSE_SPLIT = re.compile(
    r"(?i)(?:,\s*and\s+(?=(?:can|could|would|will|is|are|do|does|how|what|when|where|which|who|why|"
    r"should|may|please)\b)|\s+and\s+(?=(?:can|could|would|will|is|are|do|does|how|what|"
    r"when|where|which|who|why|get|make|change|send|tell|have)\b)|:\s+(?=(?:can|could|is|are|do|does|how|"
    r"what|when|where|will|would)\b))"
)
_REQUEST_WORDS = re.compile(
    r"(?i)\b(can you|could you|would you|please (can|could|send|let|tell|confirm|cancel|change|refund|"
    r"remove|add|check|advise|arrange|take|update|resend|fix|replace|sort)|i need (you|to know|the|my)|"
    r"let me know)\b"
)


def _requests(text: str) -> list[tuple[int, int]]:
    """Spans of the questions and requests in `text`, a compound question split into its parts."""
    out = []
    for s, e in _sentences(text):
        sent = text[s:e]
        if _NOT_REQUEST.search(sent) and not sent.rstrip().endswith("?"):
            continue
        if not _terms(sent):
            continue
        if not (sent.rstrip().endswith("?") or _REQUEST_START.match(sent) or _REQUEST_WORDS.search(sent)):
            continue
        cuts = [s] + [s + m.end() for m in _CLAUSE_SPLIT.finditer(sent)] + [e]
        for a, b in pairwise(cuts):
            if len(_terms(text[a:b])) >= 1:
                out.append((a, b))
    return out


def _numbered(text: str) -> dict[str, tuple[int, int]]:
    items = {}
    for m in re.finditer(r"(?m)(?:^|\s)\(?(\d)[.)]\s+([^\n]*?)(?=\s\(?\d[.)]\s|\n|$)", text):
        items[m.group(1)] = (m.start(2), m.end(2))
    return items if len(items) >= 2 else {}


# Questions whose answer has a recognisable shape: a time or duration, or an amount of money.
_ASKS_WHEN = re.compile(
    r"(?i)\b(how (long|soon|quickly)|when (will|would|can|could|do|does|is|are|should)|what time|by when|"
    r"what date|which day|how many (days|weeks|hours|minutes))\b"
)
_ASKS_PRICE = re.compile(r"(?i)\b(how much|what('s| is| are| does| do) (the )?(cost|price|fee|charge)s?)\b")
_TIME_ANSWER = re.compile(
    r"(?i)\b(\d+(\s*[-\u2013]\s*\d+)?\s*(working |business )?(minute|min|hour|hr|day|week|month)s?|"
    r"\d{1,2}(:\d{2})?\s*(am|pm)|\d{1,2}:\d{2}|today|tomorrow|tonight|this (morning|afternoon|evening|week)|"
    r"next (week|month|monday|tuesday|wednesday|thursday|friday|saturday|sunday)|"
    r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday)|"
    r"(january|february|march|april|may|june|july|august|september|october|november|december))\b"
)
_PRICE_ANSWER = re.compile(r"[£€$]\s?\d|\b\d+([.,]\d+)?\s?(eur|euros?|pounds?|dollars?|usd|gbp|chf)\b", re.I)


def _answer_shape_present(request: str, draft: str) -> bool:
    """A "how long" question met by a duration, a "how much" by a price: answered, whatever the words."""
    if _ASKS_WHEN.search(request) and _TIME_ANSWER.search(draft):
        return True
    return bool(_ASKS_PRICE.search(request) and _PRICE_ANSWER.search(draft))


def _addressed(req_terms: set[str], draft_terms: set[str], draft_sent_terms: list[set[str]]) -> bool:
    if len(req_terms) < 2:
        return True  # too little content to tell ("can you help?"): give the draft the benefit of the doubt
    common = req_terms & draft_terms
    if len(common) >= 3 or len(common) / len(req_terms) >= 0.34:
        return True
    best = max((len(req_terms & t) for t in draft_sent_terms), default=0)
    return best >= 2


def _check_coverage(draft: str, thread: Sequence[dict]) -> list[Finding]:
    latest, earlier = _latest_customer_block(thread)
    b0, b1 = _body_span(draft)
    body = draft[b0:b1]
    agent_text = " ".join(str(m.get("text", "")) for m in thread if m.get("from") == "agent")
    draft_terms = _terms(body)
    sent_terms = [_terms(body[s:e]) for s, e in _sentences(body)]
    draft_numbers = set(re.findall(r"(?m)(?:^|\s)\(?(\d)[.)]\s", body))
    out: list[Finding] = []
    seen: set[str] = set()

    def report(text: str, s: int, e: int) -> None:
        quote = text[s:e].strip()
        if quote in seen:
            return
        seen.add(quote)
        out.append(
            Finding(
                "coverage",
                s,
                e,
                quote,
                "This question or request from the customer gets no response in the draft.",
                f"Add a sentence that answers: {quote!r}",
            )
        )

    for text in latest:
        numbered = _numbered(text)
        if numbered and len(draft_numbers) >= 1:
            for num, (s, e) in numbered.items():
                t = _terms(text[s:e])
                if num not in draft_numbers and len(t & draft_terms) < 0.5 * len(t):
                    report(text, s, e)
            continue
        reqs = _requests(text)
        if len(reqs) + len(latest) - 1 < 2:
            continue  # a lone question gets some response in almost every draft; judge only several
        for s, e in reqs:
            if _answer_shape_present(text[s:e], body):
                continue
            if not _addressed(_terms(text[s:e]), draft_terms, sent_terms):
                report(text, s, e)
    agent_terms = _terms(agent_text)
    for text in earlier:
        for s, e in _requests(text):
            t = _terms(text[s:e])
            if _addressed(t, agent_terms, []):
                continue
            if not _addressed(t, draft_terms, sent_terms):
                report(text, s, e)
    return out


# --------------------------------------------------------------------------------------------------
# form_letter

_GENERIC = re.compile(
    r"(?i)\b(dear (customer|sir|madam|valued)|thank you for (your (interest|enquiry|email|message|patience)|"
    r"contacting|getting in touch|reaching out|choosing)|as set out in our|in (line|accordance) with our|"
    r"our (standard )?(terms|policy|policies|terms and conditions) (state|say|are|require)|"
    r"please (refer|note|see) (to )?(our|the)|(our|the) (faq|help cent(re|er)|knowledge base)|"
    r"we look forward to|we hope (you|to)|hope you (love|enjoy)|we aim to|"
    r"please allow|at this time|your (call|request|claim|enquiry) is important|"
    r"have you tried|please (try|make sure|ensure|check)|try (clearing|restarting|a different)|"
    r"clear(ing)? your (cache|cookies|browser)|restart(ing)? (your|the)|"
    r"follow (these|the) steps|step \d|standard|in due course|all our|every (order|customer))\b"
)
_DOESNT_FIT = re.compile(
    r"(?i)\b(already (tried|done|did|followed|checked|reset|cleared|restarted|asked|sent|submitted|said|"
    r"told|filled|explained|acknowledged|know)|i('ve| have) (tried|done|followed|checked|restarted|asked)|"
    r"tried (that|this|everything|all)|doesn'?t (apply|work|fit|help)|don'?t (have|own|use|care)|"
    r"does not (apply|work)|didn'?t (work|help)|not (relevant|applicable)|(twice|three times)|"
    r"(isn't|is not|wasn't) the (problem|issue)|no smartphone|can'?t use|not interested in|"
    r"i said|as i said|i explained|i mentioned)\b"
)


def _specifics(text: str) -> set[str]:
    """The concrete details a customer gives: numbers, names, and rarer content words."""
    out = set()
    for m in _WORD.finditer(text):
        w = m.group(0)
        if w.isdigit() or re.search(r"\d", w):
            out.add(w.lower())
        elif len(w) >= 5 and w.lower() not in _STOP:
            out.add(_stem(w))
    return out


# "I've already bled the radiators and checked the pressure": what the customer has done, to the sentence end.
_ALREADY_DONE = re.compile(
    r"(?i)(\balready\s+(?:\w+ed|done|tried|sent|read|paid|bled|worn|put|set|got|made|given|brought|taken)\b|"
    r"\b(?:i'?ve|i have|we'?ve|we have)\s+(?:tried|done|followed|checked|reset|cleared|restarted|rebooted|"
    r"bled|uploaded|sent|submitted|filled|read|updated|reinstalled|replaced|cleaned|turned|switched|"
    r"unplugged|changed|called|emailed|applied|paid|registered|worn|used|kept)\b|"
    r"[^.!?\n]*\b(?:like|as) you (?:said|told me|suggested|advised|recommended))[^.!?\n]*"
)
_ADVICE = re.compile(
    r"(?i)^\W*((also|and|then|next|first|simply|just),? )?(to [^,.]{1,40}, )?(please|try|make sure|ensure|"
    r"check|you (can|could|should|may|might|will need to|need to|must)|we (recommend|suggest|advise)|"
    r"i'?d (recommend|suggest)|it'?s (worth|best)|remember to|go to|click|select|open|turn|press|tap|visit|"
    r"log in|sign in|restart|reset|clear|remove|delete|update|reinstall|install|wear|use|follow|bleed|"
    r"upload|send|fill in|complete|switch|unplug)\b"
)


def _repeats_what_they_tried(customer: str, body: str) -> bool:
    """The draft advises the very steps the customer says they have already taken."""
    tried = (
        set().union(*(_terms(m.group(0)) for m in _ALREADY_DONE.finditer(customer))) if customer else set()
    )
    if len(tried) < 2:
        return False
    for s, e in _sentences(body):
        sentence = body[s:e]
        if _ADVICE.search(sentence) and len(_terms(sentence) & tried) >= 2:
            return True
    return False


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _check_form_letter(draft: str, thread: Sequence[dict], macros: Sequence[str]) -> list[Finding]:
    latest, _ = _latest_customer_block(thread)
    customer = "\n".join(latest)
    b0, b1 = _body_span(draft)
    body = draft[b0:b1]
    dterms = _terms(body)
    reasons = []
    # near copy of a macro or an earlier agent reply
    previous = [str(m.get("text", "")) for m in thread if m.get("from") == "agent"] + list(macros)
    copy = max((_jaccard(dterms, _terms(p)) for p in previous), default=0.0)
    spec = _specifics(customer)
    used = len(spec & _specifics(body)) / len(spec) if spec else 1.0
    generic = len(_GENERIC.findall(body))
    doesnt_fit = bool(_DOESNT_FIT.search(customer))
    flagged = False
    if copy >= 0.6 and len(spec) >= 3 and used < 0.5:
        flagged = True
        reasons.append("it is a near copy of an earlier reply or macro")
    if copy >= 0.4 and doesnt_fit:
        flagged = True  # repeats earlier advice the customer has said does not fit
    if _repeats_what_they_tried(customer, body):
        flagged = True
        reasons.append("it advises what the customer says they have already done")
    # canned wording plus a sign it does not fit: several stock phrases, or the customer said the stock
    # answer doesn't apply, or the draft uses almost none of the details they gave
    if generic >= 2 or (generic >= 1 and (doesnt_fit or used < 0.15)):
        flagged = True
    if not flagged:
        return []
    sents = _sentences(body)
    pick = next(((s, e) for s, e in sents if _GENERIC.search(body, s, e)), sents[0] if sents else (0, 0))
    s, e = b0 + pick[0], b0 + pick[1]
    why = "The reply reads as canned text that ignores the specifics the customer gave"
    if doesnt_fit:
        why += ", or repeats something the customer said does not fit their case"
    return [
        Finding(
            "form_letter",
            s,
            e,
            draft[s:e],
            why + ".",
            "Answer their case: mention the details they gave and drop advice they've already tried.",
        )
    ]


# --------------------------------------------------------------------------------------------------


def check_draft(
    draft: str, thread: list[dict], *, macros: Sequence[str] = (), sent_at: datetime | None = None
) -> list[Finding]:
    """All findings for `draft`, a reply to `thread` (oldest first, the last from the customer)."""
    if not isinstance(draft, str):
        return []
    thread = [m for m in (thread or []) if isinstance(m, dict)]
    out: list[Finding] = []
    out += _check_tone(draft)
    out += _check_coverage(draft, thread)
    out += _check_empathy(draft, thread)
    out += _check_form_letter(draft, thread, macros)
    out += _check_dont_know(draft)
    out += _check_vague_promise(draft, sent_at)
    out += _check_faceless(draft)
    return out
