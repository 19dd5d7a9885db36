"""Parsing: charsets declared, undeclared and wrong; encoded and raw 8-bit headers; HTML-only mail; inline
images; and every message of the shared corpus read without an exception."""

import base64
from email.header import Header
from email.message import EmailMessage
from pathlib import Path

import pytest

from answerable.lib.corpora import corpora_dir
from answerable.mail.parse import decode_text, parse

CORPORA = corpora_dir()
CORPUS = CORPORA / "email" / "messages" if CORPORA else Path("/nonexistent")

FRENCH = "Bonjour, ma commande n'est toujours pas arrivée. Merci de vérifier où elle en est, ça presse !"
GERMAN = "Grüße aus Köln \u2013 die Rechnung enthält „doppelte“ Beträge: 49,90 € statt 24,95 €."


def raw_mail(
    body: bytes, *, content_type: str | None = "text/plain", cte: str = "8bit", **headers: str
) -> bytes:
    lines = [
        "From: Ana Ruiz <ana@acme.example>",
        "To: billing@desk.example",
        f"Subject: {headers.pop('subject', 'Order 1042')}",
        "Message-ID: <p1@acme.example>",
        "MIME-Version: 1.0",
    ]
    if content_type:
        lines.append(f"Content-Type: {content_type}")
    lines.append(f"Content-Transfer-Encoding: {cte}")
    head = "\r\n".join(lines).encode("ascii")
    extra = b"".join(
        f"{k.replace('_', '-')}: ".encode() + v.encode("latin-1") + b"\r\n" for k, v in headers.items()
    )
    return head + b"\r\n" + extra + b"\r\n" + body


def test_declared_latin1_is_decoded_without_a_problem():
    parsed = parse(raw_mail(FRENCH.encode("iso-8859-1"), content_type="text/plain; charset=iso-8859-1"))
    assert parsed.text == FRENCH
    assert parsed.problems == []


def test_declared_latin1_with_windows_characters_reads_them_as_windows_1252():
    text = "Le prix : 49,90 € \u2013 « merci »"
    parsed = parse(raw_mail(text.encode("cp1252"), content_type="text/plain; charset=ISO-8859-1"))
    assert parsed.text == text and parsed.problems == []


def test_undeclared_8bit_latin1_is_detected_and_flagged():
    parsed = parse(raw_mail(FRENCH.encode("latin-1"), content_type="text/plain"))
    assert "arrivée" in parsed.text and "ça presse" in parsed.text
    assert any("no charset declared" in p and "detected" in p for p in parsed.problems), parsed.problems


def test_undeclared_8bit_utf8_is_read_as_utf8_and_flagged():
    parsed = parse(raw_mail(FRENCH.encode("utf-8"), content_type=None))
    assert parsed.text == FRENCH
    assert parsed.problems == ["body: no charset declared; read as UTF-8"]


def test_utf8_declared_but_written_in_windows_1252_is_detected():
    parsed = parse(raw_mail(GERMAN.encode("cp1252"), content_type="text/plain; charset=utf-8"))
    assert parsed.text == GERMAN
    assert any("not valid utf-8" in p and "cp1252" in p for p in parsed.problems), parsed.problems


def test_latin1_declared_but_written_in_utf8_is_read_as_utf8():
    parsed = parse(raw_mail(FRENCH.encode("utf-8"), content_type="text/plain; charset=iso-8859-1"))
    assert parsed.text == FRENCH
    assert parsed.problems == ["body: declared iso-8859-1 but written in UTF-8; read as UTF-8"]


def test_utf8_decoded_twice_is_repaired():
    mojibake = FRENCH.encode("utf-8").decode("cp1252").encode("utf-8")  # "arrivÃ©e"
    parsed = parse(raw_mail(mojibake, content_type="text/plain; charset=utf-8"))
    assert parsed.text == FRENCH
    assert any("mojibake" in p for p in parsed.problems)


def test_unknown_charset_name_falls_back_and_says_so():
    parsed = parse(raw_mail("Grüße, Jürgen".encode(), content_type="text/plain; charset=x-klingon"))
    assert parsed.text == "Grüße, Jürgen"
    assert parsed.problems == ["body: unknown charset 'x-klingon'; read as UTF-8"]
    latin = parse(raw_mail(FRENCH.encode("latin-1"), content_type='text/plain; charset="x-unknown"'))
    assert "arrivée" in latin.text
    assert any("unknown charset 'x-unknown'" in p and "detected" in p for p in latin.problems)


def test_rfc2047_subject_in_iso_8859_2():
    subject = "Zażółć gęślą jaźń - reklamacja"
    encoded = Header(subject, "iso-8859-2").encode()
    assert encoded.startswith("=?iso-8859-2?")
    parsed = parse(raw_mail(b"Hello", subject=encoded))
    assert parsed.subject == subject
    assert parsed.problems == []


def test_encoded_words_split_inside_a_character_are_joined_before_decoding():
    # A multi-byte character cut across two encoded words (Japanese mailers do this).
    data = "テストです".encode()
    first, second = base64.b64encode(data[:4]).decode(), base64.b64encode(data[4:]).decode()
    parsed = parse(raw_mail(b"x", subject=f"Re: =?utf-8?B?{first}?=\r\n =?utf-8?B?{second}?= [#12]"))
    assert parsed.subject == "Re: テストです [#12]"


def test_encoded_word_with_unknown_charset_and_raw_8bit_subject_stay_readable():
    parsed = parse(raw_mail(b"x", subject="=?x-unknown?Q?Caf=C3=A9?= ok"))
    assert parsed.subject == "Café ok"
    assert any("unknown charset 'x-unknown'" in p for p in parsed.problems)
    raw = raw_mail(
        "Corps du message en été.".encode("latin-1"), content_type="text/plain; charset=iso-8859-1"
    )
    raw = raw.replace(b"Subject: Order 1042", "Subject: Réclamation reçue".encode("latin-1"))
    parsed = parse(raw)
    assert parsed.subject == "Réclamation reçue"  # the body's charset is the hint for raw header bytes
    assert any(p.startswith("header subject: raw 8-bit bytes") for p in parsed.problems)


def test_display_names_are_decoded_after_the_address_is_split():
    raw = raw_mail(b"x").replace(
        b"From: Ana Ruiz <ana@acme.example>", b"From: =?iso-8859-1?Q?Ru=EDz=2C_Ana?= <ana@acme.example>"
    )
    parsed = parse(raw)
    assert (parsed.from_name, parsed.from_address) == ("Ruíz, Ana", "ana@acme.example")


def test_html_only_mail_is_converted_to_text_with_entities():
    msg = EmailMessage()
    msg["From"] = "ana@acme.example"
    msg["To"] = "billing@desk.example"
    msg["Subject"] = "HTML only"
    msg.set_content(
        "<html><head><style>p{color:red}</style></head><body><p>Fish &amp; chips for &euro;5 &lt;today&gt;,"
        " &#8220;please&#8221;</p><p>Second&nbsp;line</p><script>alert(1)</script></body></html>",
        subtype="html",
    )
    parsed = parse(msg.as_bytes())
    assert parsed.text == "Fish & chips for €5 <today>, “please”\n\nSecond line"
    assert "<p>" in parsed.html


def test_empty_text_part_beside_html_uses_the_html():
    msg = EmailMessage()
    msg["From"] = "ana@acme.example"
    msg.set_content("   \n")
    msg.add_alternative("<p>The real text</p>", subtype="html")
    assert parse(msg.as_bytes()).text == "The real text"


def test_inline_image_in_multipart_related_is_kept_as_an_attachment():
    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    )
    msg = EmailMessage()
    msg["From"] = "ana@acme.example"
    msg["Subject"] = "Screenshot"
    msg.set_content("See the screenshot.")
    msg.add_alternative('<p>See the screenshot.</p><img src="cid:shot@acme">', subtype="html")
    msg.get_payload()[1].add_related(
        png, maintype="image", subtype="png", cid="<shot@acme>", filename="shot.png"
    )
    msg.add_attachment(b"%PDF-1.4\n%%EOF\n", maintype="application", subtype="pdf", filename="invoice.pdf")
    parsed = parse(msg.as_bytes())
    assert parsed.text == "See the screenshot."
    assert [(a.filename, a.content_type, a.content) for a in parsed.attachments] == [
        ("shot.png", "image/png", png),
        ("invoice.pdf", "application/pdf", b"%PDF-1.4\n%%EOF\n"),
    ]


def test_a_forwarded_message_is_kept_as_an_eml_attachment():
    inner = EmailMessage()
    inner["From"] = "dev@nwind.example"
    inner["Subject"] = "Original"
    inner.set_content("The original text")
    msg = EmailMessage()
    msg["From"] = "ana@acme.example"
    msg.set_content("Forwarding this")
    msg.add_attachment(inner)
    parsed = parse(msg.as_bytes())
    [forwarded] = parsed.attachments
    assert forwarded.content_type == "message/rfc822" and b"The original text" in forwarded.content


def test_a_boundary_that_never_appears_is_recovered():
    raw = raw_mail(
        b"--actual\r\nContent-Type: text/plain\r\n\r\nThe text inside\r\n--actual--\r\n",
        content_type='multipart/mixed; boundary="declared"',
        cte="7bit",
    )
    parsed = parse(raw)
    assert parsed.text == "The text inside"
    assert any("boundary" in p for p in parsed.problems)


def test_nul_characters_are_removed_for_the_database():
    parsed = parse(raw_mail(b"Hello\x00 there", content_type="text/plain; charset=us-ascii"))
    assert parsed.text == "Hello there" and "body: NUL characters removed" in parsed.problems


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff\xfe garbage",
        b"Subject: =?utf-8?B?!!!?=\r\n\r\nx",
        b"Content-Type: multipart/mixed\r\n\r\n",
    ],
)
def test_parse_never_raises(raw):
    parsed = parse(raw)
    assert isinstance(parsed.text, str)


def test_decode_text_with_a_hint_uses_it_only_when_it_decodes():
    from answerable.mail.parse import ParsedMail

    out = ParsedMail()
    text = decode_text("Łódź".encode("iso-8859-2"), "iso-8859-2", "header x", out, undeclared=True)
    assert text == "Łódź" and "the message's charset" in out.problems[0]


@pytest.mark.skipif(not CORPUS.exists(), reason="shared corpus not present")
@pytest.mark.parametrize("folder", ["real", "malformed"])
def test_every_corpus_message_parses_to_text_or_a_problem(folder):
    files = sorted((CORPUS / folder).glob("*.eml"))
    assert len(files) >= 50
    for path in files:
        parsed = parse(path.read_bytes())
        # Attachment-only mail has no text and nothing wrong with it.
        assert parsed.text.strip() or parsed.problems or parsed.attachments, path.name
        for value in (parsed.text, parsed.html, parsed.subject, parsed.from_name, *parsed.problems):
            value.encode("utf-8")  # no lone surrogates left from raw 8-bit bytes: storable as is
            assert "\x00" not in value, path.name
