import mailbox
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from answerable.lib.corpora import corpora_dir
from answerable.mail.models import QuarantinedMail
from answerable.tickets.models import Message

CORPORA = corpora_dir()
REAL = CORPORA / "email" / "messages" / "real" if CORPORA else Path("/nonexistent")
pytestmark = pytest.mark.skipif(not REAL.exists(), reason="shared corpus not present")


def run(*args) -> str:
    out = StringIO()
    call_command("import", *args, "--no-progress", stdout=out, stderr=StringIO())
    return out.getvalue()


def sample(n=12) -> list[bytes]:
    return [p.read_bytes() for p in sorted(REAL.glob("*.eml"))[:n]]


def stored() -> int:
    return Message.objects.filter(kind=Message.Kind.INBOUND).count() + QuarantinedMail.objects.count()


def test_eml_folder_import_is_idempotent_and_sends_no_acknowledgements(make_team, tmp_path):
    make_team("Billing")
    for i, raw in enumerate(sample()):
        (tmp_path / f"{i}.eml").write_bytes(raw)
    first = run("eml", str(tmp_path), "--team", "Billing")
    assert "Imported 12 messages into Billing" in first
    found = re.search(r"(\d+) duplicate", first)  # the corpus holds a few copies of one message
    assert stored() == 12 - (int(found.group(1)) if found else 0)
    count = stored()
    run("eml", str(tmp_path), "--team", "billing@desk.example")
    assert stored() == count
    assert not Message.objects.filter(automatic=True).exists()


def test_mbox_and_maildir_imports_store_each_message_once(make_team, tmp_path):
    make_team("Billing")
    box = mailbox.mbox(str(tmp_path / "archive.mbox"))
    maildir = mailbox.Maildir(str(tmp_path / "maildir"))
    for raw in sample(8):
        box.add(raw)
        maildir.add(raw)
    box.flush()
    run("mbox", str(tmp_path / "archive.mbox"), "--team", "Billing")
    count = stored()
    run("maildir", str(tmp_path / "maildir"), "--team", "Billing")
    assert stored() == count  # the same messages: nothing new


def test_imported_mail_keeps_its_own_date(make_team, tmp_path):
    make_team("Billing")
    (tmp_path / "old.eml").write_bytes(
        b"From: Ana <ana@acme.example>\r\nTo: billing@desk.example\r\nSubject: Old\r\n"
        b"Date: Mon, 02 Feb 2015 10:00:00 +0100\r\nMessage-ID: <old@acme.example>\r\n\r\nHello\r\n"
    )
    run("eml", str(tmp_path / "old.eml"), "--team", "Billing")
    message = Message.objects.get(message_id="<old@acme.example>")
    assert message.created_at.year == 2015 and message.ticket.created_at == message.created_at


def test_unknown_team_and_missing_path_are_clear_errors(make_team, tmp_path):
    make_team("Billing")
    with pytest.raises(CommandError, match="No team 'Sales'"):
        run("eml", str(tmp_path), "--team", "Sales")
    with pytest.raises(CommandError, match="does not exist"):
        run("mbox", str(tmp_path / "nope.mbox"), "--team", "Billing")
