"""Checking customer uploads: what a file is, from its first bytes.

The name and the browser's declared type are the sender's word; the
content is what it is. Only images and PDF are accepted.
"""

import unicodedata
from pathlib import PurePosixPath
from typing import cast

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from .limits import column_length
from .models import Attachment

MAX_FILES = 3
MAX_BYTES = 5 * 1024 * 1024

# content type -> test on the first bytes
_SIGNATURES = {
    "image/jpeg": lambda head: head.startswith(b"\xff\xd8\xff"),
    "image/png": lambda head: head.startswith(b"\x89PNG\r\n\x1a\n"),
    "image/gif": lambda head: head[:6] in (b"GIF87a", b"GIF89a"),
    "image/webp": lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP",
    "application/pdf": lambda head: head.startswith(b"%PDF-"),
}

# content type -> the extensions it may carry; the first is the one given.
EXTENSIONS = {
    "image/jpeg": ("jpg", "jpeg"),
    "image/png": ("png",),
    "image/gif": ("gif",),
    "image/webp": ("webp",),
    "application/pdf": ("pdf",),
}


def display_name(name: str, content_type: str) -> str:
    """The customer's file name, made to agree with what the file is.

    Staff download it under this name: "poly.html" holding a PNG becomes
    "poly.png", so no browser or desktop opens it as a page or a program.
    Folders and control characters are dropped.
    """
    base = PurePosixPath(name.replace("\\", "/")).name
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip(" .")
    stem, dot, extension = base.rpartition(".")
    if not dot:
        stem, extension = extension, ""
    allowed = EXTENSIONS[content_type]
    if extension.lower() not in allowed:
        extension = allowed[0]
    stem = stem.strip(" .") or "file"
    return f"{stem[: column_length(Attachment, 'name') - len(extension) - 1]}.{extension}"


def sniff(upload: UploadedFile) -> str | None:
    """The content type the file's bytes show, or None if not an accepted one."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    return next((kind for kind, test in _SIGNATURES.items() if test(head)), None)


def check_upload(upload: UploadedFile) -> str:
    """The content type of an accepted file; ``ValidationError`` if too large or not a photo or PDF.

    The web form, the tracking page and the email intake all check files here.
    """
    # Upload handlers and SimpleUploadedFile always know the size; only a bare UploadedFile() has None.
    size = cast(int, upload.size)
    if size > MAX_BYTES:
        raise forms.ValidationError(
            _("“%(name)s” is %(size)s; the limit is %(limit)s.")
            % {"name": upload.name, "size": filesizeformat(size), "limit": filesizeformat(MAX_BYTES)},
            code="file_too_large",
        )
    kind = sniff(upload)
    if kind is None:
        raise forms.ValidationError(
            _("“%(name)s” is not a photo or a PDF.") % {"name": upload.name}, code="bad_file_type"
        )
    return kind


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Up to three images or PDFs of at most 5 MB each, checked by content."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("Up to 3 photos or PDF files, 5 MB each at most."))
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault("accept", "image/jpeg,image/png,image/gif,image/webp,application/pdf")

    def clean(self, data, initial=None) -> list[tuple[UploadedFile, str]]:
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > MAX_FILES:
            raise forms.ValidationError(
                _("Send at most %(n)d files.") % {"n": MAX_FILES}, code="too_many_files"
            )
        checked = []
        for upload in files:
            upload = super().clean(upload, initial)
            checked.append((upload, check_upload(upload)))
        return checked
