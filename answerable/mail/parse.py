"""Raw bytes to a ParsedMail: headers, text, HTML, attachments, loop and bounce signals. Never raises.

Whatever cannot be read cleanly is recorded in `problems`, and the caller stores the raw bytes anyway.

The parse uses the standard library's `compat32` policy, which keeps headers as plain strings, and decodes
them here: RFC 2047 encoded words, raw 8-bit bytes, charsets by name. That is about four times faster than
`policy.default`, whose header objects are built again on every access, and it lets every decoding step
fall back instead of failing (docs/decisions/0004-mail-parsing.md has the figures).

Charsets: a declared charset is decoded with its common superset (ISO-8859-1 as windows-1252, GB2312 as
GB18030, as browsers do). Undeclared 8-bit text, unknown charset names and text that is not valid in its
declared charset are read as UTF-8 when they are valid UTF-8, else detected (charset-normalizer); UTF-8
declared as a single-byte charset, and UTF-8 decoded twice (mojibake), are repaired. Each of these is
recorded as a problem saying what was done.
"""

import binascii
import codecs
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.html import strip_tags

from answerable.mail.reply_text import html_to_text
from answerable.tickets.services import IncomingFile

_MSGID = re.compile(r"<[^<>\s]+>")
_PARSER = BytesParser(policy=policy.compat32)


@dataclass
class ParsedMail:
    message_id: str | None = None
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    subject: str = ""
    date: datetime | None = None  # the Date header, aware; None when missing or unreadable
    from_name: str = ""
    from_address: str = ""  # the first usable address among From, Reply-To, Sender, Return-Path; "" if none
    recipients: list[str] = field(default_factory=list)  # To, Cc, Delivered-To, X-Original-To
    text: str = ""  # the whole plain text (HTML converted when there is no text part)
    html: str = ""  # the HTML part as sent (not sanitised)
    attachments: list[IncomingFile] = field(default_factory=list)
    # Loop and noise signals (RFC 3834)
    auto_submitted: str = ""
    precedence: str = ""
    list_id: str = ""
    return_path: str | None = None  # None: no header; "": the null sender <>
    # Delivery status notifications
    is_bounce: bool = False
    bounced_message_id: str | None = None
    bounce_reason: str = ""
    problems: list[str] = field(default_factory=list)


def parse(raw: bytes) -> ParsedMail:
    out = ParsedMail()
    try:
        msg = _PARSER.parsebytes(raw)
    except Exception as exc:  # the parser itself failing is rare but must not stop ingestion
        out.problems.append(f"unparseable: {exc.__class__.__name__}")
        out.text = _no_nul(raw.decode("utf-8", errors="replace"), "text", out)
        return out
    try:
        _read(msg, raw, out)
    except Exception as exc:  # a bug or a case nobody foresaw: keep what was read, flag it, go on
        out.problems.append(f"unreadable: {exc.__class__.__name__}")
        if not out.text:
            out.text = _no_nul(raw.decode("utf-8", errors="replace"), "text", out)
    return out


def _read(msg: Message, raw: bytes, out: ParsedMail) -> None:
    headers = _Headers(msg, out)
    out.message_id = _first_id(headers.text("message-id"))
    out.in_reply_to = _MSGID.findall(headers.text("in-reply-to"))
    out.references = _MSGID.findall(headers.text("references"))
    out.subject = _SPACE_RUN.sub(" ", headers.text("subject")).strip()
    out.date = _date(headers.text("date"))
    out.from_name, out.from_address = _sender(headers, out)
    out.recipients = _recipients(headers)
    out.auto_submitted = headers.text("auto-submitted").strip().lower()
    out.precedence = headers.text("precedence").strip().lower()
    out.list_id = headers.text("list-id").strip()
    if headers.has("return-path"):
        out.return_path = parseaddr(headers.text("return-path"))[1]
    _repair_structure(msg, out)
    bodies = _body(msg, out)
    out.attachments = _attachments(msg, bodies, out)
    if not out.text and not out.attachments:
        out.problems.append("body: no text found")
    _bounce(msg, raw, out)


# ---------------------------------------------------------------------------------------------------------
# Headers

_FOLD = re.compile(r"\r?\n(?=[ \t])")
_SPACE_RUN = re.compile(r"[ \t\r\n]+")
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([qQbB])\?([^?\s]*)\?=")


class _Headers:
    """The message's headers as raw strings (one pass over them), decoded to text on request."""

    def __init__(self, msg: Message, out: ParsedMail) -> None:
        self.msg = msg
        self.out = out
        self.raw: dict[str, list[str]] = {}
        for name, value in msg.raw_items():
            self.raw.setdefault(name.lower(), []).append(value if isinstance(value, str) else str(value))
        self._hint: str | None = None
        self._hint_read = False

    def has(self, name: str) -> bool:
        return name in self.raw

    def text(self, name: str) -> str:
        values = self.raw.get(name)
        return self.decode(values[0], name) if values else ""

    def raw_all(self, name: str) -> list[str]:
        """Unfolded values with raw 8-bit bytes decoded, encoded words left as they are."""
        values = [_FOLD.sub("", v) for v in self.raw.get(name, ())]
        return [
            v if v.isascii() else _raw_header_text(v, f"header {name}", self.out, self.hint) for v in values
        ]

    def decode(self, value: str, name: str) -> str:
        value = _FOLD.sub("", value)
        if value.isascii() and "=?" not in value:
            return _no_nul(value, f"header {name}", self.out)
        return _no_nul(decode_words(value, f"header {name}", self.out, self.hint), f"header {name}", self.out)

    def hint(self) -> str | None:
        """The first declared charset of the message other than ASCII and UTF-8: raw 8-bit headers are
        usually in the charset of the body."""
        if not self._hint_read:
            self._hint_read = True
            for part in self.msg.walk():
                codec = _codec(part.get_content_charset())
                if codec and codec not in ("ascii", "utf-8"):
                    self._hint = codec
                    break
        return self._hint


Hint = Callable[[], str | None] | str | None  # a charset for raw 8-bit bytes, or how to find one


def decode_words(value: str, where: str, out: ParsedMail, hint: Hint = None) -> str:
    """A header value to text: RFC 2047 encoded words (adjacent words in one charset joined before
    decoding, the space between encoded words dropped) and raw 8-bit bytes (surrogate-escaped by the
    parser), each with the same fallbacks as body text."""
    pieces: list[str] = []
    run: list[bytes] = []
    run_charset = ""
    position = 0
    last_was_word = False

    def flush() -> None:
        nonlocal run, run_charset
        if run:
            pieces.append(decode_text(b"".join(run), run_charset, where, out))
            run, run_charset = [], ""

    for match in _ENCODED_WORD.finditer(value):
        between = value[position : match.start()]
        if between and not (last_was_word and between.isspace()):
            flush()
            pieces.append(_raw_header_text(between, where, out, hint))
        charset = match.group(1).split("*", 1)[0]  # RFC 2231 language suffix
        data = _word_bytes(match.group(2), match.group(3), where, out)
        if run and charset.lower() != run_charset.lower():
            flush()
        run.append(data)
        run_charset = charset
        position = match.end()
        last_was_word = True
    flush()
    pieces.append(_raw_header_text(value[position:], where, out, hint))
    return _no_nul("".join(pieces), where, out)


def _word_bytes(encoding: str, text: str, where: str, out: ParsedMail) -> bytes:
    try:
        if encoding in "bB":
            return binascii.a2b_base64(text + "=" * (-len(text) % 4))
        return binascii.a2b_qp(text.replace("_", " "), header=False)
    except (binascii.Error, ValueError):
        out.problems.append(f"{where}: a broken encoded word kept as written")
        return text.encode("ascii", "replace")


def _raw_header_text(text: str, where: str, out: ParsedMail, hint: Hint) -> str:
    if text.isascii():
        return text
    # Raw 8-bit bytes in a header: the parser kept them as surrogates.
    data = text.encode("ascii", "surrogateescape") if _has_surrogates(text) else None
    if data is None:
        return text
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    guess = hint() if callable(hint) else hint
    return decode_text(data, guess, where, out, reason="raw 8-bit bytes", undeclared=True)


def _has_surrogates(text: str) -> bool:
    return any("\udc80" <= c <= "\udcff" for c in text)


def _date(value: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None or parsed.tzinfo is None:
        return None
    return parsed


def _first_id(value: str) -> str | None:
    found = _MSGID.findall(value)
    return found[0] if found else (value.strip() or None)


def _valid(address: str) -> bool:
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


_BARE_ADDRESS = re.compile(r"[^\s<>,;:\"()\[\]]+@[^\s<>,;:\"()\[\]]+")


def _sender(headers: _Headers, out: ParsedMail) -> tuple[str, str]:
    for name in ("from", "reply-to", "sender", "return-path"):
        for value in headers.raw_all(name)[:1]:
            # Split the address first and decode the display name after: a decoded name may hold a comma.
            display, address = _address(name, value)
            if address:
                if "=?" in display or not display.isascii():
                    display = decode_words(display, f"header {name}", out, headers.hint)
                return display.strip(), address
    out.problems.append("no usable sender address")
    return "", ""


def _address(name: str, value: str) -> tuple[str, str]:
    """The first usable (display name, address) of an address header, tolerating the usual breakage."""
    display, address = parseaddr(value)
    if address and "(" in value:  # comments: the full RFC 5322 parser knows where they end
        try:
            found = policy.default.header_factory(name, value).addresses
        except Exception:  # noqa: S110 (parseaddr's answer stands)
            pass
        else:
            if found:
                display, address = found[0].display_name, found[0].addr_spec
    if address and _valid(address):
        return display, address
    try:
        pairs = getaddresses([value])
    except Exception:
        pairs = []
    for display, address in pairs:
        if address and _valid(address):
            return display, address
    for address in _BARE_ADDRESS.findall(value):  # "a@x b@y", an address lost in noise
        if _valid(address):
            return "", address
    return "", ""


def _recipients(headers: _Headers) -> list[str]:
    values = []
    for name in ("delivered-to", "x-original-to", "to", "cc"):
        values += headers.raw_all(name)  # the addresses, not the display names, so not decoded
    try:
        return [a for _, a in getaddresses(values) if a]
    except Exception:  # a broken recipient header only loses the recipients from the headers
        return []


# ---------------------------------------------------------------------------------------------------------
# Charsets

# Labels decoded with their superset, as browsers do (WHATWG Encoding): the superset reads everything the
# label can, and the characters Windows put in the gaps (€, curly quotes) as well.
_SUPERSET = {
    "iso8859-1": "cp1252", "iso8859-9": "cp1254", "iso8859-11": "cp874", "tis-620": "cp874",
    "gb2312": "gb18030", "gbk": "gb18030", "euc_kr": "cp949", "shift_jis": "cp932", "big5": "big5hkscs",
}  # fmt: skip
# Names Python does not know, seen in real mail.
_ALIASES = {
    "windows-874": "cp874", "x-mac-roman": "mac-roman", "iso-8859-8-i": "iso8859-8", "x-sjis": "shift_jis",
    "windows-31j": "cp932", "x-euc-jp": "euc_jp", "x-gbk": "gbk", "ks_c_5601": "cp949", "x-cp1252": "cp1252",
    "unicode-1-1-utf-8": "utf-8", "utf8mb4": "utf-8", "x-unicode20utf8": "utf-8", "cp-850": "cp850",
}  # fmt: skip
# Charsets where valid multi-byte UTF-8 is all but impossible in real text: such bytes are UTF-8 mislabelled.
_SINGLE_BYTE = re.compile(r"^(iso8859-\d+|cp125\d|cp874|koi8-[ru]|mac-roman|tis-620|ascii)$")
_NOT_ASCII_COMPATIBLE = re.compile(r"^(utf-(7|16|32)|iso2022|hz)")
_MOJIBAKE = re.compile("[\xc2-\xdf][\x80-\xbf]|\xe2\u20ac|\xc3[\u0160\u0161\u017d\u0178\u0152\u201a-\u203a]")
# What charset-normalizer may choose from, and the order that settles ties on short texts.
_DETECTABLE = [
    "cp1252", "iso8859_15", "cp1250", "iso8859_2", "cp1251", "koi8_r", "koi8_u", "cp1253", "iso8859_7",
    "cp1254", "cp1257", "cp1255", "cp1256", "cp874", "cp932", "euc_jp", "iso2022_jp", "gb18030", "big5",
    "cp949", "euc_kr",
]  # fmt: skip
_PREFERRED = [
    "cp1252", "iso8859_15", "latin_1", "cp1251", "koi8_r", "cp932", "gb18030", "cp1250", "iso8859_2",
]  # fmt: skip


def _codec(name: str | None) -> str | None:
    """The Python codec name for a charset label, or None when the label is missing or unknown."""
    if not name:
        return None
    label = name.strip().strip("\"'").lower()
    label = _ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except (LookupError, ValueError):
        return None


def decode_text(
    data: bytes,
    declared: str | None,
    where: str,
    out: ParsedMail,
    *,
    reason: str = "",
    undeclared: bool = False,
) -> str:
    """Bytes in a declared (or missing, or wrong) charset to text, never raising; what was not a plain
    decode of the declared charset is recorded in out.problems."""
    if not data:
        return ""
    codec = _codec(declared)
    ascii_safe = codec is None or not _NOT_ASCII_COMPATIBLE.match(codec)
    if ascii_safe and data.isascii():
        return data.decode("ascii")
    if codec is None:
        if declared and not undeclared:
            reason = reason or f"unknown charset {declared.strip()!r}"
        reason = reason or "no charset declared"
        return _guess(data, where, out, reason, hint=None)
    if undeclared:  # a hint, not a declaration: used only when it decodes cleanly
        return _guess(data, where, out, reason or "no charset declared", hint=codec)
    if codec != "utf-8" and _SINGLE_BYTE.match(codec) and _is_utf8(data):
        out.problems.append(f"{where}: declared {declared} but written in UTF-8; read as UTF-8")
        return _repair(data.decode("utf-8"), where, out)
    for candidate in (_SUPERSET.get(codec), codec):
        if candidate:
            try:
                return _repair(data.decode(candidate), where, out)
            except UnicodeDecodeError:
                continue
    if codec == "utf-8":
        text = data.decode("utf-8", errors="replace")
        bad = text.count("\ufffd")
        good = sum(1 for c in text if c > "\x7f") - bad
        if good > bad:  # UTF-8 with a few damaged bytes, not another charset
            out.problems.append(f"{where}: {bad} byte(s) not valid UTF-8 replaced")
            return text
    return _guess(data, where, out, f"not valid {declared}", hint=None)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _guess(data: bytes, where: str, out: ParsedMail, reason: str, hint: str | None) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        out.problems.append(f"{where}: {reason}; read as UTF-8")
        return _repair(text, where, out)
    if hint:
        try:
            text = data.decode(_SUPERSET.get(hint, hint))
        except UnicodeDecodeError:
            pass
        else:
            out.problems.append(f"{where}: {reason}; read as {hint}, the message's charset")
            return text
    detected = detect(data)
    if detected:
        encoding, text = detected
        out.problems.append(f"{where}: {reason}; read as {encoding} (detected)")
        return text
    out.problems.append(f"{where}: {reason}; undecodable bytes replaced")
    return data.decode("utf-8", errors="replace")


def detect(data: bytes) -> tuple[str, str] | None:
    """(encoding, text) by charset-normalizer, or None. Among the candidates that read about as well as
    the best, the common mail charsets win: short texts leave the detector torn between similar ones."""
    from charset_normalizer import from_bytes  # only mail that needs guessing pays for the import

    try:
        matches = list(from_bytes(data, cp_isolation=_DETECTABLE))
    except Exception:  # the detector failing only means we cannot guess
        return None
    if not matches:
        return None
    best = matches[0]
    close = [m for m in matches if m.chaos <= best.chaos + 0.01 and m.coherence >= best.coherence - 0.05]
    for name in _PREFERRED:
        for match in close:
            if name == match.encoding or name in match.could_be_from_charset:
                return name, str(match)
    return best.encoding, str(best)


def _repair(text: str, where: str, out: ParsedMail) -> str:
    """UTF-8 that was decoded as windows-1252 and encoded again ("Ã©" for "é"), back to what was meant."""
    if text.isascii() or not _MOJIBAKE.search(text):
        return text
    for codec in ("cp1252", "latin-1"):
        try:
            fixed = text.encode(codec).decode("utf-8")
        except UnicodeError:
            continue
        out.problems.append(f"{where}: UTF-8 decoded twice (mojibake); repaired")
        return fixed
    return text


def _no_nul(text: str, where: str, out: ParsedMail) -> str:
    if "\x00" in text:  # PostgreSQL text cannot hold NUL
        out.problems.append(f"{where}: NUL characters removed")
        return text.replace("\x00", "")
    return text


# ---------------------------------------------------------------------------------------------------------
# Body and attachments

_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def _part_text(part: Message, where: str, out: ParsedMail) -> str:
    payload = part.get_payload(decode=True)
    if isinstance(payload, str):
        payload = payload.encode("utf-8", "surrogateescape")
    if not payload:
        return ""
    declared = part.get_content_charset()
    if declared is None and part.get_content_subtype() == "html":
        found = _META_CHARSET.search(payload[:4096])  # HTML may declare its charset itself
        declared = found.group(1).decode("ascii") if found else None
    text = decode_text(payload, declared, where, out)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _no_nul(text, where, out)


_BOUNDARY_LINE = re.compile(r"^--(\S{1,200})[ \t]*\r?$", re.MULTILINE)


def _repair_structure(msg: Message, out: ParsedMail) -> None:
    """A multipart whose declared boundary never appears (a common breakage): split it at the boundary its
    lines do use, so the text and attachments inside are found."""
    for part in msg.walk():
        if part.get_content_maintype() != "multipart" or part.is_multipart():
            continue
        payload = part.get_payload()
        if not isinstance(payload, str):
            continue
        found = _BOUNDARY_LINE.search(payload)
        if not found:
            continue
        boundary = found.group(1)
        data = payload.encode("ascii", "surrogateescape") if not payload.isascii() else payload.encode()
        header = f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'.encode("ascii", "replace")
        inner = _PARSER.parsebytes(header + data)
        if inner.is_multipart() and inner.get_payload():
            part.set_payload(inner.get_payload())
            out.problems.append("structure: the declared part boundary was not found; split at the one used")


def _body(msg: Message, out: ParsedMail) -> set[int]:
    """Fill text and html; return the ids of the parts read as the body (not attachments)."""
    try:
        text_part = get_body(msg, ("plain",))
        html_part = get_body(msg, ("html",))
    except Exception as exc:
        out.problems.append(f"structure: {exc.__class__.__name__}")
        text_part = html_part = None
    lone_text = not msg.is_multipart() and msg.get_content_maintype() == "text"
    if text_part is None and html_part is None and lone_text:
        text_part = msg  # a lone text part with an odd subtype (text/enriched, text/x-...): still the body
    html = _part_text(html_part, "html", out) if html_part is not None else ""
    out.html = html
    if text_part is not None:
        out.text = _part_text(text_part, "body", out).strip()
    if not out.text and html:  # HTML only, or an empty text part beside the HTML
        try:
            out.text = html_to_text(html).strip()
        except Exception as exc:  # the converter failing must not lose the text
            out.problems.append(f"html: {exc.__class__.__name__}")
            out.text = strip_tags(html).strip()
    return {id(p) for p in (text_part, html_part) if p is not None}


def get_body(msg: Message, preferencelist: tuple[str, ...]) -> Message | None:
    """EmailMessage.get_body() for compat32 messages (whose headers are strings, not header objects):
    the best text part by preference, looking into alternatives and the root of multipart/related."""
    best, body = len(preferencelist), None
    for priority, part in _find_body(msg, preferencelist):
        if priority < best:
            best, body = priority, part
            if priority == 0:
                break
    return body


def _find_body(part: Message, preferencelist: tuple[str, ...]) -> Iterator[tuple[int, Message]]:
    if part.get_content_disposition() == "attachment":
        return
    maintype, subtype = part.get_content_maintype(), part.get_content_subtype()
    if maintype == "text":
        if subtype in preferencelist:
            yield preferencelist.index(subtype), part
        return
    if maintype != "multipart" or not part.is_multipart():
        return
    subparts = part.get_payload()
    if subtype != "related":
        for subpart in subparts:
            yield from _find_body(subpart, preferencelist)
        return
    if "related" in preferencelist:
        yield preferencelist.index("related"), part
    start = part.get_param("start")
    candidate = next((p for p in subparts if start and p.get("content-id") == start), None)
    if candidate is None and subparts:
        candidate = subparts[0]
    if candidate is not None:
        yield from _find_body(candidate, preferencelist)


def _attachments(msg: Message, bodies: set[int], out: ParsedMail) -> list[IncomingFile]:
    """Every part that is not the body: attachments, inline images (multipart/related), forwarded
    messages (as .eml). Alternative renderings of the text are not attachments."""
    files: list[IncomingFile] = []
    stack: list[tuple[Message, str]] = [(msg, "")]
    while stack:
        part, parent = stack.pop()
        try:
            _visit(part, parent, bodies, files, stack, out)
        except Exception as exc:
            out.problems.append(f"attachment: {exc.__class__.__name__}")
    return files


def _visit(
    part: Message,
    parent: str,
    bodies: set[int],
    files: list[IncomingFile],
    stack: list[tuple[Message, str]],
    out: ParsedMail,
) -> None:
    ctype = part.get_content_type()
    if part.is_multipart():
        if ctype in ("message/rfc822", "message/global"):
            inner = part.get_payload()
            data = inner[0].as_bytes() if inner else b""
            if data:
                files.append(IncomingFile(_filename(part, out) or "message.eml", data, "message/rfc822"))
            return
        if part.get_content_maintype() == "multipart":
            stack.extend((sub, ctype) for sub in reversed(part.get_payload()))
        return  # message/delivery-status and the like: headers, read by _bounce
    if id(part) in bodies:
        return
    maintype = part.get_content_maintype()
    inline = part.get_content_disposition() != "attachment"
    if parent == "multipart/alternative" and maintype == "text" and inline:
        return  # another rendering of the text
    payload = part.get_payload(decode=True)
    if isinstance(payload, str):
        payload = payload.encode("utf-8", "surrogateescape")
    if not payload:
        return
    name = _filename(part, out)
    if maintype == "multipart":  # declared multipart, but no part boundary was found
        if payload.strip() and not out.text and not out.html:
            out.text = _part_text(part, "body", out).strip()
            out.problems.append("structure: no parts found; the body kept as text")
        return
    if maintype == "text" and not name and not payload.strip():
        return  # an empty text part (a blank line between attachments), not a file
    files.append(IncomingFile(name or "attachment", payload, ctype))


def _filename(part: Message, out: ParsedMail) -> str:
    try:
        raw = [(n, v) for n, v in part.raw_items() if n.lower() in ("content-disposition", "content-type")]
        if any(not v.isascii() for _, v in raw):
            # Raw 8-bit parameters: decode the bytes first, then read the parameter from the text.
            shadow = Message()
            for n, v in raw:
                shadow[n] = _raw_header_text(_FOLD.sub("", v), "attachment name", out, None)
            part = shadow
        name = part.get_filename()
    except Exception:  # a broken parameter loses the name only
        return ""
    if not name:
        return ""
    name = str(name)
    if "=?" in name or not name.isascii():
        name = decode_words(name, "attachment name", out)
    return name


_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery status notification|returned mail|failure notice|mail delivery failed", re.IGNORECASE
)
_BOUNCE_SENDER = re.compile(r"^(mailer-daemon|postmaster)@", re.IGNORECASE)


def _bounce(msg: Message, raw: bytes, out: ParsedMail) -> None:
    """Recognise a delivery status notification (RFC 3464) or a classic mailer-daemon bounce, and find the
    Message-ID of the message that bounced in the returned headers."""
    is_report = (
        msg.get_content_type() == "multipart/report" and msg.get_param("report-type") == "delivery-status"
    )
    looks_like = bool(_BOUNCE_SENDER.match(out.from_address)) and bool(_BOUNCE_SUBJECT.search(out.subject))
    if not (is_report or looks_like):
        return
    out.is_bounce = True
    # Work on the bytes after the top-level header: the returned message's headers are in there.
    body = raw.split(b"\r\n\r\n", 1)[-1] if b"\r\n\r\n" in raw[:65536] else raw.split(b"\n\n", 1)[-1]
    text = body.decode("latin-1")
    status = re.search(r"^Status:\s*(\d\.\d{1,3}\.\d{1,3})", text, re.MULTILINE | re.IGNORECASE)
    diagnostic = re.search(r"^Diagnostic-Code:\s*(?:smtp;\s*)?(.+)$", text, re.MULTILINE | re.IGNORECASE)
    out.bounce_reason = diagnostic.group(1).strip() if diagnostic else (status.group(1) if status else "")
    found = re.search(r"^Message-ID:\s*(<[^<>\s]+>)", text, re.MULTILINE | re.IGNORECASE)
    if found:
        out.bounced_message_id = found.group(1)
