"""Attachment checks: a size limit, and content that must not contradict its declared type."""

import filetype
from django.conf import settings


class AttachmentRejected(ValueError):
    """The file is not stored; the message says why in words an agent can act on."""


# Types that run code when opened: never trusted from a name or a declared type alone.
EXECUTABLE_TYPES = {
    "application/x-msdownload", "application/x-executable", "application/x-sharedlib",
    "application/x-mach-binary", "application/x-elf", "application/vnd.microsoft.portable-executable",
}  # fmt: skip


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
