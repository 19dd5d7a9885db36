"""The new text of an inbound email: quoted history, signatures and disclaimers taken off.

`extract_reply(text, html)` is what the ticket thread shows for a customer's mail. `split_reply` gives
the parts: the reply, the signature (sign-off block, "-- " signature, "Sent from my iPhone", mailing list
footer, legal disclaimer), the quoted history, and `body` (the reply with its signature, quotes removed).

The rules are line based and work on any language the patterns know:

* quote headers: "On <date>, <name> wrote:" and its translations ("Am ... schrieb ...:", "Le ... a écrit :",
  "El ... escribió:", "Op ... schreef ...:", "Il ... ha scritto:", "Em ... escreveu:", "Den ... skrev ...:",
  "W dniu ... napisał:", "... 写道:", ...), wrapped over up to four lines, and the verbless form
  "<date>, <name> <address>:" (Yandex, Mail.ru, Japanese clients);
* header blocks: "From: / Sent: / To: / Subject:" in the languages of Outlook, Gmail and the webmails;
* separators: "-----Original Message-----", "---------- Forwarded message ---------", and their translations;
* ">" quote blocks, with the wrapped lines that lost their ">" inside them; text written between quote
  blocks (inline or bottom posting) stays;
* "Sent from my iPhone" and the other mobile and app footers, in several languages;
* signatures after "-- ", sign-off blocks with contact details, mailing list footers, disclaimers.

A header that is followed by a ">" block quotes only that block; one that is followed by plain text (the
Outlook and Gmail way of quoting) ends the new text. The module has no Django import: it is imported by
the mail ingest and by the benchmark alike. Every pattern is anchored or bounded, so the time is linear
in the length of the message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ReplyParts", "extract_reply", "html_to_text", "split_reply"]

NEW, SIG, QUOTE = 0, 1, 2

# Marks that only the HTML conversion writes: a line that starts the quoted history, and a header line.
_CUT = "\ue000"
_HDR = "\ue001"

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u202a\u202b\u202c\u202d\u202e"))
_SPACES = dict.fromkeys(map(ord, "\xa0\u2007\u202f\u3000"), " ")
_CLEAN_TABLE = {**_INVISIBLE, **_SPACES}

# ---------------------------------------------------------------------------------------------------------
# "On <date>, <name> wrote:"

_VERB = (
    r"wrote|writes|has written|schrieb|geschrieben|a écrit|a ecrit|escribió|escribio|ha escrito|"
    r"escreveu|escreve|ha scritto|scrisse|schreef|geschreven|skrev|skriver|"
    r"napisał\(a\)|napisała|napisał|napisal|pisze|kirjoitti|написал\(а\)|написала|написал|пишет|"
    r"написав|napsal\(a\)|napsala|napsal|yazdı|írta|έγραψε|a scris|כתב|كتب"
)
_VERB_RE = re.compile(rf"(?<!\w)(?:{_VERB})(?!\w)|写道|寫道|のメッセージ|書きました|님이 작성", re.IGNORECASE)
_VERB_WORDS = frozenset(
    "wrote writes schrieb geschrieben escribió escribio escreveu escreve scrisse schreef geschreven skrev "
    "skriver napisał(a) napisała napisał napisal pisze kirjoitti написал(а) написала написал пишет написав "
    "napsal(a) napsala napsal yazdı írta έγραψε כתב كتب".split()
)
_VERB_PAIRS = frozenset({"has written", "a écrit", "a ecrit", "ha escrito", "ha scritto", "a scris"})
_CJK_VERB_ENDS = ("写道", "寫道", "書きました", "님이 작성")
_EMAIL_AT_END_RE = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+\s*[>\])»]*\s*$")
_TIME_OR_YEAR_RE = re.compile(r"\d{1,2}[:.h]\d{2}|(?<!\d)(?:19|20)\d{2}(?!\d)|\d{4}年")
_WEEKDAYS = (
    "mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    "lun|mar|mer|jeu|ven|sam|dim|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|"
    "mo|di|mi|do|fr|sa|so|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|"
    "mié|jue|vie|sáb|dom|lunes|martes|miércoles|jueves|viernes|sábado|domingo|"
    "seg|ter|qua|qui|sex|segunda|terça|quarta|quinta|sexta|"
    "lunedì|martedì|mercoledì|giovedì|venerdì|sabato|domenica|"
    "ma|di|wo|do|vr|za|zo|maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag|"
    "man|tir|ons|tor|fre|lør|søn|mån|tis|tors|lör|sön|ti|ke|to|pe|la|su|"
    "pon|wt|śr|czw|pt|sob|niedz|пн|вт|ср|чт|пт|сб|вс"
)
# How a quote header starts: "On", its translations, a weekday before a date, or a date.
_OPENER_RE = re.compile(
    rf"^(?:-+\s*)?(?:(?:on|le|am|el|em|op|il|in data|den|dne|dňa|w dniu|dnia|på|der)\s"
    rf"|(?:{_WEEKDAYS})\.?,?\s+\d|\d|在|于)",
    re.IGNORECASE,
)

_WEEKDAY_START_RE = re.compile(rf"^(?:{_WEEKDAYS})\.?,?\s+\d", re.IGNORECASE)

# ---------------------------------------------------------------------------------------------------------
# "From: / Sent: / To: / Subject:" header blocks

_FROM, _DATE, _TO, _CC, _SUBJECT = range(5)
_HEADER_KEYS = {
    _FROM: "from|von|de|van|da|från|fra|od|lähettäjä|от|від|kimden|feladó|odesílatel|afzender|remitente|"
    "mittente|expéditeur|absender|发件人|寄件者|差出人|보낸 사람|送信者",
    _DATE: "sent|date|gesendet|datum|envoyé|envoyé le|envoyé par|verzonden|verstuurd|inviato|data|enviado|"
    "enviada|fecha|skickat|sendt|dato|wysłano|wysłane|lähetetty|päivämäärä|отправлено|дата|надіслано|"
    "tarih|dátum|odesláno|message du|发送时间|日期|時間|送信日時|日付|날짜|보낸 날짜",
    _TO: "to|an|à|a|aan|para|till|til|do|vastaanottaja|кому|komu|kime|címzett|destinatario|"
    "destinataire|empfänger|收件人|宛先|받는 사람",
    _CC: "cc|kopie|copie|copie à|kopia|kopio|копия|抄送|副本|참조",
    _SUBJECT: "subject|betreff|objet|onderwerp|oggetto|asunto|assunto|ämne|emne|temat|aihe|тема|konu|"
    "tárgy|předmět|sujet|主题|主旨|件名|제목",
}
_HEADER_KEY_RE = re.compile(
    r"^[*_]{0,2}(?:" + "|".join(f"({_HEADER_KEYS[cls]})" for cls in range(5)) + r")[*_]{0,2}\s?[:：]",
    re.IGNORECASE,
)
_TIME_RE = re.compile(r"\d{1,2}\s?[:.h]\s?\d{2}")
_SECOND_SUBJECT_RE = re.compile(r"\s(?:objet|subject|betreff|oggetto|asunto|onderwerp|assunto)\s?[:：]", re.I)
_TRAILING_SPACE_RE = re.compile(r"[ \t\f\v\xa0\u3000]+$", re.MULTILINE)
_BLANK_RUNS_RE = re.compile(r"\n{3,}")
_QUOTED_COLONS = frozenset({">:", ">：", "> :"})  # the end of a header wrapped after its "<address"
# Header keys tried per message before giving up on header blocks: real mail has a handful.
_BLOCK_BUDGET = 200

_ORIGINAL_MARKERS = {
    "original message", "original-message", "ursprüngliche nachricht", "ursprungliche nachricht",
    "message d'origine", "message d’origine", "message original", "mensaje original", "messaggio originale",
    "oorspronkelijk bericht", "origineel bericht", "originalmeddelande", "ursprungligt meddelande",
    "oprindelig besked", "oprindelig meddelelse", "opprinnelig melding", "opprinnelig e-post",
    "alkuperäinen viesti", "wiadomość oryginalna", "oryginalna wiadomość", "исходное сообщение",
    "původní zpráva", "mensagem original", "original meddelelse", "原始邮件", "原始郵件", "元のメッセージ",
    "forwarded message", "begin forwarded message", "weitergeleitete nachricht",
    "anfang der weitergeleiteten nachricht", "message transféré", "début du message réexpédié",
    "mensaje reenviado", "messaggio inoltrato", "inizio messaggio inoltrato", "doorgestuurd bericht",
    "vidarebefordrat meddelande", "videresendt besked", "videresendt melding", "välitetty viesti",
    "przekazana wiadomość", "пересылаемое сообщение", "mensagem encaminhada", "转发的邮件", "転送されたメッセージ",
    "reply message", "replied message",
}  # fmt: skip
_MARKER_STRIP = " \t-_=*~—–:<>[]()"
_MARKER_FIRST = frozenset(m[0] for m in _ORIGINAL_MARKERS)

_MOBILE_RE = re.compile(
    r"^(?:sent from (?:my |the |a |an )?|sent with |sent via |sent using |sent by (?:my )?|get outlook for |"
    r"envoyé (?:de|depuis|à partir de|avec) (?:mon |ma )?|gesendet (?:von|mit|vom) (?:meinem |meiner )?|"
    r"von meinem .{1,40} gesendet|enviado (?:desde|de|do|com) (?:mi |meu |o |a )?|"
    r"inviato (?:da|dal mio|con) |verzonden (?:vanaf|met|van) (?:mijn )?|verstuurd (?:vanaf|met) (?:mijn )?|"
    r"skickat från (?:min |mitt )?|sendt fra (?:min |mit )?|lähetetty .{1,30}(?:laitteesta|puhelimesta)|"
    r"wysłane z (?:mojego |mojej )?|отправлено (?:с|из) |надіслано з |发自我的|寄自我的|从我的|.{1,24}から送信)",
    re.IGNORECASE,
)
_MOBILE_FIRST = frozenset("sgevisowlон发寄从")
_BRACKETED_RE = re.compile(r"<[^<>]*>|\([^()]*\)|\[[^\[\]]*\]")

# ---------------------------------------------------------------------------------------------------------
# Signatures

_SEPARATOR_CHARS = frozenset("-_=*~—–─━#•·")
_SIGN_OFF_RE = re.compile(
    r"^(?:(?:best|kind|warm|warmest|many|with|all the|my|kindest|warm) ?(?:regards|wishes|thanks|best)"
    r"|regards|best|cheers|thanks|thank you|thanks again|thank you again|many thanks|thanks so much|"
    r"thank you very much|thx|ty|sincerely|yours(?: truly| sincerely| faithfully)?|respectfully|cordially|"
    r"take care|talk soon|br|brgds|rgds|mfg|mit freundlichen grüßen|mit freundlichen grüssen|viele grüße|"
    r"beste grüße|liebe grüße|freundliche grüße|herzliche grüße|gruß|grüße|lg|vg|danke|vielen dank|"
    r"cordialement|bien cordialement|bien à vous|salutations|sincères salutations|merci|merci beaucoup|"
    r"atentamente|saludos|un saludo|saludos cordiales|gracias|muchas gracias|cordiali saluti|saluti|"
    r"distinti saluti|grazie|grazie mille|met vriendelijke groet|met vriendelijke groeten|"
    r"vriendelijke groet|groeten|groetjes|mvg|bedankt|med vänliga hälsningar|vänliga hälsningar|mvh|"
    r"hälsningar|tack|med venlig hilsen|venlig hilsen|vennlig hilsen|hilsen|takk|pozdrawiam|"
    r"z poważaniem|dziękuję|atenciosamente|abraços|obrigado|obrigada|cumprimentos|ystävällisin terveisin|"
    r"terveisin|kiitos|с уважением|спасибо|よろしくお願いします|よろしくお願いいたします|谢谢|此致|감사합니다)"
    r"[\s,.!;:\-–—]*[^\w\s]{0,3}\s*$",
    re.IGNORECASE,
)
_EMAIL_RE = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_URL_RE = re.compile(r"https?://|www\.\w", re.IGNORECASE)
_PHONE_RE = re.compile(r"(?<![\w/:.-])\+?\(?\d[\d ().-]{5,22}\d(?![\w/:-])")
_DATE_LIKE_RE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}")
_NAME_PARTICLES = frozenset("van von de der den da di du la le del dos das y e bin al".split())
_LIST_FOOTER_RE = re.compile(r"mailing list|unsubscribe|listinfo|abmelden|désinscri|darse de baja", re.IGNORECASE)

_DISCLAIMER_START_RE = re.compile(
    r"^(?:\W{0,4})(?:confidentiality|confidential|disclaimer|legal disclaimer|important notice|notice:|"
    r"privacy notice|(?:nota|avviso|informativa) (?:di |sulla )?riservatezza|vertraulichkeitshinweis|"
    r"datenschutzhinweis|haftungsausschluss|avis de confidentialité|avertissement|"
    r"aviso (?:de confidencialidad|legal|de privacidade)|aviso:|sekretessmeddelande|"
    r"privileged|this (?:e-?mail|message|communication|transmission|electronic mail)|"
    r"the (?:information|content|contents) (?:contained |transmitted )?(?:in|of) this|"
    r"if you (?:are not|have received this)|le informazioni contenute|questo messaggio|questa e-?mail|"
    r"ce (?:message|courriel|mail|e-?mail)|les informations contenues|diese (?:e-?mail|nachricht)|"
    r"dieses e-?mail|die informationen in dieser|este (?:mensaje|correo|e-?mail)|esta mensagem|"
    r"la información contenida|a informação contida|dit (?:e-?mailbericht|bericht)|deze e-?mail|"
    r"de informatie in dit|detta (?:e-postmeddelande|meddelande)|denne e-?mail|ta wiadomość|"
    r"niniejsza wiadomość|tämä viesti|это (?:сообщение|письмо))",
    re.IGNORECASE,
)
_DISCLAIMER_WORD_RE = re.compile(
    r"confidential|privileged|intended recipient|intended solely|intended only|addressee|in error|"
    r"vertraulich|empfänger|irrtümlich|confidentiel|destinataire|par erreur|riservat|confidenzial|"
    r"destinatario|per errore|confidencial|por error|por engano|vertrouwelijk|geadresseerde|"
    r"konfidentiell|mottagare|fortrolig|poufn|adresat|luottamuksellin|конфиденциальн|получател",
    re.IGNORECASE,
)

_SHORT = 72
_MAX_SIGNATURE_LINES = 14


@dataclass(frozen=True)
class ReplyParts:
    """A message cut in parts. `body` is `reply` with its signature: the message without quotes."""

    reply: str
    signature: str
    quoted: str
    body: str


def extract_reply(text: str, html: str = "") -> str:
    """The new text the sender wrote: no quoted history, signature or disclaimer. Never raises."""
    try:
        return split_reply(text, html).reply
    except Exception:
        return (text or "").strip()


def split_reply(text: str, html: str = "", *, sender: str = "") -> ReplyParts:
    """Cut a message in reply, signature and quoted history.

    `text` is preferred; `html` is converted when there is no text, and used to place the cut when the
    text shows no quote but the HTML marks one. `sender` ("Name <address>", a name or an address) lets a
    bare "Thanks,\\nName" or a block holding the sender's own address count as a signature.
    """
    text = text or ""
    html = html or ""
    if text.strip():
        parts, found = _split_text(text, sender=sender, from_html=False)
        if not found and html.strip() and "<" in html:
            parts = _align_with_html(text, html, sender) or parts
        return parts
    if html.strip():
        return _split_text(html_to_text(html, marks=True), sender=sender, from_html=True)[0]
    return ReplyParts("", "", "", "")


# ---------------------------------------------------------------------------------------------------------
# Text


def _clean(line: str) -> str:
    return line.translate(_CLEAN_TABLE).strip()


def _is_separator(clean: str) -> bool:
    return (
        len(clean) >= 2
        and clean[0] in _SEPARATOR_CHARS
        and all(ch in _SEPARATOR_CHARS or ch == " " for ch in clean)
    )


def _is_original_marker(clean: str) -> bool:
    if len(clean) > 80 or (clean[0] not in _MARKER_STRIP and clean[0].lower() not in _MARKER_FIRST):
        return False
    return clean.strip(_MARKER_STRIP).casefold() in _ORIGINAL_MARKERS


def _is_mobile(clean: str) -> bool:
    if len(clean) > 100 or (clean[0].lower() not in _MOBILE_FIRST and "から送信" not in clean):
        return False
    if not _MOBILE_RE.match(clean):
        return False
    core = _BRACKETED_RE.sub("", clean).strip()
    if core.endswith("."):
        core = core[:-1]
    if any(ch in core for ch in ",;!?") or len(core) > 70:
        return False
    return len(core.split()) <= 9


def _header_key(clean: str) -> int | None:
    colon = clean.find(":", 0, 40)
    if colon < 0 and clean.find("：", 0, 40) < 0:
        return None
    m = _HEADER_KEY_RE.match(clean)
    if not m:
        return None
    return m.lastindex - 1 if m.lastindex else None


def _header_block_end(clean: list[str], keys: dict[int, int | None], i: int) -> int:
    """If a "From: / Sent: / To: / Subject:" block starts at line i, the index after it, else -1."""

    def key(k: int) -> int | None:
        if k not in keys:
            keys[k] = _header_key(clean[k])
        return keys[k]

    first = key(i)
    if first is None:
        return -1
    classes = {first}
    evidence = False
    misses = 0
    j = i
    n = len(clean)
    while j < n and j < i + 12:
        c = clean[j]
        if not c:
            break
        cls = key(j)
        if cls is None:
            misses += 1
            if misses > 2:
                break
        else:
            classes.add(cls)
            # A line may hold two fields ("À : x@y.be Objet : ..."): count the second one too.
            if cls in (_TO, _CC) and _SECOND_SUBJECT_RE.search(c):
                classes.add(_SUBJECT)
        if "@" in c or _TIME_RE.search(c):
            evidence = True
        j += 1
    if not ({_FROM, _DATE} & classes) or len(classes) < 2:
        return -1
    if _SUBJECT not in classes and not evidence:
        return -1
    return j


def _header_text_ok(text: str) -> bool:
    """Whether a (joined) line is a quote header like "On <date>, <name> wrote:"."""
    t = text.strip(" \t-*_")
    if len(t) < 8 or len(t) > 400:
        return False
    colon = t[-1] in ":："
    core = t[:-1].rstrip() if colon else t
    has_digit = any(ch.isdigit() for ch in t)
    verb = _VERB_RE.search(core)
    if verb:
        if not has_digit and "@" not in t:
            return False
        after = core[verb.end() :].strip()
        if not after:
            return True
        if not colon:
            return False
        return "@" in after or len(after.split()) <= 6
    return bool(colon and _EMAIL_AT_END_RE.search(core[-200:]) and _TIME_OR_YEAR_RE.search(core))


def _ends_header(clean: str) -> bool:
    """Whether a line can end a quote header: a colon, or a "wrote" without one."""
    last = clean[-1]
    if last in ":：":
        return True
    if last in ".,;?!\"'”»":
        return False
    t = clean[-60:].rstrip(" \t-*_")
    if not t:
        return False
    if t[-1] in ":：" or t.endswith(_CJK_VERB_ENDS):
        return True
    words = t.casefold().rsplit(None, 2)
    return words[-1] in _VERB_WORDS or " ".join(words[-2:]) in _VERB_PAIRS


def _quote_header_end(clean: list[str], quoted: list[bool], i: int) -> int:
    """If an "On ... wrote:" header starts at line i, the index of its last line, else -1."""
    n = len(clean)
    if len(clean[i]) > 400:
        return -1
    opener = bool(_OPENER_RE.match(clean[i]))
    if not (opener or i == 0 or not clean[i - 1] or quoted[i - 1]):
        return -1
    parts = []
    total = 0
    for j in range(i, min(i + 4, n)):
        c = clean[j]
        if not c or c[0] in (_HDR, _CUT):
            return -1
        if quoted[j] and not (j > i and c in _QUOTED_COLONS):
            return -1
        if j > i and _OPENER_RE.match(c) and (not opener or not (c[0].isdigit() or _WEEKDAY_START_RE.match(c))):
            return -1  # the header starts further down: let that line claim it
        parts.append(c)
        total += len(c) + 1
        if total > 420:
            return -1
        if _ends_header(c) and _header_text_ok(" ".join(parts)):
            return j
    return -1


def _split_text(text: str, *, sender: str, from_html: bool) -> tuple[ReplyParts, bool]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    n = len(lines)
    clean = [_clean(line) for line in lines]
    quoted = [c.startswith(">") for c in clean]
    labels = [NEW] * n
    # Where the nearest line that can end a quote header is, from each line on.
    ends = [n] * (n + 1)
    for k in range(n - 1, -1, -1):
        c = clean[k]
        ends[k] = k if c and (not quoted[k] or c in _QUOTED_COLONS) and _ends_header(c) else ends[k + 1]
    keys: dict[int, int | None] = {}
    block_budget = _BLOCK_BUDGET
    found = False

    def cut(start: int) -> None:
        for k in range(start, n):
            labels[k] = QUOTE

    i = 0
    while i < n:
        c = clean[i]
        if quoted[i]:
            labels[i] = QUOTE
            found = True
            i += 1
            continue
        if not c:
            i += 1
            continue
        if from_html and c[0] == _CUT:
            cut(i)
            found = True
            break
        if from_html and c[0] == _HDR:
            j = i
            while j + 1 < n and clean[j + 1].startswith(_HDR):
                j += 1
            found = True
            if not _attach_header(clean, quoted, labels, i, j):
                cut(i)
                break
            i = j + 1
            continue
        if _is_original_marker(c):
            cut(i)
            found = True
            break
        if block_budget and _header_key(c) is not None:
            # A budget: a long paste of "Key: value" lines must not cost a scan per line.
            block_budget -= 1
            if _header_block_end(clean, keys, i) >= 0:
                cut(i)
                found = True
                break
        if ends[i] - i <= 3:
            end = _quote_header_end(clean, quoted, i)
            if end >= 0:
                found = True
                if not _attach_header(clean, quoted, labels, i, end):
                    cut(i)
                    break
                i = end + 1
                continue
        if _is_mobile(c):
            labels[i] = SIG
            for k in range(i + 1, n):
                labels[k] = QUOTE if clean[k] else SIG
            found = True
            break
        i += 1

    _lazy_continuations(clean, quoted, labels)
    _mark_signature(lines, clean, labels, sender)
    _trim_before_removed(clean, labels)
    return _assemble(lines, labels, from_html), found


def _attach_header(clean: list[str], quoted: list[bool], labels: list[int], i: int, j: int) -> bool:
    """Header lines i..j: if a ">" block follows, mark both as quoted and return True."""
    k = j + 1
    n = len(clean)
    while k < n and not clean[k]:
        k += 1
    if k >= n or not quoted[k]:
        return False
    for m in range(i, k):
        labels[m] = QUOTE
    return True


def _lazy_continuations(clean: list[str], quoted: list[bool], labels: list[int]) -> None:
    """Wrapped lines that lost their ">" inside a quote block are quoted too."""
    n = len(clean)
    i = 1
    while i < n:
        if labels[i] == NEW and clean[i] and quoted[i - 1] and labels[i - 1] == QUOTE:
            j = i
            while j < n and j < i + 3 and clean[j] and not quoted[j] and labels[j] == NEW:
                j += 1
            sandwiched = j < n and quoted[j]
            prev = clean[i - 1].lstrip("> ")
            wrapped = (
                j == i + 1
                and clean[i][0].islower()
                and len(prev) >= 50
                and prev[-1:] not in ".!?:"
                and (j >= n or not clean[j] or quoted[j])
            )
            if sandwiched or wrapped:
                for k in range(i, j):
                    labels[k] = QUOTE
            i = j
        else:
            i += 1


def _sender_parts(sender: str) -> tuple[str, str]:
    sender = (sender or "").strip()
    m = _EMAIL_RE.search(sender)
    address = m.group(0).casefold() if m else ""
    name = _EMAIL_RE.sub("", sender).strip(" \"'<>()").casefold()
    return name, address


def _mentions_sender(clean: str, name: str, address: str) -> bool:
    low = clean.casefold()
    if address and address in low:
        return True
    if not name:
        return False
    if name in low:
        return True
    first = name.split()[0]
    return len(low.split()) <= 3 and len(first) >= 2 and re.search(rf"(?<!\w){re.escape(first)}(?!\w)", low) is not None


def _is_contact(clean: str) -> bool:
    if _EMAIL_RE.search(clean) or _URL_RE.search(clean):
        return True
    for m in _PHONE_RE.finditer(clean):
        digits = sum(ch.isdigit() for ch in m.group(0))
        if 7 <= digits <= 15 and not _DATE_LIKE_RE.search(m.group(0)):
            return True
    return False


def _is_name_like(clean: str) -> bool:
    if not 3 <= len(clean) <= 40 or any(ch.isdigit() for ch in clean):
        return False
    main = clean.split(",", 1)[0].strip()
    words = main.split()
    if not 2 <= len(words) <= 5:
        return False
    for w in words:
        if w.casefold() in _NAME_PARTICLES:
            continue
        if not (w[0].isupper() and all(ch.isalpha() or ch in ".'’-" for ch in w)):
            return False
    return True


def _is_disclaimer(paragraph: str) -> bool:
    return (
        len(paragraph) >= 100
        and _DISCLAIMER_START_RE.match(paragraph) is not None
        and _DISCLAIMER_WORD_RE.search(paragraph[:600]) is not None
    )


def _mark_signature(lines: list[str], clean: list[str], labels: list[int], sender: str) -> None:
    n = len(lines)
    new = [i for i in range(n) if labels[i] == NEW]
    texts = [i for i in new if clean[i]]
    if not texts:
        return
    name, address = _sender_parts(sender)
    first_text = texts[0]
    start = None
    in_fence = False
    seen = 0  # non-blank new lines so far
    # The "-- " delimiter and disclaimers, top down.
    for i in new:
        c = clean[i]
        if not c:
            continue
        seen += 1
        if c.startswith("```"):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        if c == "--" and lines[i].rstrip() == "--":
            if lines[i].startswith("-- ") or len(texts) - seen <= 25:
                start = i
                break
        if (
            i > first_text
            and (labels[i - 1] != NEW or not clean[i - 1] or _is_separator(clean[i - 1]))
            and _DISCLAIMER_START_RE.match(c)
        ):
            para = []
            k = i
            while k < n and len(para) < 12 and labels[k] == NEW and clean[k]:
                para.append(clean[k])
                k += 1
            if _is_disclaimer(" ".join(para)):
                start = i
                break
    if start is not None:
        texts = [i for i in texts if i < start]
    tail = _signature_tail(clean, labels, texts, name, address)
    if tail is not None:
        start = tail
    if start is None:
        return
    for i in new:
        if i >= start:
            labels[i] = SIG


def _signature_tail(clean: list[str], labels: list[int], texts: list[int], name: str, address: str) -> int | None:
    """Where a sign-off or contact block at the end of the new text (its non-blank lines `texts`) starts."""
    if len(texts) < 2:
        return None
    # The trailing lines short enough to be a signature, as positions in `texts`.
    first = len(texts)
    while first > 1 and len(texts) - first <= _MAX_SIGNATURE_LINES + 1:
        c = clean[texts[first - 1]]
        if len(c) > _SHORT and not (" " not in c and (_URL_RE.match(c) or _EMAIL_RE.fullmatch(c))):
            break
        first -= 1
    for pos in range(max(first, 1), len(texts)):
        i = texts[pos]
        rest = texts[pos:]
        if len(rest) > _MAX_SIGNATURE_LINES:
            continue
        if clean[texts[pos - 1]].endswith((":", "：")):
            continue  # "my details are:" introduces what follows
        c = clean[i]
        after = rest[1:]
        if _SIGN_OFF_RE.match(c):
            if 2 <= len(after) <= 10 or (after and _mentions_sender(clean[after[0]], name, address)):
                return i
            continue
        contacts = sum(1 for k in rest if _is_contact(clean[k]))
        if _is_separator(c):
            if after and (
                contacts >= 2 or (contacts >= 1 and any(_LIST_FOOTER_RE.search(clean[k]) for k in after))
            ):
                return i
            continue
        if labels[i - 1] == NEW and clean[i - 1]:
            continue  # not the start of a paragraph
        if _is_name_like(c) and (contacts >= 2 or _mentions_sender(c, name, address)):
            return i
        if contacts >= 2 and (name or address):
            paragraph = [i]
            for k in after:
                if k != paragraph[-1] + 1:
                    break
                paragraph.append(k)
            if any(_mentions_sender(clean[k], name, address) for k in paragraph):
                return i
    return None


def _trim_before_removed(clean: list[str], labels: list[int]) -> None:
    """Blank and separator lines ("_____", "-----Original" rulers) just above removed text go with it."""
    n = len(labels)
    for i in range(1, n):
        if labels[i] != NEW and labels[i - 1] == NEW:
            k = i - 1
            while k >= 0 and labels[k] == NEW and (not clean[k] or _is_separator(clean[k])):
                labels[k] = labels[i]
                k -= 1


def _assemble(lines: list[str], labels: list[int], from_html: bool) -> ReplyParts:
    def build(selected: list[str]) -> str:
        text = "\n".join(selected)
        if from_html:
            text = text.replace(_HDR, "").replace(_CUT, "")
        text = _BLANK_RUNS_RE.sub("\n\n", _TRAILING_SPACE_RE.sub("", text)).strip("\n")
        while text:
            head, _, last = text.rpartition("\n")
            if last.strip() and not _is_separator(_clean(last)):
                break
            text = head.rstrip("\n")
        return text

    pairs = list(zip(lines, labels, strict=True))
    return ReplyParts(
        reply=build([line for line, label in pairs if label == NEW]),
        signature=build([line for line, label in pairs if label == SIG]),
        quoted=build([line for line, label in pairs if label == QUOTE]),
        body=build([line for line, label in pairs if label != QUOTE]),
    )


def _align_with_html(text: str, html: str, sender: str) -> ReplyParts | None:
    """The text shows no quote: if the HTML marks one and its new text starts the text, cut the text there."""
    hparts, found = _split_text(html_to_text(html, marks=True), sender=sender, from_html=True)
    if not found or not hparts.body.strip():
        return None
    words = hparts.body.split()
    if text.split()[: len(words) + 1] != words + text.split()[len(words) : len(words) + 1] or len(
        text.split()
    ) <= len(words):
        return None
    # Cut the text after the line holding the last word of the HTML's new text.
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    count = 0
    for idx, line in enumerate(lines):
        count += len(line.split())
        if count >= len(words):
            if count > len(words):
                return None  # the HTML's cut falls inside a line of the text: not the same message
            head, tail = "\n".join(lines[: idx + 1]), "\n".join(lines[idx + 1 :])
            cut = _split_text(head, sender=sender, from_html=False)[0]
            quoted = "\n".join(x for x in (cut.quoted, tail.strip()) if x)
            return ReplyParts(cut.reply, cut.signature, quoted, cut.body)
    return None


# ---------------------------------------------------------------------------------------------------------
# HTML to text

_SKIP_TAGS = frozenset(
    {"script", "style", "head", "title", "noscript", "template", "svg", "object", "-comment", "iframe"}
)
_BLOCK_TAGS = frozenset(
    "address article aside center dd details dialog div dl dt fieldset figcaption figure footer form h1 h2 h3 "
    "h4 h5 h6 header hgroup legend main nav ol pre section summary table tbody tfoot thead tr ul li "
    "blockquote p caption body html".split()
)
_PARA_TAGS = frozenset("p h1 h2 h3 h4 h5 h6 table ul ol pre blockquote".split())
# Containers that start the quoted history: what follows them is the previous message.
_CUT_IDS = re.compile(
    r"^(?:x_)?(?:divRplyFwdMsg|OLK_SRC_BODY_SECTION|appendonsend|stopSpelling|mail-editor-reference-message-container"
    r"|OutlookMessageHeader|yahoo_quoted\w*|ydp\w*yahoo_quoted\w*|zmail_extra|protonmail_quote)$",
    re.IGNORECASE,
)
_CUT_CLASSES = frozenset(
    {"outlookmessageheader", "yahoo_quoted", "zmail_extra", "protonmail_quote", "x_outlookmessageheader"}
)
_HEADER_CLASSES = frozenset({"moz-cite-prefix", "gmail_attr", "x_gmail_attr", "x_moz-cite-prefix"})
_MSO_CLASSES = frozenset({"msonormal", "x_msonormal"})
_WS_RE = re.compile(r"[ \t\n\r\f\v\xa0\u200b]+")
_RULE = "________________________________"


class _Lines:
    """Text lines built while walking the tree: quote depth, header mark, blank-line rules."""

    def __init__(self, marks: bool) -> None:
        self.marks = marks
        self.lines: list[str] = []
        self.current: list[str] = []
        self.quote = 0
        self.header = 0
        self.pre = 0

    def prefix(self) -> str:
        return (_HDR if self.header and self.marks else "") + ("> " * self.quote)

    def flush(self) -> None:
        if not self.current:
            return
        line = "".join(self.current)
        self.current = []
        if self.pre:
            for part in line.split("\n"):
                self.lines.append(self.prefix() + part.rstrip())
            return
        line = _WS_RE.sub(" ", line).strip()
        if line:
            self.lines.append(self.prefix() + line)

    def blank(self) -> None:
        self.flush()
        mark = ">" if self.quote else ""
        if self.lines and self.lines[-1] != mark and self.lines[-1].strip():
            self.lines.append(mark)

    def br(self) -> None:
        if "".join(self.current).strip():
            self.flush()
        else:
            self.current = []
            self.lines.append((_HDR if self.header and self.marks else "") + (">" if self.quote else ""))


def _is_quote_block(attrs: dict[str, str | None], classes: set[str]) -> bool:
    if (attrs.get("type") or "").lower() == "cite" or any("quote" in c for c in classes):
        return True
    style = (attrs.get("style") or "").replace(" ", "").lower()
    # Gmail's "indent" is a blockquote without a border: that is layout, not a quote.
    return not ("border:none" in style and "margin" in style)


def html_to_text(html: str, *, marks: bool = False) -> str:
    """Readable text of an HTML mail: blocks on their own lines, blockquotes as "> " lines.

    With `marks`, the quoted-history containers of the common clients (Outlook's divRplyFwdMsg, Yahoo's
    yahoo_quoted, Hotmail's stopSpelling rule, ...) end the text with an internal cut mark, and header
    containers (Gmail's gmail_attr, Thunderbird's moz-cite-prefix) are marked as header lines.
    """
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html)
    root = tree.root
    out = _Lines(marks)
    if root is not None:
        _walk(root, out)
    out.flush()
    lines: list[str] = []
    for line in out.lines:
        if not line.replace(_HDR, "").strip(" >") and lines and lines[-1] == line:
            continue
        lines.append(line.rstrip())
    while lines and not lines[0].replace(_HDR, "").strip():
        lines.pop(0)
    while lines and not lines[-1].replace(_HDR, "").strip():
        lines.pop()
    return "\n".join(lines)


def _walk(root: object, out: _Lines) -> None:
    # An explicit stack: (node, leaving, quote, header, pre) so that deep nesting cannot overflow.
    stack: list[tuple] = [(root, False, 0, 0, 0)]
    while stack:
        node, leaving, quote, header, pre = stack.pop()
        tag = node.tag
        if leaving:
            if tag in _BLOCK_TAGS or quote or header:
                out.flush()
            out.quote -= quote
            out.header -= header
            out.pre -= pre
            if tag in _PARA_TAGS:
                out.blank()
            elif tag in ("td", "th"):
                out.current.append(" ")
            continue
        if tag == "-text":
            out.current.append(node.text_content or "")
            continue
        if tag in _SKIP_TAGS or tag.startswith("-"):
            continue
        attrs = node.attributes
        ident = attrs.get("id") or ""
        classes = {c.lower() for c in (attrs.get("class") or "").split()}
        if out.marks and ((ident and _CUT_IDS.match(ident)) or (classes & _CUT_CLASSES)):
            out.flush()
            out.lines.append(_CUT)
            return
        if tag == "br":
            out.br()
            continue
        if tag == "hr":
            out.flush()
            out.lines.append(out.prefix() + _RULE)
            continue
        if tag == "img":
            continue
        quote = 1 if tag == "blockquote" and _is_quote_block(attrs, classes) else 0
        header = 1 if classes & _HEADER_CLASSES else 0
        pre = 1 if tag == "pre" else 0
        if tag in _PARA_TAGS and not (classes & _MSO_CLASSES):
            out.blank()
        elif tag in _BLOCK_TAGS or quote or header:
            out.flush()
        elif tag in ("td", "th"):
            out.current.append(" ")
        out.quote += quote
        out.header += header
        out.pre += pre
        stack.append((node, True, quote, header, pre))
        children = []
        child = node.first_child
        while child is not None:
            children.append(child)
            child = child.next
        stack.extend((c, False, 0, 0, 0) for c in reversed(children))
