"""The import file itself: its columns, its size limit, and reading it line by line.

The CSV format is documented on the package (``feedback/imports/__init__.py``);
checking each line's values is ``rows``' job.
"""

import csv
import itertools
from collections.abc import Iterator
from typing import IO

from django.conf import settings
from django.utils.translation import gettext as _

from ..models import CaseImport

CUSTOMER_COLUMNS = ("name", "email", "phone", "customer_number")
CASE_COLUMNS = (
    "kind",
    "channel",
    "language",
    "subject",
    "message",
    "order_reference",
    "order_date",
    "promised_delivery_date",
    "product",
    "store",
)
HISTORY_COLUMNS = ("status", "department", "owner", "tags", "resolved_at", "closed_at")
COLUMNS = ("external_id", "created_at", *CUSTOMER_COLUMNS, *CASE_COLUMNS, *HISTORY_COLUMNS)


def max_upload_bytes() -> int:
    return settings.CX_IMPORT_MAX_MB * 1024 * 1024


class FileError(Exception):
    """The file cannot be read on (not UTF-8, not CSV, a bad header)."""

    def __init__(self, line: int, message: str, field: str = ""):
        super().__init__(message)
        self.line, self.message, self.field = line, message, field


def file_lines(case_import: CaseImport) -> Iterator[tuple[int, dict[str, str]]]:
    """``(line number, values by column)`` for each non-blank row; the header is line 1."""
    line = 1
    with case_import.file.open("rb") as raw:
        text = _decoded(raw)
        try:
            header_line = next(text, "")
            # The header holds only column names: whichever separator it uses more is the delimiter.
            delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
            reader = csv.reader(itertools.chain([header_line], text), delimiter=delimiter)
            header = [name.strip().lower() for name in next(reader, [])]
            _check_header(header)
            line = reader.line_num + 1
            for cells in reader:
                if any(cell.strip() for cell in cells):
                    if len(cells) != len(header):
                        raise FileError(
                            line,
                            _("This line has %(found)d values; the header has %(expected)d.")
                            % {"found": len(cells), "expected": len(header)},
                        )
                    yield line, dict(zip(header, cells, strict=True))
                line = reader.line_num + 1
        except csv.Error as exc:
            raise FileError(line, _("This line is not valid CSV: %(error)s") % {"error": exc}) from None


def _decoded(raw: IO[bytes]) -> Iterator[str]:
    """The file's lines as text, decoded one by one so an error names its line."""
    for number, data in enumerate(raw, start=1):
        try:
            text = data.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            raise FileError(number, _("This line is not UTF-8 text.")) from None
        # PostgreSQL takes no NUL in text or jsonb: not in a lookup, a case or the report.
        if "\x00" in text:
            raise FileError(number, _("The file contains a NUL character."))
        yield text


def _check_header(header: list[str]) -> None:
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise FileError(1, _("Unknown columns: %(names)s.") % {"names": ", ".join(unknown)})
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise FileError(1, _("Columns given twice: %(names)s.") % {"names": ", ".join(repeated)})
    missing = [name for name in ("created_at", "message") if name not in header]
    if "email" not in header and "phone" not in header:
        missing.append("email / phone")
    if missing:
        raise FileError(1, _("Missing columns: %(names)s.") % {"names": ", ".join(missing)})
