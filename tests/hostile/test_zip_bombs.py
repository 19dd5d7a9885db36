"""Zip bombs: refused from the archive's own directory, without extracting anything."""

import io
import zipfile
from email.message import EmailMessage

import pytest

from answerable.lib import attachments
from answerable.lib.attachments import AttachmentRejected, check_attachment
from answerable.mail.ingest import ingest
from answerable.mail.models import QuarantinedMail
from answerable.tickets.models import Attachment
from conftest import T0

MB = 1_048_576


def _bomb(unpacked_mb: int = 110) -> bytes:
    """A real highly compressible zip: unpacked_mb of zeros, written in 1 MB chunks (a few hundred KB)."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("zeros.bin", "w", force_zip64=True) as entry,
    ):
        chunk = bytes(MB)
        for _ in range(unpacked_mb):
            entry.write(chunk)
    return buffer.getvalue()


def _many_entries(count: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for n in range(count):
            archive.writestr(f"f{n}.txt", b"")
    return buffer.getvalue()


def test_a_zip_that_unpacks_to_over_100_mb_at_a_huge_ratio_is_refused():
    bomb = _bomb()
    assert len(bomb) < 1 * MB  # small on disk, 110 MB unpacked
    with pytest.raises(AttachmentRejected, match="zip bomb"):
        check_attachment("invoice.zip", bomb, "application/zip")


def test_a_bomb_renamed_and_declared_as_something_else_is_still_refused():
    with pytest.raises(AttachmentRejected, match="zip bomb"):
        check_attachment("report.docx", _bomb(), "application/vnd.openxmlformats-officedocument")


def test_a_zip_with_more_than_10000_entries_is_refused():
    with pytest.raises(AttachmentRejected, match="10,001 files"):
        check_attachment("many.zip", _many_entries(10_001), "application/zip")
    assert check_attachment("some.zip", _many_entries(50), "application/zip") == "application/zip"


def test_ordinary_archives_pass_even_when_very_compressible(monkeypatch):
    # Plain text packs 1000x, but a few MB of it is not a bomb: both the ratio and the size must be absurd.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("log.txt", b"a" * (5 * MB))
    assert check_attachment("logs.zip", buffer.getvalue(), "application/zip") == "application/zip"
    # Not dense: with the size floor lowered, a 2 MB archive stored at ratio 1 still passes.
    monkeypatch.setattr(attachments, "ZIP_MAX_UNPACKED", 1 * MB)
    stored = io.BytesIO()
    with zipfile.ZipFile(stored, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("photo.raw", bytes(range(256)) * 8192)  # 2 MB stored as is: ratio 1
    assert check_attachment("photos.zip", stored.getvalue(), "application/zip") == "application/zip"


def test_a_broken_zip_is_no_bomb_and_is_stored_as_bytes():
    truncated = _many_entries(3)[:40]
    assert check_attachment("broken.zip", truncated, "application/zip") in (
        "application/zip",
        "application/octet-stream",
    )


@pytest.mark.django_db
def test_a_mailed_bomb_is_quarantined_with_the_reason_and_nothing_is_lost(world):
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "ana@acme.example", "billing@desk.example", "Files"
    mail["Message-ID"] = "<bomb-1@acme.example>"
    mail.set_content("Please see the attached.")
    mail.add_attachment(_bomb(), maintype="application", subtype="zip", filename="files.zip")
    ingest(mail.as_bytes(), recipients=["billing@desk.example"], now=T0)
    quarantined = QuarantinedMail.objects.get()
    assert "zip bomb" in quarantined.reason
    assert not Attachment.objects.filter(filename="files.zip").exists()
