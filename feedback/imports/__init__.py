"""Importing past cases from a CSV file: check the whole file, then write it in batches.

The file is UTF-8 (a byte-order mark is fine) with a header row; the
delimiter is a comma or a semicolon, whichever the header uses. Columns, in
any order (unknown ones are refused so a typo is not silently dropped):

==========================  ===========================================================
``created_at``              required; ``2025-11-03`` or ``2025-11-03 14:20`` (local time
                            unless an offset is given), not in the future, at most
                            ten years back
``message``                 required, up to 5,000 characters
``email``, ``phone``        at least one of them
``external_id``             the case's id in the old system; blank: a SHA-256 of the row
``name``, ``customer_number``, ``subject`` (blank: the message's first line),
``kind`` (default ``complaint``), ``channel`` (default ``web``), ``language``
(default the site's), ``order_reference``, ``order_date``,
``promised_delivery_date``, ``product``, ``store``: as on the intake API
==========================  ===========================================================

History mode also reads ``status`` (required), ``department`` (slug),
``owner`` (username; must work in the department), ``tags`` (slugs joined
by ``|``), ``resolved_at`` (required for resolved and closed cases) and
``closed_at`` (required for closed ones). Open statuses, ``new`` included,
need a department. In route mode these columns must be blank.

Modes: *route* stores each row through ``case_create``, so it is routed as
of now (due dates count from the routing, not from ``created_at``; the
owner is notified and a customer with an email gets the acknowledgement).
*History* stores already-worked cases as they were: no routing, no due
dates, no notification to anybody.

Each case gets source ``import`` and the row's external id, or
``sha256:<hash>`` of the row's intake content (customer, text, order,
``created_at``; not the history columns, which change as a case is
worked), so importing the same or an overlapping file again skips the rows
already there. See ``docs/import-sample.csv``.
"""

from .csvfile import CASE_COLUMNS, COLUMNS, CUSTOMER_COLUMNS, HISTORY_COLUMNS, FileError, max_upload_bytes
from .rows import Report, Row, case_import_rows, row_clean, row_fingerprint
from .services import (
    BATCH_SIZE,
    SOURCE,
    case_import_check,
    case_import_create,
    case_import_requeue,
    case_import_run,
    case_import_start,
)

__all__ = [
    "BATCH_SIZE",
    "CASE_COLUMNS",
    "COLUMNS",
    "CUSTOMER_COLUMNS",
    "HISTORY_COLUMNS",
    "SOURCE",
    "FileError",
    "Report",
    "Row",
    "case_import_check",
    "case_import_create",
    "case_import_requeue",
    "case_import_rows",
    "case_import_run",
    "case_import_start",
    "max_upload_bytes",
    "row_clean",
    "row_fingerprint",
]
