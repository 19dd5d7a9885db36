"""Raw bytes to a ParsedMail: headers, text, HTML, attachments, loop and bounce signals. Never raises.

Whatever cannot be read cleanly is recorded in `problems`, and the caller stores the raw bytes anyway.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.html import strip_tags

from answerable.tickets.services import IncomingFile

_MSGID = re.compile(r"<[^<>\s]+>")


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
        msg = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as exc:  # the parser itself failing is rare but must not stop ingestion
        out.problems.append(f"unparseable: {exc.__class__.__name__}")
        out.text = raw.decode("utf-8", errors="replace")
        return out
    out.message_id = _first_id(_header(msg, "message-id", out))
    out.in_reply_to = _MSGID.findall(_header(msg, "in-reply-to", out))
    out.references = _MSGID.findall(_header(msg, "references", out))
    out.subject = _header(msg, "subject", out).strip()
    out.date = _date(_header(msg, "date", out))
    out.from_name, out.from_address = _sender(msg, out)
    out.recipients = _recipients(msg, out)
    out.auto_submitted = _header(msg, "auto-submitted", out).strip().lower()
    out.precedence = _header(msg, "precedence", out).strip().lower()
    out.list_id = _header(msg, "list-id", out).strip()
    if msg.get("return-path") is not None:
        out.return_path = parseaddr(_header(msg, "return-path", out))[1]
    out.text, out.html = _body(msg, out)
    out.attachments = _attachments(msg, out)
    _bounce(msg, raw, out)
    return out


def _header(msg: EmailMessage, name: str, out: ParsedMail) -> str:
    try:
        return str(msg.get(name, "") or "")
    except Exception as exc:  # the header parser fails on some broken headers; keep going without it
        out.problems.append(f"header {name}: {exc.__class__.__name__}")
        return ""


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


def _sender(msg: EmailMessage, out: ParsedMail) -> tuple[str, str]:
    for header in ("from", "reply-to", "sender", "return-path"):
        name, address = parseaddr(_header(msg, header, out))
        if address and _valid(address):
            return name, address
    out.problems.append("no usable sender address")
    return "", ""


def _recipients(msg: EmailMessage, out: ParsedMail) -> list[str]:
    values = []
    for header in ("delivered-to", "x-original-to", "to", "cc"):
        try:
            values += [str(v) for v in msg.get_all(header, [])]
        except Exception:  # noqa: S112 (a broken recipient header only loses that header)
            continue
    return [a for _, a in getaddresses(values) if a]


def _decode(part: EmailMessage, out: ParsedMail) -> str:
    try:
        return part.get_content()
    except (LookupError, UnicodeError, AssertionError, KeyError) as exc:
        out.problems.append(f"body: {exc.__class__.__name__}")
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else str(payload)


def _body(msg: EmailMessage, out: ParsedMail) -> tuple[str, str]:
    try:
        text_part = msg.get_body(preferencelist=("plain",))
        html_part = msg.get_body(preferencelist=("html",))
    except Exception as exc:
        out.problems.append(f"structure: {exc.__class__.__name__}")
        text_part = html_part = None
    html = _decode(html_part, out) if html_part is not None else ""
    if text_part is not None:
        return _decode(text_part, out).strip(), html
    if html:
        return strip_tags(html).strip(), html
    return "", ""


def _attachments(msg: EmailMessage, out: ParsedMail) -> list[IncomingFile]:
    files = []
    try:
        parts = list(msg.iter_attachments())
    except Exception as exc:
        out.problems.append(f"attachments: {exc.__class__.__name__}")
        return files
    for part in parts:
        try:
            payload = part.get_payload(decode=True)
        except Exception:
            out.problems.append("attachment undecodable")
            continue
        if not payload:
            continue
        files.append(IncomingFile(part.get_filename() or "attachment", payload, part.get_content_type()))
    return files


_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery status notification|returned mail|failure notice|mail delivery failed", re.IGNORECASE
)
_BOUNCE_SENDER = re.compile(r"^(mailer-daemon|postmaster)@", re.IGNORECASE)


def _bounce(msg: EmailMessage, raw: bytes, out: ParsedMail) -> None:
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
