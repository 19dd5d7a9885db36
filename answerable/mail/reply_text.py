# ruff: noqa: RUF001  (patterns in many scripts: Cyrillic, Greek, CJK letters are meant)
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
from bisect import bisect_left
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

__all__ = ["ReplyParts", "extract_reply", "html_to_text", "split_reply"]

NEW, SIG, QUOTE = 0, 1, 2

# Marks that only the HTML conversion writes: a line that starts the quoted history, and a header line.
_CUT = "\ue000"
_HDR = "\ue001"

_INVISIBLE = dict.fromkeys(
    map(
        ord,
        "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
    )
)
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
_VERB_WORDS = frozenset({
    "wrote", "writes", "schrieb", "geschrieben", "escribió", "escribio", "escreveu", "escreve", "scrisse",
    "schreef", "geschreven", "skrev", "skriver", "napisał(a)", "napisała", "napisał", "napisal", "pisze",
    "kirjoitti", "написал(а)", "написала", "написал", "пишет", "написав", "napsal(a)", "napsala", "napsal",
    "yazdı", "írta", "έγραψε", "כתב", "كتب",
})  # fmt: skip
_VERB_PAIRS = frozenset({"has written", "a écrit", "a ecrit", "ha escrito", "ha scritto", "a scris"})
_VERB_SUFFIXES = frozenset(v[-3:] for v in _VERB_WORDS | _VERB_PAIRS)
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
    "przekazana wiadomość", "пересылаемое сообщение", "mensagem encaminhada", "转发的邮件",
    "転送されたメッセージ", "reply message", "replied message",
}  # fmt: skip
_MARKER_STRIP = " \t-_=*~—–:<>[]()"
_MARKER_FIRST = frozenset(m[0] for m in _ORIGINAL_MARKERS)

_MOBILE_RE = re.compile(
    r"^(?:sent from (?:my |the |a |an )?|sent with |sent via |sent using |get outlook for |"
    r"envoyé (?:de|depuis|à partir de|avec) (?:mon |ma )?|gesendet (?:von|mit|vom) (?:meinem |meiner )?|"
    r"von meinem .{1,40} gesendet|enviado (?:desde|de|do|com) (?:mi |meu |o |a )?|"
    r"inviato (?:da|dal mio|con) |verzonden (?:vanaf|met|van) (?:mijn )?|verstuurd (?:vanaf|met) (?:mijn )?|"
    r"skickat från (?:min |mitt )?|sendt fra (?:min |mit )?|lähetetty .{1,30}(?:laitteesta|puhelimesta)|"
    r"wysłane z (?:mojego |mojej )?|отправлено (?:с|из) |надіслано з |"
    r"发自我的|寄自我的|从我的|.{1,24}から送信)",
    re.IGNORECASE,
)
_MOBILE_FIRST = frozenset({
    "sent", "get", "envoyé", "gesendet", "von", "enviado", "inviato", "verzonden", "verstuurd", "skickat",
    "sendt", "lähetetty", "wysłane", "отправлено", "надіслано",
})  # fmt: skip
# "Sent from ..." is a footer when it names the writer's device or app ("my", "meinem", "iPhone"...);
# "Sent via DHL on Monday" is not.
_MOBILE_OWNER_RE = re.compile(
    r"(?<!\w)(?:my|meinem|meiner|mon|ma|mi|meu|mio|mijn|min|mitt|mit|mojego|mojej|моего|моей)(?!\w)"
    r"|我的|から送信",
    re.IGNORECASE,
)
_DEVICE_RE = re.compile(
    r"iphone|ipad|android|\bios\b|blackberry|samsung|galaxy|huawei|xiaomi|pixel|nokia|motorola|wiko|"
    r"mobil|móvil|cellular|celular|cellulare|smartphone|phone|tablet|handy|outlook|yahoo|\baol\b|gmail|"
    r"mail for windows|typeapp|sparrow|spark|edison|bluemail|protonmail|airmail|newton|superhuman",
    re.IGNORECASE,
)
_BRACKETED_RE = re.compile(r"<[^<>]*>|\([^()]*\)|\[[^\[\]]*\]")

# ---------------------------------------------------------------------------------------------------------
# Signatures

_SEPARATOR_STRIP = "-_=*~—–─━#•· "
_SEPARATOR_CHARS = frozenset(_SEPARATOR_STRIP.strip())
_TRAILING_JUNK = _SEPARATOR_STRIP + "\t\xa0\u200b\u3000\ufeff"
_SIGN_OFF_RE = re.compile(
    r"^(?:(?:best|kind|kindest|warm|warmest|many|with|all the|my) ?(?:regards|wishes|thanks|best)"
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
    r"terveisin|kiitos|с уважением|спасибо|よろしくお願いします|よろしくお願いいたします|"
    r"谢谢|此致|감사합니다)"
    r"[\s,.!;:\-–—]*[^\w\s]{0,3}\s*$",
    re.IGNORECASE,
)
_EMAIL_RE = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_URL_RE = re.compile(r"https?://|www\.\w", re.IGNORECASE)
_PHONE_RE = re.compile(r"(?<![\w/:.-])\+?\(?\d[\d ().-]{5,22}\d(?![\w/:-])")
_DATE_LIKE_RE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}")
_REFERENCE_RE = re.compile(
    r"(?:\b(?:order|account|invoice|ticket|booking|case|contract|customer|reference|ref|bestellung|"
    r"rechnung|kunden(?:nummer)?|commande|facture|pedido|factura|ordine|fattura|bestelling|factuur)\b|#)"
    r"\s*(?:n[or]\.?|nr\.?|number|nummer|numéro|número|id)?\s*[:#.]?\s*[A-Z]{0,4}-?\d{3,}",
    re.IGNORECASE,
)
_NAME_PARTICLES = frozenset({
    "van", "von", "de", "der", "den", "da", "di", "du", "la", "le", "del", "dos", "das", "y", "e", "bin",
    "al",
})  # fmt: skip
_LIST_FOOTER_RE = re.compile(
    r"mailing list|unsubscribe|listinfo|abmelden|désinscri|darse de baja", re.IGNORECASE
)

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


_MAX_EXAMINED = 200_000  # characters


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
    # The new text of a reply is at its top: only the first part of a huge message is examined, so the cost
    # stays bounded (the whole message is still stored and shown behind "…").
    text = (text or "")[:_MAX_EXAMINED]
    html = (html or "")[: _MAX_EXAMINED * 4]
    if text.strip():
        parts, found = _split_text(text, sender=sender, from_html=False)
        if not found and html and _has_quote_markup(html):
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
    return len(clean) >= 2 and clean[0] in _SEPARATOR_CHARS and not clean.strip(_SEPARATOR_STRIP)


def _is_original_marker(clean: str) -> bool:
    if len(clean) > 80 or clean.count(" ") > 12:
        return False
    if clean[0] not in _MARKER_STRIP and clean[0].lower() not in _MARKER_FIRST:
        return False
    return clean.strip(_MARKER_STRIP).casefold() in _ORIGINAL_MARKERS


def _is_mobile(clean: str) -> bool:
    if len(clean) > 100:
        return False
    first_word = clean[:12].split(" ", 1)[0].casefold()
    if (
        first_word not in _MOBILE_FIRST
        and not clean.startswith(("发自", "寄自", "从我的"))
        and "から送信" not in clean
    ):
        return False
    if not _MOBILE_RE.match(clean):
        return False
    core = _BRACKETED_RE.sub("", clean).strip()
    if core.endswith("."):
        core = core[:-1]
    if any(ch in core for ch in ",;!?") or len(core) > 70 or len(core.split()) > 9:
        return False
    return _MOBILE_OWNER_RE.search(clean) is not None or _DEVICE_RE.search(clean) is not None


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
    if len(classes) >= 3 and ({_FROM, _DATE} & classes) and (evidence or _SUBJECT in classes):
        return j
    if (
        {_FROM, _SUBJECT} <= classes
        or {_DATE, _SUBJECT} <= classes
        or ({_FROM, _DATE} <= classes and evidence)
    ):
        return j
    return -1


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
    if last in " \t-*_":
        clean = clean[-80:].rstrip(" \t-*_")
        if not clean:
            return False
        last = clean[-1]
    if last in ":：":
        return True
    if last in "道た성":
        return clean.endswith(_CJK_VERB_ENDS)
    if clean[-3:].casefold() not in _VERB_SUFFIXES:
        return False
    words = clean[-60:].casefold().rsplit(None, 2)
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
        if (
            j > i
            and _OPENER_RE.match(c)
            and (not opener or not (c[0].isdigit() or _WEEKDAY_START_RE.match(c)))
        ):
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
    clean = [line.strip() if line.isascii() else _clean(line) for line in lines]
    quoted = [c[:1] == ">" for c in clean]
    labels = [NEW] * n
    # Where the nearest line that can end a quote header is, from each line on.
    ends = [n] * (n + 1)
    nearest = n
    for k in range(n - 1, -1, -1):
        c = clean[k]
        if c and (not quoted[k] or c in _QUOTED_COLONS) and _ends_header(c):
            nearest = k
        ends[k] = nearest
    keys: dict[int, int | None] = {}
    block_budget = _BLOCK_BUDGET
    found = False

    def cut(start: int) -> None:
        for k in range(start, n):
            labels[k] = QUOTE

    i = 0
    while i < n:
        c = clean[i]
        if not c:
            i += 1
            continue
        if quoted[i]:
            labels[i] = QUOTE
            found = True
            i += 1
            continue
        c0 = c[0].lower()
        if c0 in _SEPARATOR_CHARS and not c.strip(_SEPARATOR_STRIP):
            i += 1  # a ruler: nothing to match
            continue
        if from_html and c0 == _CUT:
            cut(i)
            found = True
            break
        if from_html and c0 == _HDR:
            j = i
            while j + 1 < n and clean[j + 1].startswith(_HDR):
                j += 1
            found = True
            if not _attach_header(clean, quoted, labels, i, j):
                cut(i)
                break
            i = j + 1
            continue
        if (c0 in _MARKER_STRIP or c0 in _MARKER_FIRST) and _is_original_marker(c):
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
    _trim_before_removed(clean, labels)  # rulers above a quote are not part of a signature
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
    return (
        len(low.split()) <= 3
        and len(first) >= 2
        and re.search(rf"(?<!\w){re.escape(first)}(?!\w)", low) is not None
    )


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
    texts = [i for i in range(n) if labels[i] == NEW and clean[i]]
    if not texts:
        return
    name, address = _sender_parts(sender)
    first_text = texts[0]
    # Lines inside ``` fences are code: no signature starts there.
    fenced: set[int] = set()
    fence_marks = [i for i in texts if clean[i].startswith("```")]
    for a, b in zip(fence_marks[::2], [*fence_marks[1::2], n], strict=False):
        fenced.update(range(a, b + 1))
    # The "-- " delimiter (without the space: only for a short tail), then disclaimers, top down.
    dashes = [i for i in texts if clean[i] == "--" and i not in fenced and lines[i].rstrip() == "--"]
    near_end = texts[max(0, len(texts) - 26)]
    start = next((i for i in dashes if i >= near_end or lines[i].startswith("-- ")), None)
    disclaimers = (
        i
        for i in texts
        if first_text < i < (start if start is not None else n)
        and (labels[i - 1] != NEW or not clean[i - 1] or _is_separator(clean[i - 1]))
        and _DISCLAIMER_START_RE.match(clean[i])
        and i not in fenced
    )
    for i in disclaimers:
        para = []
        k = i
        while k < n and len(para) < 12 and labels[k] == NEW and clean[k]:
            para.append(clean[k])
            k += 1
        if _is_disclaimer(" ".join(para)):
            start = i
            break
    if start is not None:
        texts = texts[: bisect_left(texts, start)]
    tail = _signature_tail(clean, labels, texts, name, address)
    if tail is not None:
        start = tail
    if start is None:
        return
    for i in range(start, n):
        if labels[i] == NEW:
            labels[i] = SIG


def _signature_tail(
    clean: list[str], labels: list[int], texts: list[int], name: str, address: str
) -> int | None:
    """Where a sign-off or contact block at the end of the new text (its non-blank lines `texts`) starts."""
    if len(texts) < 2:
        return None
    # The trailing lines short enough to be a signature; the first line of the reply always stays.
    first = len(texts)
    while first > 1 and len(texts) - first <= _MAX_SIGNATURE_LINES:
        c = clean[texts[first - 1]]
        if len(c) > _SHORT and not (" " not in c and (_URL_RE.match(c) or _EMAIL_RE.fullmatch(c))):
            break
        first -= 1
    tail = texts[first:]
    contacts_from = [0] * (len(tail) + 1)  # contact lines from each position to the end
    references_from = [False] * (len(tail) + 1)  # a line from there to the end names an order, a ticket...
    for p in range(len(tail) - 1, -1, -1):
        contacts_from[p] = contacts_from[p + 1] + _is_contact(clean[tail[p]])
        references_from[p] = references_from[p + 1] or _REFERENCE_RE.search(clean[tail[p]]) is not None
    for p, i in enumerate(tail):
        if len(tail) - p > _MAX_SIGNATURE_LINES:
            continue
        if clean[texts[first + p - 1]].endswith((":", "：")):
            continue  # "my details are:" introduces what follows
        c = clean[i]
        after = tail[p + 1 :]
        contacts = contacts_from[p]
        if references_from[p]:
            continue  # "Order #4711" under the name: the customer's data, not a signature
        if _SIGN_OFF_RE.match(c):
            if 2 <= len(after) <= 10 or (after and _mentions_sender(clean[after[0]], name, address)):
                return i
            continue
        if _is_separator(c):
            footer = contacts >= 1 and any(_LIST_FOOTER_RE.search(clean[k]) for k in after)
            if after and (contacts >= 2 or footer):
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
    def build(selected: list[str], lead: bool = True) -> str:
        out: list[str] = []
        for line in selected:
            line = line.rstrip()
            if line:
                out.append(line)
            elif out and out[-1]:
                out.append("")  # one blank line where there were several
        while out and not out[-1].strip(_TRAILING_JUNK):
            out.pop()  # blank lines and rulers at the end
        first = 0
        while lead and first < len(out) and not out[first].strip(_TRAILING_JUNK):
            first += 1  # and at the start of the text (a signature keeps its ruler)
        text = "\n".join(out[first:])
        return text.replace(_HDR, "").replace(_CUT, "") if from_html else text

    parts: tuple[list[str], list[str], list[str]] = ([], [], [])
    body = []
    for line, label in zip(lines, labels, strict=True):
        parts[label].append(line)
        if label != QUOTE:
            body.append(line)
    return ReplyParts(
        reply=build(parts[NEW]),
        signature=build(parts[SIG], lead=False),
        quoted=build(parts[QUOTE], lead=False),
        body=build(body),
    )


def _has_quote_markup(html: str) -> bool:
    low = html.lower()
    return any(hint in low for hint in _QUOTE_MARKUP_HINTS)


def _align_with_html(text: str, html: str, sender: str) -> ReplyParts | None:
    """The text shows no quote: if the HTML marks one and its new text starts the text, cut the text there."""
    hparts, found = _split_text(html_to_text(html, marks=True), sender=sender, from_html=True)
    words = hparts.body.split()
    text_words = text.split()
    if not found or not words or len(text_words) <= len(words) or text_words[: len(words)] != words:
        return None
    # Cut the text under the line holding the last word of the HTML's new text.
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
    {"script", "style", "head", "title", "noscript", "template", "svg", "object", "iframe"}
)
_BLOCK_TAGS = frozenset({
    "address", "article", "aside", "center", "dd", "details", "dialog", "div", "dl", "dt", "fieldset",
    "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup",
    "legend", "main", "nav", "ol", "pre", "section", "summary", "table", "tbody", "tfoot", "thead", "tr",
    "ul", "li", "blockquote", "p", "caption", "body", "html",
})  # fmt: skip
_PARA_TAGS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "pre", "blockquote"})
# Containers that start the quoted history: what follows them is the previous message.
_CUT_IDS = re.compile(
    r"^(?:x_)?(?:divRplyFwdMsg|OLK_SRC_BODY_SECTION|appendonsend|stopSpelling|mail-editor-reference-message-container"
    r"|OutlookMessageHeader|yahoo_quoted\w*|ydp\w*yahoo_quoted\w*|zmail_extra|protonmail_quote)$",
    re.IGNORECASE,
)
_CUT_CLASSES = frozenset(
    {"outlookmessageheader", "yahoo_quoted", "zmail_extra", "protonmail_quote", "x_outlookmessageheader"}
)
# Markup that shows a quote in the HTML part (checked before converting it at all).
_QUOTE_MARKUP_HINTS = (
    "<blockquote", "gmail_quote", "gmail_attr", "divrplyfwdmsg", "olk_src_body_section", "appendonsend",
    "stopspelling", "mail-editor-reference-message-container", "outlookmessageheader", "yahoo_quoted",
    "zmail_extra", "protonmail_quote", "moz-cite-prefix",
)  # fmt: skip
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
        # A header inside a quote is quoted text like the rest of it.
        return (_HDR if self.header and self.marks and not self.quote else "") + ("> " * self.quote)

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
            self.lines.append(self.prefix().rstrip())


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


def _walk(root: LexborNode, out: _Lines) -> None:
    # An explicit stack of (node, leaving, quote, header, pre, lines at entry): deep nesting cannot overflow
    # it. Outlook writes each line as <p class=MsoNormal> and a blank line as an empty one.
    stack: list[tuple[LexborNode, bool, int, int, int, int]] = [(root, False, 0, 0, 0, -1)]
    while stack:
        node, leaving, quote, header, pre, entry = stack.pop()
        tag = node.tag
        if leaving:
            if tag in _BLOCK_TAGS or quote or header:
                out.flush()
            out.quote -= quote
            out.header -= header
            out.pre -= pre
            if (tag in _PARA_TAGS and entry < 0) or entry == len(out.lines):
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
        if out.marks and not out.quote and ((ident and _CUT_IDS.match(ident)) or (classes & _CUT_CLASSES)):
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
        entry = -1
        if tag in _PARA_TAGS and not (classes & _MSO_CLASSES):
            out.blank()
        elif tag in _BLOCK_TAGS or quote or header:
            out.flush()
            if tag == "p":
                entry = len(out.lines)
        elif tag in ("td", "th"):
            out.current.append(" ")
        out.quote += quote
        out.header += header
        out.pre += pre
        stack.append((node, True, quote, header, pre, entry))
        children = []
        child = node.first_child
        while child is not None:
            children.append(child)
            child = child.next
        stack.extend((c, False, 0, 0, 0, -1) for c in reversed(children))
