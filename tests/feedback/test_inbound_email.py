"""Email intake: an email becomes a case, or a message on the case it answers, exactly once."""

import base64
import io
import json
import re
import threading
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.utils import translation

from cxportal.env import mailbox as _mailbox
from feedback import tasks
from feedback.forms import FeedbackForm
from feedback.inbound.mailboxes import MailboxConfig
from feedback.inbound.parse import email_parse, fingerprint_of, html_to_text, strip_quoted
from feedback.inbound.poll import mailbox_poll
from feedback.inbound.services import inbound_email_process, language_guess
from feedback.models import Attachment, Case, CaseEvent, Channel, InboundEmail, Kind, Status

from ..factories import CaseFactory, CustomerFactory

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"0" * 64
LATE = "Mi pedido 12345 no ha llegado, lleva cinco días de retraso."
_counter = iter(range(1, 1_000_000))


@pytest.fixture(autouse=True)
def _english():
    """Reasons and notes are checked in English: the same whether the Spanish catalogue has them yet."""
    with translation.override("en"):
        yield


def mail(
    *,
    text: str | None = LATE,
    html: str | None = None,
    sender: str = "Ana García <ana@example.com>",
    subject: str = "Pedido 12345 sin entregar",
    headers: dict[str, str] | None = None,
    files: list[tuple[str, bytes, str]] = (),
    message_id: str | None = "auto",
) -> EmailMessage:
    """An email as a mailbox hands it over: built, serialised, parsed again."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@cxportal.localhost"
    if subject:
        message["Subject"] = subject
    if message_id == "auto":
        message_id = f"<m{next(_counter)}@mail.example.com>"
    if message_id:
        message["Message-ID"] = message_id
    if text is not None:
        message.set_content(text)
    if html is not None:
        if text is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    for name, content, content_type in files:
        maintype, subtype = content_type.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    # After the content: setting it drops Content-* headers (Content-Language).
    for name, value in (headers or {}).items():
        message[name] = value
    return as_received(message)


def as_received(message: EmailMessage) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(message.as_bytes())


def process(message: EmailMessage, mailbox: str = "maildir:/test") -> InboundEmail:
    return inbound_email_process(message=message, mailbox=mailbox)


# --- Reading an email ---------------------------------------------------------
def test_it_reads_the_sender_subject_text_and_threading_headers():
    parsed = email_parse(
        mail(headers={"In-Reply-To": "<a@cx>", "References": "<a@cx> <b@cx>"}, message_id="<id-1@mail>")
    )

    assert (parsed.sender, parsed.sender_name) == ("ana@example.com", "Ana García")
    assert parsed.subject == "Pedido 12345 sin entregar"
    assert parsed.text == LATE
    assert parsed.message_id == "id-1@mail"
    assert (parsed.in_reply_to, parsed.references) == ("<a@cx>", "<a@cx> <b@cx>")
    assert parsed.automatic == ""


def test_headers_sent_as_raw_utf8_are_read_as_utf8(db):
    raw = (
        "From: Ana García <ana@example.com>\nSubject: Pedido sin entregar: cinco días\n"
        "Message-ID: <raw-utf8@mail>\nContent-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: 8bit\n\nTodavía no ha llegado.\n"
    ).encode()

    case = process(BytesParser(policy=policy.default).parsebytes(raw)).case

    assert (case.customer.name, case.subject, case.message) == (
        "Ana García",
        "Pedido sin entregar: cinco días",
        "Todavía no ha llegado.",
    )


def test_the_plain_text_part_is_preferred_to_the_html_one():
    parsed = email_parse(mail(text="Texto plano", html="<p>Texto <b>HTML</b></p>"))

    assert parsed.text == "Texto plano"
    assert parsed.attachments == []  # the HTML twin is not a file


def test_an_html_only_email_becomes_plain_text_never_markup():
    html = (
        "<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
        "<p>Hola,&nbsp;el pedido <b>12345</b> &lt;no&gt; llegó.</p><ul><li>Caja</li><li>Factura</li></ul>"
        "<div>Ana</div></body></html>"
    )

    text = email_parse(mail(text=None, html=html)).text

    assert text == "Hola, el pedido 12345 <no> llegó.\n\n- Caja\n- Factura\n\nAna"
    assert "alert" not in text
    assert "color" not in text


def test_html_to_text_keeps_line_breaks_between_blocks():
    assert html_to_text("uno<br>dos<p>tres</p>") == "uno\ndos\ntres"


@pytest.mark.parametrize(
    "reply",
    [
        "Sigue sin llegar.\n\nOn Mon, 9 Mar 2026 at 10:00, CX <cx@example.com> wrote:\n> Your case CX-2026-000001",
        "Sigue sin llegar.\n\nEl lun, 9 mar 2026 a las 10:00, CX (<cx@example.com>) escribió:\n> Su caso",
        "Sigue sin llegar.\n\nEl lun, 9 mar 2026 a las 10:00, Atención al cliente\n<cx@example.com> escribió:\n> x",
        "Sigue sin llegar.\n\n-----Original Message-----\nFrom: CX\nSent: Monday\nYour case",
        "Sigue sin llegar.\n\nDe: CX <cx@example.com>\nEnviado: lunes, 9 de marzo\nPara: Ana\nAsunto: caso",
        "> quoted first\nSigue sin llegar.\n> quoted in between",
    ],
    ids=["english", "spanish", "wrapped", "outlook", "outlook-es", "quote-lines"],
)
def test_quoted_text_below_a_reply_is_cut(reply):
    assert strip_quoted(reply) == "Sigue sin llegar."


def test_a_reply_that_is_all_quote_is_kept_whole():
    assert strip_quoted("> solo cita") == "> solo cita"


def test_the_fingerprint_is_the_message_id_or_else_the_content():
    with_id = mail(message_id="<same@mail>")

    assert fingerprint_of(with_id) == fingerprint_of(mail(text="otro texto", message_id="<same@mail>"))
    assert fingerprint_of(mail(message_id=None)) != fingerprint_of(mail(text="otro", message_id=None))
    assert fingerprint_of(mail(message_id=None, subject="x")) == fingerprint_of(
        mail(message_id=None, subject="x")
    )


def test_without_a_message_id_the_same_email_rebuilt_with_another_boundary_makes_one_case(db):
    # An ESP webhook retried: anymail builds the message anew, with a new random MIME boundary.
    def rebuilt() -> EmailMessage:
        return mail(
            message_id=None,
            headers={"Date": "Mon, 02 Mar 2026 10:00:00 +0100"},
            files=[("caja.png", PNG, "image/png")],
        )

    first, second = rebuilt(), rebuilt()
    assert first.get_boundary() != second.get_boundary()

    assert fingerprint_of(first) == fingerprint_of(second)
    assert process(first).outcome == InboundEmail.Outcome.CREATED
    assert process(second).pk == InboundEmail.objects.get().pk
    assert Case.objects.count() == 1
    # Another file, another date or another recipient is another email.
    assert fingerprint_of(first) != fingerprint_of(
        mail(
            message_id=None,
            headers={"Date": "Mon, 02 Mar 2026 10:00:00 +0100"},
            files=[("caja.png", PNG * 2, "image/png")],
        )
    )
    assert fingerprint_of(first) != fingerprint_of(
        mail(
            message_id=None,
            headers={"Date": "Mon, 02 Mar 2026 10:05:00 +0100"},
            files=[("caja.png", PNG, "image/png")],
        )
    )


# NUL in the subject, the sender's name, the threading headers, the text and a file's name.
NUL_EMAIL = (
    b"From: =?utf-8?b?QW5hAEdhcmPDrWE=?= <ana@example.com>\r\n"
    b"To: support@cxportal.localhost\r\n"
    b"Subject: =?utf-8?b?UGVkaWRvAHJvdG8=?=\r\n"
    b"Message-ID: <nul\x00id@mail.example.com>\r\n"
    b"In-Reply-To: <a\x00b@cx>\r\n"
    b"References: <a\x00b@cx> <c\x1bd@cx>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n"
    b"--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nNo ha\x00 llegado\x07 el\tpedido.\r\n"
    b"--XX\r\nContent-Type: image/png\r\n"
    b"Content-Disposition: attachment; filename*=utf-8''%FF%FE%00.png\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode(PNG) + b"\r\n--XX--\r\n"
)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def test_the_parser_hands_out_no_nul_or_other_control_characters():
    parsed = email_parse(BytesParser(policy=policy.default).parsebytes(NUL_EMAIL))

    strings = [
        *(value for value in vars(parsed).values() if isinstance(value, str)),
        *(text for file in parsed.attachments for text in (file.name, file.content_type)),
    ]
    assert [text for text in strings if CONTROL.search(text)] == []
    assert (parsed.subject, parsed.sender_name, parsed.message_id) == (
        "Pedidoroto",
        "AnaGarcía",
        "nulid@mail.example.com",
    )
    assert parsed.text == "No ha llegado el\tpedido."


def test_an_email_with_nul_characters_becomes_a_case_the_database_can_store(db):
    # PostgreSQL refuses NUL in text and jsonb: the email would fail, and be retried, for ever.
    record = process(BytesParser(policy=policy.default).parsebytes(NUL_EMAIL))

    assert (record.outcome, record.message_id) == (InboundEmail.Outcome.CREATED, "nulid@mail.example.com")
    case = Case.objects.get()
    assert (case.subject, case.customer.name, case.message) == (
        "Pedidoroto",
        "AnaGarcía",
        "No ha llegado el\tpedido.",
    )
    assert case.events.get(kind=CaseEvent.Kind.CREATED).data["message_id"] == "nulid@mail.example.com"
    assert [CONTROL.search(name) for name in case.attachments.values_list("name", flat=True)] == [None]


@pytest.mark.parametrize(
    ("text", "declared", "expected"),
    [
        (LATE, "", "es"),
        ("My order has not arrived and it is five days late, please help", "", "en"),
        ("12345", "", "es"),  # nothing to go on: LANGUAGE_CODE
        ("12345", "en-GB", "en"),
    ],
)
def test_the_language_is_guessed_simply(text, declared, expected):
    headers = {"Content-Language": declared} if declared else {}
    assert language_guess(email_parse(mail(text=text, subject="", headers=headers))) == expected


# --- Automatic messages -------------------------------------------------------
AUTOMATIC = [
    ({"headers": {"Auto-Submitted": "auto-replied"}}, "Auto-Submitted: auto-replied"),
    ({"headers": {"Auto-Submitted": "auto-generated; owner-email=x@y"}}, "Auto-Submitted: auto-generated"),
    ({"headers": {"Precedence": "bulk"}}, "Precedence: bulk"),
    ({"headers": {"Precedence": "auto_reply"}}, "Precedence: auto_reply"),
    ({"headers": {"X-Autoreply": "yes"}}, "X-Autoreply: yes"),
    ({"headers": {"X-Autorespond": "Out of office"}}, "X-Autorespond: Out of office"),
    ({"headers": {"Return-Path": "<>"}}, "Return-Path: <>"),
    ({"sender": "MAILER-DAEMON@mx.example.com"}, "From: MAILER-DAEMON@mx.example.com"),
    ({"sender": "postmaster@mx.example.com"}, "From: postmaster@mx.example.com"),
]


@pytest.mark.parametrize(
    ("kwargs", "why"), AUTOMATIC, ids=[why.split(":")[0] + why[-4:] for _, why in AUTOMATIC]
)
def test_automatic_replies_and_bounces_are_recorded_as_ignored(db, kwargs, why):
    record = process(mail(**kwargs))

    assert record.outcome == InboundEmail.Outcome.IGNORED
    assert why in record.reason
    assert not Case.objects.exists()


def test_a_delivery_report_is_a_bounce(db):
    report = EmailMessage()
    report["From"] = "Mail Delivery System <bounces@mx.example.com>"
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report["Message-ID"] = "<bounce-1@mx>"
    report.set_content("Your message could not be delivered.")
    report.make_mixed()
    report.replace_header("Content-Type", 'multipart/report; report-type="delivery-status"')

    record = process(as_received(report))

    assert record.outcome == InboundEmail.Outcome.IGNORED
    assert "multipart/report" in record.reason


def test_auto_submitted_no_is_a_person(db):
    assert process(mail(headers={"Auto-Submitted": "no"})).outcome == InboundEmail.Outcome.CREATED


# --- New cases ----------------------------------------------------------------
def test_an_email_becomes_a_complaint_from_its_sender(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        record = process(mail(message_id="<new-1@mail>"), mailbox="imap://cx@mail:143/INBOX")

    case = record.case
    assert record.outcome == InboundEmail.Outcome.CREATED
    assert (record.sender, record.subject, record.message_id) == (
        "ana@example.com",
        "Pedido 12345 sin entregar",
        "new-1@mail",
    )
    assert (case.channel, case.kind, case.status, case.language) == (
        Channel.EMAIL,
        Kind.COMPLAINT,
        "new",
        "es",
    )
    assert (case.subject, case.message) == ("Pedido 12345 sin entregar", LATE)
    assert (case.customer.name, case.customer.email) == ("Ana García", "ana@example.com")
    created = case.events.get(kind=CaseEvent.Kind.CREATED)
    assert created.data == {"mailbox": "imap://cx@mail:143/INBOX", "message_id": "new-1@mail"}
    assert callbacks, "routing is queued once the case is committed"


def test_without_a_display_name_the_customer_is_named_by_the_local_part(db):
    assert process(mail(sender="ana.garcia@example.com")).case.customer.name == "ana.garcia"


def test_without_a_subject_the_first_words_stand_in(db):
    case = process(mail(subject="")).case

    assert case.subject == LATE


def test_an_email_with_neither_subject_nor_text_is_rejected_but_recorded(db):
    record = process(mail(text="  \n", subject=""))

    assert record.outcome == InboundEmail.Outcome.REJECTED
    assert record.reason == "The email has neither a subject nor any text."
    assert InboundEmail.objects.count() == 1
    assert not Case.objects.exists()


def test_an_email_without_a_usable_sender_is_rejected_but_recorded(db):
    record = process(mail(sender="undisclosed-recipients:;"))

    assert record.outcome == InboundEmail.Outcome.REJECTED
    assert not Case.objects.exists()


def test_a_body_longer_than_the_form_allows_is_cut_at_a_word_and_says_so(db):
    limit = FeedbackForm.base_fields["message"].max_length
    body = "retraso " * (limit // 4)

    message = process(mail(text=body)).case.message

    assert len(message) <= limit
    assert message.startswith("retraso retraso")
    assert f"the email was {len(body.strip())} characters long" in message


# --- Replies ------------------------------------------------------------------
@pytest.fixture
def open_case(db):
    customer = CustomerFactory(name="Ana", email="Ana@Example.com")
    return CaseFactory(customer=customer, reference="CX-2026-000042", status=Status.WAITING)


REPLY = "Sigue sin llegar, hoy es jueves.\n\nEl lun, 9 mar 2026, CX <cx@example.com> escribió:\n> Su caso CX-2026-000042"


def test_a_reply_from_the_customer_naming_the_case_is_added_to_it(open_case):
    record = process(mail(subject="Re: [CX-2026-000042] Pedido 12345", text=REPLY, sender="ana@EXAMPLE.com"))

    assert record.outcome == InboundEmail.Outcome.APPENDED
    assert record.case == open_case
    assert Case.objects.count() == 1
    event = open_case.events.get(kind=CaseEvent.Kind.CUSTOMER_MESSAGE)
    assert event.text == "Sigue sin llegar, hoy es jueves."
    assert event.is_public
    open_case.refresh_from_db()
    assert open_case.status == Status.IN_PROGRESS  # no longer waiting on the customer


def test_a_reference_in_the_threading_headers_is_enough(open_case):
    record = process(
        mail(subject="Re: mi pedido", headers={"References": "<CX-2026-000042.reply@cx.example>"})
    )

    assert (record.outcome, record.case) == (InboundEmail.Outcome.APPENDED, open_case)


def test_a_reply_from_another_address_of_the_same_customer_is_added(open_case):
    open_case.customer.identities.create(kind="email", value="ana.trabajo@example.com")

    record = process(mail(subject="Re: CX-2026-000042", sender="ana.trabajo@example.com"))

    assert record.outcome == InboundEmail.Outcome.APPENDED


def test_a_stranger_naming_someone_elses_case_gets_a_case_of_their_own(open_case):
    record = process(mail(subject="Re: CX-2026-000042 dame los datos", sender="mallory@evil.example"))

    assert record.outcome == InboundEmail.Outcome.CREATED
    assert record.case != open_case
    assert record.case.customer.email == "mallory@evil.example"
    assert not open_case.events.filter(kind=CaseEvent.Kind.CUSTOMER_MESSAGE).exists()


def test_an_unknown_reference_makes_a_new_case(db):
    assert process(mail(subject="Re: CX-2026-999999")).outcome == InboundEmail.Outcome.CREATED


# --- Once only ----------------------------------------------------------------
def test_the_same_email_twice_makes_one_case_and_returns_the_first_record(db):
    first = process(mail(message_id="<twice@mail>"))
    second = process(mail(message_id="<twice@mail>"), mailbox="webhook:postmark")

    assert second.pk == first.pk
    assert Case.objects.count() == 1
    assert InboundEmail.objects.count() == 1


def test_two_pollers_racing_on_one_email_make_one_case(transactional_db, organisation, monkeypatch):
    import feedback.inbound.services as services

    barrier = threading.Barrier(2)
    parse = services.email_parse

    def parse_together(message):
        # Both have looked for the fingerprint and found nothing: now both claim it.
        barrier.wait(timeout=10)
        return parse(message)

    monkeypatch.setattr(services, "email_parse", parse_together)
    results, errors = [], []

    def poller() -> None:
        try:
            results.append(process(mail(message_id="<race@mail>")).pk)
        except Exception as exc:  # shown by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=poller) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(results) == 2
    assert results[0] == results[1]
    assert Case.objects.count() == 1
    assert InboundEmail.objects.count() == 1


# --- Files --------------------------------------------------------------------
def test_files_pass_the_web_forms_checks_and_refused_ones_are_noted(db):
    files = [
        ("caja.png", PNG, "image/png"),
        ("factura.pdf", PDF, "application/pdf"),
        ("virus.pdf", b"MZ\x90\x00 not a pdf", "application/pdf"),
    ]

    record = process(mail(files=files))

    case = record.case
    assert sorted((a.name, a.content_type) for a in case.attachments.all()) == [
        ("caja.png", "image/png"),
        ("factura.pdf", "application/pdf"),
    ]
    assert "virus.pdf" in record.reason
    note = case.events.get(kind=CaseEvent.Kind.NOTE)
    assert "“virus.pdf” is not a photo or a PDF." in note.text
    assert not note.is_public


def test_more_files_than_the_form_takes_are_left_out(db):
    record = process(mail(files=[(f"foto{n}.png", PNG, "image/png") for n in range(5)]))

    assert record.case.attachments.count() == 3
    assert record.reason.count("foto") == 2


def test_a_file_too_large_is_left_out(db, settings):
    big = PNG + b"\x00" * (5 * 1024 * 1024)

    record = process(mail(files=[("grande.png", big, "image/png")]))

    assert record.outcome == InboundEmail.Outcome.CREATED
    assert not Attachment.objects.exists()
    assert "grande.png" in record.reason


def test_a_reply_keeps_its_files_on_its_message(open_case):
    record = process(mail(subject="Re: CX-2026-000042", files=[("caja.png", PNG, "image/png")]))

    event = open_case.events.get(kind=CaseEvent.Kind.CUSTOMER_MESSAGE)
    assert record.outcome == InboundEmail.Outcome.APPENDED
    assert list(event.attachments.values_list("name", flat=True)) == ["caja.png"]


# --- Mailboxes ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("", None),
        ("maildir:///srv/mail/cx", {"scheme": "maildir", "path": "/srv/mail/cx"}),
        (
            "imaps://cx%40shop.example:p%40ss@mail.example.com/Soporte",
            {
                "scheme": "imaps",
                "host": "mail.example.com",
                "port": 993,
                "user": "cx@shop.example",
                "password": "p@ss",
                "folder": "Soporte",
            },
        ),
        (
            "imap://cx:pw@127.0.0.1:1143",
            {
                "scheme": "imap",
                "host": "127.0.0.1",
                "port": 1143,
                "user": "cx",
                "password": "pw",
                "folder": "INBOX",
            },
        ),
    ],
)
def test_the_mailbox_url_is_read_by_the_settings(url, expected):
    assert _mailbox(url) == expected


def test_a_relative_maildir_is_under_the_project(settings):
    assert _mailbox("maildir://var/mailbox")["path"] == str(Path(settings.BASE_DIR) / "var" / "mailbox")


@pytest.mark.parametrize(
    "url", ["pop3://u:p@host", "imap://host/INBOX", "imap://u:p@host:99999", "maildir://"]
)
def test_a_bad_mailbox_url_stops_the_site_with_a_clear_message(url):
    with pytest.raises(ImproperlyConfigured, match="CX_MAILBOX_URL"):
        _mailbox(url)


def deliver(maildir: Path, message: EmailMessage, name: str, subdir: str = "new") -> Path:
    for sub in ("new", "cur", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    path = maildir / subdir / name
    path.write_bytes(message.as_bytes())
    return path


@pytest.fixture
def maildir(tmp_path, settings):
    path = tmp_path / "mailbox"
    settings.CX_MAILBOX = {"scheme": "maildir", "path": str(path)}
    return path


def test_a_maildir_poll_reads_unread_mail_once_and_marks_it_read(db, maildir):
    deliver(maildir, mail(), "1.a.host")
    deliver(maildir, mail(), "2.a.host:2,F", subdir="cur")
    deliver(maildir, mail(), "3.a.host:2,S", subdir="cur")  # read already: left alone

    assert mailbox_poll(config=MailboxConfig.from_settings()) == {"created": 2}

    assert sorted(p.name for p in (maildir / "cur").iterdir()) == [
        "1.a.host:2,S",
        "2.a.host:2,FS",
        "3.a.host:2,S",
    ]
    assert list((maildir / "new").iterdir()) == []
    assert mailbox_poll(config=MailboxConfig.from_settings()) == {}
    assert Case.objects.count() == 2


def test_a_message_processed_but_not_marked_read_is_seen_again_not_doubled(db, maildir, monkeypatch):
    from feedback.inbound.mailboxes import MaildirReader

    deliver(maildir, mail(), "1.a.host")
    monkeypatch.setattr(MaildirReader, "mark_read", lambda self, key: None)  # the crash: never marked
    assert mailbox_poll(config=MailboxConfig.from_settings()) == {"created": 1}
    monkeypatch.undo()

    assert mailbox_poll(config=MailboxConfig.from_settings()) == {"seen": 1}
    assert Case.objects.count() == 1


def test_a_message_that_fails_stays_unread_and_the_others_go_on(db, maildir, monkeypatch):
    import feedback.inbound.poll as poll

    deliver(maildir, mail(subject="primero"), "1.a.host")
    deliver(maildir, mail(subject="segundo"), "2.a.host")
    real = poll.inbound_email_handle

    def flaky(*, message, **kwargs):
        if message["Subject"] == "primero":
            raise RuntimeError("database away")
        return real(message=message, **kwargs)

    monkeypatch.setattr(poll, "inbound_email_handle", flaky)

    assert mailbox_poll(config=MailboxConfig.from_settings()) == {"failed": 1, "created": 1}
    assert [p.name for p in (maildir / "new").iterdir()] == ["1.a.host"]


def test_the_task_does_nothing_without_a_mailbox_and_skips_while_another_poll_runs(db, maildir, settings):
    deliver(maildir, mail(), "1.a.host")
    settings.CX_MAILBOX = None
    assert tasks.poll_mailbox() == {}

    settings.CX_MAILBOX = {"scheme": "maildir", "path": str(maildir)}
    cache.add(f"inbound:poll:maildir:{maildir}", "busy", 60)
    assert tasks.poll_mailbox() == {"skipped": 1}
    cache.clear()
    assert tasks.poll_mailbox() == {"created": 1}


def test_the_command_polls_once_and_prints_the_counts(db, maildir):
    deliver(maildir, mail(), "1.a.host")
    deliver(maildir, mail(headers={"Auto-Submitted": "auto-replied"}), "2.a.host")
    out = io.StringIO()

    call_command("poll_mailbox", stdout=out)

    assert (
        f"maildir:{maildir}: created 1, appended 0, ignored 1, rejected 0, seen 0, failed 0" in out.getvalue()
    )


def test_the_beat_polls_only_when_a_mailbox_is_set(settings):
    assert settings.CELERY_TASK_ROUTES["feedback.tasks.poll_mailbox"] == {"queue": "periodic"}
    assert ("poll-mailbox" in settings.CELERY_BEAT_SCHEDULE) == bool(settings.CX_MAILBOX)


# --- ESP webhooks (django-anymail) --------------------------------------------
SECRET = "postmark:s3cret-inbound"


def postmark_post(client, payload: dict, auth: str | None = SECRET):
    headers = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(auth.encode()).decode()} if auth else {}
    return client.post(
        "/email/postmark/inbound/", data=json.dumps(payload), content_type="application/json", **headers
    )


def postmark_payload(message_id: str = "<pm-1@mail.example.com>") -> dict:
    """Postmark's inbound JSON with the raw message (its "include raw email content" option)."""
    raw = mail(message_id=message_id, files=[("caja.png", PNG, "image/png")]).as_string()
    return {
        "FromFull": {"Email": "ana@example.com", "Name": "Ana García"},
        "Subject": "Pedido 12345 sin entregar",
        "MessageID": "2f4a0c3e-postmark-uuid",
        "RawEmail": raw,
        "Headers": [{"Name": "Return-Path", "Value": "<ana@example.com>"}],
    }


def test_a_postmark_inbound_webhook_makes_a_case_once(client, db, settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": SECRET}

    first = postmark_post(client, postmark_payload())
    again = postmark_post(client, postmark_payload())  # Postmark retries on a timeout

    assert (first.status_code, again.status_code) == (200, 200)
    record = InboundEmail.objects.get()
    assert (record.mailbox, record.outcome) == ("webhook:postmark", InboundEmail.Outcome.CREATED)
    case = Case.objects.get()
    assert (case.channel, case.message, case.customer.email) == (Channel.EMAIL, LATE, "ana@example.com")
    assert list(case.attachments.values_list("name", flat=True)) == ["caja.png"]


def test_a_webhook_post_with_the_wrong_password_is_refused(client, db, settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": SECRET}

    assert postmark_post(client, postmark_payload(), auth="postmark:guess").status_code == 400
    assert postmark_post(client, postmark_payload(), auth=None).status_code == 400
    assert not InboundEmail.objects.exists()


def test_without_a_webhook_secret_the_basic_auth_webhooks_take_no_email(client, db, settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": ""}

    with pytest.warns(Warning, match="WEBHOOK_SECRET"):
        response = postmark_post(client, postmark_payload(), auth=None)

    assert response.status_code == 400
    assert not InboundEmail.objects.exists()


def test_a_burst_of_replies_is_all_kept_but_the_owner_is_not_emailed_for_each(open_case, laura, settings):
    from notifications.models import Notification

    settings.CX_REPLIES_PER_HOUR = 2
    Case.objects.filter(pk=open_case.pk).update(owner=laura)
    records = [
        process(
            mail(subject="Re: CX-2026-000042", text=f"Mensaje {n}", message_id=f"<burst-{n}@example.com>")
        )
        for n in range(4)
    ]

    assert [record.outcome for record in records] == [InboundEmail.Outcome.APPENDED] * 4
    assert open_case.events.filter(kind=CaseEvent.Kind.CUSTOMER_MESSAGE).count() == 4
    assert Notification.objects.filter(case=open_case, event="customer_message").count() == 2
    assert [bool(record.reason) for record in records] == [False, False, True, True]
    assert "not emailed" in records[-1].reason


def test_a_header_naming_thousands_of_references_costs_a_bounded_number_of_queries(
    open_case, django_assert_max_num_queries
):
    many = " ".join(f"<CX-2026-{n:06d}.reply@cx.example>" for n in range(1000, 4000))
    with django_assert_max_num_queries(80):
        record = process(mail(subject="Re: mi pedido", headers={"References": many}))

    assert record.outcome == InboundEmail.Outcome.CREATED
