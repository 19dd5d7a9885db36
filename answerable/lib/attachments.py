"""Attachment checks: a size limit, and content that must not contradict its declared type."""

import io
import zipfile

import filetype
from django.conf import settings


class AttachmentRejected(ValueError):
    """The file is not stored; the message says why in words an agent can act on."""


# Types that run code when opened: never trusted from a name or a declared type alone.
EXECUTABLE_TYPES = {
    "application/x-msdownload", "application/x-executable", "application/x-sharedlib",
    "application/x-mach-binary", "application/x-elf", "application/vnd.microsoft.portable-executable",
}  # fmt: skip


# Zip bombs: archives (zip, and the zip-based office formats) whose unpacked size is absurd. Judged from
# the archive's own directory, never by extracting it.
ZIP_MAX_ENTRIES = 10_000
ZIP_MAX_RATIO = 100  # unpacked / packed
ZIP_MAX_UNPACKED = 100 * 1_048_576  # a high ratio alone is normal for text; only big and dense is refused


def check_archive(filename: str, content: bytes) -> None:
    """Raise AttachmentRejected for a zip with too many entries, or one that unpacks to more than
    ZIP_MAX_UNPACKED at more than ZIP_MAX_RATIO times its size. Not a zip, or a broken one: no opinion."""
    if not content.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return  # stored as plain bytes: nothing here opens it for anyone
    if len(entries) > ZIP_MAX_ENTRIES:
        raise AttachmentRejected(
            f"{filename} holds {len(entries):,} files; "
            f"archives of more than {ZIP_MAX_ENTRIES:,} files are not accepted."
        )
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > ZIP_MAX_UNPACKED and unpacked > ZIP_MAX_RATIO * max(len(content), 1):
        raise AttachmentRejected(
            f"{filename} would unpack to {unpacked / 1_048_576:,.0f} MB "
            f"from {len(content) / 1_048_576:.1f} MB; "
            "archives this compressed are refused as a likely zip bomb."
        )


def check_attachment(filename: str, content: bytes, declared_type: str) -> str:
    """Return the content type to store, or raise AttachmentRejected.

    The stored type comes from the bytes when they are recognisable, so a renamed executable is not
    served as a harmless image; otherwise from the declaration, falling back to octet-stream.
    """
    limit = settings.ATTACHMENT_MAX_BYTES
    if len(content) > limit:
        raise AttachmentRejected(
            f"{filename} is {len(content) / 1_048_576:.1f} MB; the limit is {limit / 1_048_576:.0f} MB."
        )
    check_archive(filename, content)
    sniffed = filetype.guess_mime(content)
    declared = (declared_type or "").split(";")[0].strip().lower()
    if sniffed in EXECUTABLE_TYPES or (sniffed is None and content[:2] == b"MZ"):
        raise AttachmentRejected(f"{filename} is a program; programs are not accepted as attachments.")
    if (
        sniffed
        and declared.startswith(("image/", "text/"))
        and sniffed.split("/")[0] != declared.split("/")[0]
    ):
        raise AttachmentRejected(f"{filename} says it is {declared} but its content is {sniffed}.")
    return sniffed or declared or "application/octet-stream"
