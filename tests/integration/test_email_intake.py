"""Email intake against real servers: Dovecot over IMAP, the aiosmtpd sink `make run` starts.

The poller runs in the test process; the cases it makes are routed by the
real Celery worker through the real Redis.
"""

import smtplib
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest

from cxportal.env import mailbox as _mailbox
from feedback import tasks
from feedback.inbound import mailboxes
from feedback.inbound.mailboxes import ImapReader
from feedback.models import Case, Channel, InboundEmail

from .imap import DOVECOT, DovecotServer
from .parts import BASE_DIR, wait_for, wait_until_drained

pytestmark = pytest.mark.integration

SAMPLE = BASE_DIR / "docs" / "sample-complaint.eml"
TIMEOUT = 30


def email(n: int, **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = f"Cliente {n} <cliente{n}@example.com>"
    message["To"] = "support@cxportal.localhost"
    message["Subject"] = f"Pedido {n} sin entregar"
    message["Message-ID"] = f"<imap-{n}@mail.example.com>"
    for name, value in headers.items():
        message[name] = value
    message.set_content(f"Mi pedido {n} no ha llegado, lleva cinco días de retraso.")
    return message.as_bytes()


@pytest.fixture
def dovecot():
    if not DOVECOT.exists():
        pytest.skip(f"Dovecot is not installed ({DOVECOT} is missing): apt-get install dovecot-imapd")
    server = DovecotServer.start()
    try:
        yield server
    finally:
        print(f"--- dovecot log ---\n{server.log()}")
        server.stop()


class Crash(BaseException):
    """The poller dying (a kill, a power cut): nothing after it runs, no handler catches it."""


def test_an_imap_mailbox_is_read_once_even_when_the_poller_dies_mid_batch(db, dovecot, settings, monkeypatch):
    settings.CX_MAILBOX = _mailbox(dovecot.url)
    dovecot.append(email(1))
    dovecot.append(email(2))
    dovecot.append(email(3, **{"Auto-Submitted": "auto-replied"}))

    # The first message is processed and committed, then the poller dies
    # before telling the server it was read.
    def die(self, key):
        raise Crash

    monkeypatch.setattr(ImapReader, "mark_read", die)
    with pytest.raises(Crash):
        tasks.poll_mailbox()
    monkeypatch.undo()
    assert Case.objects.count() == 1
    assert not any(b"\\Seen" in flags for flags in dovecot.flags())

    assert tasks.poll_mailbox() == {"seen": 1, "created": 1, "ignored": 1}
    assert tasks.poll_mailbox() == {}

    assert sorted(Case.objects.values_list("customer__email", flat=True)) == [
        "cliente1@example.com",
        "cliente2@example.com",
    ]
    assert InboundEmail.objects.count() == 3
    flags = dovecot.flags()
    assert len(flags) == 3
    assert all(b"\\Seen" in item for item in flags)
    assert {record.mailbox for record in InboundEmail.objects.all()} == {
        f"imap://cx@127.0.0.1:{dovecot.port}/INBOX"
    }


def test_mail_sent_to_the_smtp_sink_becomes_a_case_routed_by_the_worker(
    transactional_db, organisation, smtp_sink, real_celery, settings
):
    sample = BytesParser(policy=policy.default).parsebytes(SAMPLE.read_bytes())
    with smtplib.SMTP("127.0.0.1", smtp_sink.port, timeout=10) as smtp:
        smtp.send_message(sample, from_addr="ana@example.com", to_addrs=["support@cxportal.localhost"])
    wait_for(lambda: list((smtp_sink.maildir / "new").glob("*")), timeout=TIMEOUT, what="the sink's delivery")
    settings.CX_MAILBOX = _mailbox(f"maildir://{smtp_sink.maildir}")

    assert tasks.poll_mailbox() == {"created": 1}

    case = Case.objects.get()
    assert (case.channel, case.language, case.customer.email) == (Channel.EMAIL, "es", "ana@example.com")
    assert case.subject == "Pedido 48213 sin entregar: cinco días de retraso"
    assert "todavía no ha llegado" in case.message

    def routed():
        case.refresh_from_db()
        return case.routed_at

    wait_for(routed, timeout=TIMEOUT, what="the worker to route the emailed case", interval=0.2)
    assert case.department.slug == "customer-service"
    assert list((smtp_sink.maildir / "new").iterdir()) == []
    assert tasks.poll_mailbox() == {}
    assert case.routing_attempts == 1
    # Still one case routed once when nothing is left to run.
    wait_until_drained(real_celery.broker_url, timeout=TIMEOUT)
    assert Case.objects.get() == case
    case.refresh_from_db()
    assert case.routing_attempts == 1


def test_imap_mail_read_by_someone_else_before_the_poll_still_becomes_a_case(db, dovecot, settings):
    settings.CX_MAILBOX = _mailbox(dovecot.url)
    dovecot.append(email(1))
    dovecot.append(email(2))
    # An agent opens the shared mailbox in a mail client first: the mail client marks it read.
    client = dovecot.client()
    try:
        assert client.uid("STORE", "1:*", "+FLAGS", "(\\Seen)")[0] == "OK"
    finally:
        client.logout()

    assert tasks.poll_mailbox() == {"created": 2}
    assert tasks.poll_mailbox() == {}

    assert Case.objects.count() == 2
    flags = dovecot.flags()
    assert len(flags) == 2
    assert all(b"$CXPortal" in item and b"\\Seen" in item for item in flags)


def test_imap_falls_back_to_unseen_when_the_server_takes_no_new_keywords(db, dovecot, settings, monkeypatch):
    settings.CX_MAILBOX = _mailbox(dovecot.url)
    monkeypatch.setattr(mailboxes, "keyword_allowed", lambda permanent_flags: False)
    dovecot.append(email(1))
    dovecot.append(email(2))

    assert tasks.poll_mailbox() == {"created": 2}
    assert tasks.poll_mailbox() == {}

    flags = dovecot.flags()
    assert len(flags) == 2
    assert all(b"\\Seen" in item and b"$CXPortal" not in item for item in flags)


@pytest.mark.parametrize(
    ("permanent_flags", "allowed"),
    [
        (b"(\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)", True),
        (b"(\\Answered \\Seen $CXPortal)", True),  # no new keywords, but ours exists already
        (b"(\\Answered \\Flagged \\Deleted \\Seen \\Draft)", False),
        (None, False),
    ],
)
def test_the_keyword_is_used_only_where_the_server_keeps_it(permanent_flags, allowed):
    assert mailboxes.keyword_allowed(permanent_flags) is allowed
