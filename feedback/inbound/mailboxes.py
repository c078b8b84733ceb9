"""Reading a mailbox: IMAP (``imap://``, ``imaps://``) or a local Maildir (``maildir://``).

Each unread message is processed first and marked read after, so a poller
that dies in between leaves it unread: the next poll reads it again and
``inbound_email_process`` finds its fingerprint, making nothing twice.
Marking it read first would lose the email instead. "Unread" on IMAP means
without our own keyword (``KEYWORD``), not without ``\\Seen``: agents open
the shared mailbox in their mail clients too.
"""

import contextlib
import imaplib
import logging
import mailbox
import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast

from django.conf import settings

log = logging.getLogger(__name__)

IMAP_TIMEOUT = 30
# The IMAP keyword marking a message the portal has processed.
KEYWORD = "$CXPortal"


@dataclass(frozen=True)
class MailboxConfig:
    scheme: str
    path: str = ""
    host: str = ""
    port: int = 0
    user: str = ""
    password: str = ""
    folder: str = "INBOX"

    @property
    def label(self) -> str:
        """Names the mailbox on records and in logs; never with the password."""
        if self.scheme == "maildir":
            return f"maildir:{self.path}"
        return f"{self.scheme}://{self.user}@{self.host}:{self.port}/{self.folder}"

    @classmethod
    def from_settings(cls) -> "MailboxConfig | None":
        """The mailbox of ``CX_MAILBOX_URL`` (parsed by the settings), or None when off."""
        return cls(**settings.CX_MAILBOX) if settings.CX_MAILBOX else None


# Each reader marks read by the key its own unread() gave: an IMAP uid, a Maildir path.
_Key = TypeVar("_Key")


class Reader(Protocol[_Key]):
    def unread(self) -> Iterator[tuple[_Key, bytes]]: ...

    def mark_read(self, key: _Key) -> None: ...


def _parse(raw: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(raw)


def mailbox_read(reader: Reader[Any], *, process: Callable[[EmailMessage], str]) -> Counter:
    """Process every unread message of ``reader``, then mark it read; counts by outcome.

    ``process`` returns the outcome to count ("created", "seen"…). A message
    whose processing fails stays unread for the next poll ("failed"); the
    others go on.
    """
    counts: Counter = Counter()
    for key, raw in reader.unread():
        try:
            outcome = process(_parse(raw))
        except Exception:
            log.exception("Could not process inbound message %s; it stays unread for the next poll.", key)
            counts["failed"] += 1
            continue
        reader.mark_read(key)
        counts[outcome] += 1
    return counts


def keyword_allowed(permanent_flags: bytes | None) -> bool:
    """Whether a folder's PERMANENTFLAGS let us keep ``KEYWORD`` on its messages.

    ``\\*`` allows new keywords; a server that allows none may still list
    ours if it was set before.
    """
    flags = (permanent_flags or b"").strip(b"()").lower().split()
    return b"\\*" in flags or KEYWORD.lower().encode() in flags


class ImapReader:
    """Messages of one folder without ``KEYWORD``, read with BODY.PEEK (not marking them), flagged after.

    A mail client marks what an agent opens ``\\Seen``, so reading UNSEEN
    would miss the mail someone looked at before the poll. Only where the
    server keeps no new keywords is UNSEEN read instead.
    """

    def __init__(self, config: MailboxConfig) -> None:
        self.config = config
        self.client: imaplib.IMAP4 | None = None
        self.keyword = False

    def __enter__(self) -> "ImapReader":
        cls = imaplib.IMAP4_SSL if self.config.scheme == "imaps" else imaplib.IMAP4
        self.client = cls(self.config.host, self.config.port, timeout=IMAP_TIMEOUT)
        try:
            self.client.login(self.config.user, self.config.password)
            self._ok(self.client.select(_quoted(self.config.folder)), "SELECT")
            _code, permanent_flags = self.client.response("PERMANENTFLAGS")
            self.keyword = keyword_allowed(permanent_flags[-1] if permanent_flags else None)
        except Exception:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.client is not None:
            with contextlib.suppress(Exception):
                self.client.logout()
            self.client = None

    def _connected(self) -> imaplib.IMAP4:
        # Read and marked only inside the with block, where __enter__ has connected.
        return cast(imaplib.IMAP4, self.client)

    @staticmethod
    def _ok(answer: tuple[str, list], command: str) -> list:
        status, data = answer
        if status != "OK":
            raise imaplib.IMAP4.error(f"{command} failed: {data!r}")
        return data

    def unread(self) -> Iterator[tuple[bytes, bytes]]:
        unread = f"UNKEYWORD {KEYWORD}" if self.keyword else "UNSEEN"
        if not self.keyword:
            log.warning("%s keeps no keyword %s: reading UNSEEN mail only.", self.config.label, KEYWORD)
        # imaplib takes None for "no charset"; typeshed's uid() only lists str arguments.
        uids = self._ok(self._connected().uid("SEARCH", None, unread), "UID SEARCH")  # type: ignore[arg-type]
        for uid in uids[0].split() if uids and uids[0] else []:
            data = self._ok(self._connected().uid("FETCH", uid, "(BODY.PEEK[])"), "UID FETCH")
            raw = next((item[1] for item in data if isinstance(item, tuple)), None)
            if raw is not None:  # expunged meanwhile by another client
                yield uid, raw

    def mark_read(self, key: bytes) -> None:
        # \\Seen too, in the same STORE: agents see in their mail client what the
        # portal took in, and it is what tells a server without keywords.
        flags = f"(\\Seen {KEYWORD})" if self.keyword else "(\\Seen)"
        # imaplib takes the bytes uid SEARCH gave; typeshed's uid() only lists str arguments.
        self._ok(self._connected().uid("STORE", key, "+FLAGS", flags), "UID STORE")  # type: ignore[arg-type]


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


class MaildirReader:
    """Messages in new/ and cur/ without the S (seen) flag; moved to cur/ with S after.

    The move is one rename, atomic: the file is always in exactly one place
    (``mailbox.Maildir``'s own rewrite would delete it before adding it back).
    """

    def __init__(self, config: MailboxConfig) -> None:
        # Creates new/, cur/ and tmp/ when missing: a fresh demo has no mail yet.
        self.box = mailbox.Maildir(config.path, factory=None, create=True)
        self.root = Path(config.path)

    def __enter__(self) -> "MaildirReader":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.box.close()

    def unread(self) -> Iterator[tuple[Path, bytes]]:
        info = self.box.colon + "2,"
        for subdir in ("new", "cur"):
            for name in sorted(os.listdir(self.root / subdir)):
                if name.startswith(".") or "S" in name.partition(info)[2]:
                    continue
                path = self.root / subdir / name
                try:
                    raw = path.read_bytes()
                except FileNotFoundError:  # another poller moved it just now
                    continue
                yield path, raw

    def mark_read(self, key: Path) -> None:
        info = self.box.colon + "2,"
        base, _, flags = key.name.partition(info)
        with contextlib.suppress(FileNotFoundError):
            os.rename(key, self.root / "cur" / f"{base}{info}{''.join(sorted({*flags, 'S'}))}")


def reader_for(config: MailboxConfig) -> ImapReader | MaildirReader:
    return MaildirReader(config) if config.scheme == "maildir" else ImapReader(config)
