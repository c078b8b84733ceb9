"""Reading an email: who sent it, what it says, what it carries, whether a person wrote it.

Plain Python on ``email.message.EmailMessage`` (``policy=email.policy.default``)
with no database, so every odd message a mailbox can hold is testable on
its own. HTML is turned into plain text and never kept as HTML: customer
text is never rendered as markup.
"""

import contextlib
import hashlib
import json
import re
from dataclasses import dataclass, field
from email.headerregistry import Address, AddressHeader
from email.message import EmailMessage, Message, MIMEPart
from email.utils import getaddresses, parsedate_to_datetime
from html import unescape
from html.parser import HTMLParser
from typing import cast


@dataclass(frozen=True)
class EmailAttachment:
    name: str
    content_type: str
    content: bytes


@dataclass
class ParsedEmail:
    message_id: str
    sender: str
    sender_name: str
    subject: str
    text: str
    attachments: list[EmailAttachment] = field(default_factory=list)
    in_reply_to: str = ""
    references: str = ""
    content_language: str = ""
    # Why this is an automatic message (auto-reply, bounce, list), or "".
    automatic: str = ""


def message_id_of(message: Message) -> str:
    """The Message-ID without angle brackets or whitespace ("" when absent)."""
    return _header(message, "Message-ID").strip().strip("<>").strip()


def fingerprint_of(message: Message) -> str:
    """SHA-256 of the Message-ID, or of the email's content when it has none.

    The same email delivered twice (a poller that ran twice, an ESP that
    retried its webhook, a copy to two of our addresses) has one fingerprint.
    Without a Message-ID the content is sender, recipients, Date, subject,
    text and the files' names and sizes, not the raw bytes: an ESP's retry
    builds the message anew, with another random MIME boundary.
    """
    message_id = message_id_of(message)
    if message_id:
        return hashlib.sha256(message_id.encode("utf-8", "surrogateescape")).hexdigest()
    return hashlib.sha256(json.dumps(_content_of(message), ensure_ascii=False).encode()).hexdigest()


def _content_of(message: Message) -> dict:
    """What makes an email this email, normalised so that serialising it again changes nothing."""
    sender, _name = _sender(message)
    recipients = getaddresses([_header(message, "To"), _header(message, "Cc")])
    date = " ".join(_header(message, "Date").split())
    # No date, or one no parser reads: compared as written.
    with contextlib.suppress(TypeError, ValueError):
        date = parsedate_to_datetime(date).isoformat()
    body = _body_part(message) if isinstance(message, EmailMessage) else None
    files = _attachments(message, body) if isinstance(message, EmailMessage) else []
    return {
        "from": sender.lower(),
        "to": sorted({address.lower() for _name, address in recipients if address}),
        "date": date,
        "subject": " ".join(_header(message, "Subject").split()),
        "text": _text_of(body) if body is not None else "",
        "files": sorted((file.name, len(file.content)) for file in files),
    }


def email_parse(message: EmailMessage) -> ParsedEmail:
    """What intake needs of ``message``: sender, subject, plain text, files, threading, automation.

    No string has a NUL or another control character but tab and line ends (``printable``).
    """
    sender, sender_name = _sender(message)
    body = _body_part(message)
    return ParsedEmail(
        message_id=message_id_of(message),
        sender=sender,
        sender_name=sender_name,
        subject=" ".join(_header(message, "Subject").split()),
        text=_text_of(body) if body is not None else "",
        attachments=_attachments(message, body),
        in_reply_to=_header(message, "In-Reply-To"),
        references=_header(message, "References"),
        content_language=_header(message, "Content-Language").strip(),
        automatic=automatic_reason(message, sender),
    )


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a header the parser chokes on reads as absent
        return ""
    return unescaped(str(value)) if value is not None else ""


def unescaped(text: str) -> str:
    """``text`` with raw 8-bit bytes read as UTF-8, and only ``printable`` characters.

    Headers sent as raw UTF-8 (RFC 6532, or a sloppy mailer) come out of the
    parser with those bytes as lone surrogates, which no database will store.
    """
    return printable(text.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))


# C0 control characters but tab, line feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def printable(text: str) -> str:
    """``text`` without NUL and the other C0 controls (tab and line ends stay).

    PostgreSQL refuses NUL in text and jsonb, so an email carrying one (in an
    encoded subject, a file name…) would fail and be retried for ever; the
    other controls are no text a person wrote.
    """
    return _CONTROL.sub("", text)


def _sender(message: Message) -> tuple[str, str]:
    """(address, display name) of the first From address, ("", "") if there is none."""
    try:
        # policy.default parses From into an AddressHeader; a plain str (compat32) fails into the except.
        addresses: tuple[Address, ...] = (
            cast(AddressHeader, message["From"]).addresses if message["From"] else ()
        )
    except Exception:
        addresses = ()
    for address in addresses:
        if address.addr_spec and "@" in address.addr_spec:
            return unescaped(address.addr_spec.strip()), unescaped(" ".join(address.display_name.split()))
    return "", ""


# --- Automatic messages -------------------------------------------------------
_BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
_DAEMONS = {"mailer-daemon", "postmaster"}


def automatic_reason(message: Message, sender: str = "") -> str:
    """Why ``message`` looks sent by a machine (RFC 3834 and common practice), or "".

    Answering an out-of-office with a new case would make a loop: their
    auto-reply to our acknowledgement makes another case, and so on.
    """
    auto_submitted = _header(message, "Auto-Submitted").split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    precedence = _header(message, "Precedence").strip().lower()
    if precedence in _BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond"):
        if name in message:
            return f"{name}: {_header(message, name).strip()}"[:100]
    if "Return-Path" in message and _header(message, "Return-Path").strip() in ("<>", ""):
        return "Return-Path: <>"
    if sender.split("@")[0].lower() in _DAEMONS:
        return f"From: {sender}"
    if message.get_content_type() == "multipart/report":
        return "Content-Type: multipart/report"
    return ""


# --- Body ---------------------------------------------------------------------
def _body_part(message: EmailMessage) -> MIMEPart | None:
    try:
        return message.get_body(preferencelist=("plain", "html"))
    except Exception:
        return None


def _text_of(part: MIMEPart) -> str:
    text = _decoded(part)
    if part.get_content_type() == "text/html":
        text = html_to_text(text)
    return _tidy(text)


def _decoded(part: MIMEPart) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, AssertionError, KeyError):
        # An unknown or lying charset: keep what can be read rather than nothing.
        # A part that is not multipart decodes to bytes; the stub also allows a Message.
        payload = cast(bytes, part.get_payload(decode=True) or b"")
        return printable(payload.decode("utf-8", "replace"))
    return unescaped(content) if isinstance(content, str) else printable(content.decode("utf-8", "replace"))


def _tidy(text: str) -> str:
    """Unix line ends, no trailing spaces, at most one blank line in a row, only ``printable`` characters."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    text = printable(re.sub(r"\n{3,}", "\n\n", "\n".join(lines)))
    return text.strip()


class _TextExtractor(HTMLParser):
    """Text of an HTML body with line breaks where blocks end; scripts and styles dropped."""

    _BLOCKS = {
        "p",
        "div",
        "br",
        "ul",
        "ol",
        "tr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "table",
        "hr",
    }
    _HIDDEN = {"script", "style", "head", "title", "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self._HIDDEN:
            self.hidden += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            # Whitespace in HTML source is layout, not text.
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """Plain text of an HTML email: what a reader would see, as text, never as markup."""
    extractor = _TextExtractor()
    try:
        extractor.feed(html)
        extractor.close()
    except Exception:  # HTMLParser is lenient; this is for the truly broken
        return unescape(re.sub(r"<[^>]*>", " ", html))
    lines = (line.strip() for line in "".join(extractor.parts).split("\n"))
    return _tidy("\n".join(lines))


# --- Quoted replies -----------------------------------------------------------
# "On Mon, 3 Mar 2026 at 10:00, CX <cx@…> wrote:" and its Spanish, French,
# German and Portuguese twins; mail programs may wrap it over two lines.
_ATTRIBUTION = re.compile(
    r"^\s*(on|el|le|am|em)\b.{0,300}?\b(wrote|escribió|escribio|a écrit|schrieb|escreveu)\s*:\s*$",
    re.IGNORECASE | re.DOTALL,
)
_SEPARATOR = re.compile(
    r"^\s*(-{2,}\s*(original message|mensaje original|forwarded message|mensaje reenviado)\s*-{2,}|_{10,})\s*$",
    re.IGNORECASE,
)
# Outlook's header block: "From: …" followed by "Sent:"/"Date:" (or the Spanish "De:" … "Enviado:").
_HEADER_BLOCK_START = re.compile(r"^\s*\*?(from|de)\s*:\*?\s+\S", re.IGNORECASE)
_HEADER_BLOCK_NEXT = re.compile(r"^\s*\*?(sent|date|enviado|fecha|to|para)\s*:", re.IGNORECASE)


def strip_quoted(text: str) -> str:
    """The new part of a reply: cut at the first quote marker, and ``>`` lines dropped.

    If nothing would be left (a reply that is all quote), the text is kept whole.
    """
    lines = text.split("\n")
    for i, line in enumerate(lines):
        two = f"{line} {lines[i + 1]}" if i + 1 < len(lines) else line
        if (
            _SEPARATOR.match(line)
            or _ATTRIBUTION.match(line)
            or (_ATTRIBUTION.match(two) and not line.lstrip().startswith(">"))
            or (
                _HEADER_BLOCK_START.match(line)
                and any(_HEADER_BLOCK_NEXT.match(n) for n in lines[i + 1 : i + 4])
            )
        ):
            lines = lines[:i]
            break
    kept = _tidy("\n".join(line for line in lines if not line.lstrip().startswith(">")))
    return kept or text


# --- Attachments --------------------------------------------------------------
def _attachments(message: EmailMessage, body: MIMEPart | None) -> list[EmailAttachment]:
    """Every file in the message: attached or inline (photos pasted into the text count)."""
    found = []
    for part in message.walk():
        if part.is_multipart() or part is body or part.get_content_maintype() == "message":
            continue
        filename = part.get_filename() or ""
        if (
            part.get_content_maintype() == "text"
            and not filename
            and part.get_content_disposition() != "attachment"
        ):
            continue  # the other alternative of the body (its HTML twin), not a file
        try:
            # Multipart parts were skipped above, so this decodes to bytes, not a Message.
            content = cast(bytes, part.get_payload(decode=True) or b"")
        except Exception:  # noqa: S112
            # A part whose encoding is broken is no attachment we could keep; the rest of the mail is.
            continue
        found.append(
            EmailAttachment(
                name=unescaped(filename) or "file",
                content_type=unescaped(part.get_content_type()),
                content=content,
            )
        )
    return found
