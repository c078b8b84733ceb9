"""The supervisor of ``runportal`` restarts a child that dies, backs off, and gives up in the end.

The children are tiny real processes (a Python that exits at once or
sleeps); the clock is the test's, so back-off and the restart window are
checked without waiting for them.
"""

import io
import smtplib
import socket
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest

from cxportal.runner import (
    Child,
    GaveUp,
    PortalOptions,
    RestartPolicy,
    StartupError,
    Supervisor,
    exit_description,
    free_port,
)
from cxportal.runner.portal import _inbound_banner, _start_smtp_sink

EXITS = [sys.executable, "-c", "import sys; sys.exit(3)"]
SLEEPS = [sys.executable, "-c", "import time; time.sleep(60)"]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def supervisor():
    out = io.StringIO()
    supervisor = Supervisor(env={"PATH": "/usr/bin:/bin"}, cwd=Path.cwd(), out=out)
    try:
        yield supervisor
    finally:
        supervisor.stop(grace=2)


def died(child: Child) -> None:
    child.process.wait(timeout=10)


def test_the_back_off_grows_and_is_capped():
    policy = RestartPolicy(first_delay=0.5, max_delay=4)

    assert [policy.delay(n) for n in range(1, 7)] == [0, 0.5, 1, 2, 4, 4]


def test_exits_are_described_by_signal_or_status():
    assert exit_description(-9) == "killed by SIGKILL"
    assert exit_description(3) == "status 3"


def test_a_child_that_dies_is_restarted_with_the_same_command_and_the_console_says_so(supervisor):
    clock = Clock()
    child = supervisor.start("worker", EXITS)
    first_pid = child.process.pid
    died(child)

    assert supervisor.tend(RestartPolicy(limit=3), now=clock) == [child]

    assert child.process.pid != first_pid
    assert child.argv == EXITS
    assert supervisor.children == [child]  # same place in the stop order, no second entry
    log = supervisor.out.getvalue()
    assert (
        "worker exited unexpectedly (status 3); restarting it now (restart 1 of at most 3 within 60 s)."
        in log
    )
    assert f"worker restarted (pid {child.process.pid})." in log


def test_later_restarts_wait_and_a_child_dying_too_often_stops_the_site(supervisor):
    clock = Clock()
    policy = RestartPolicy(limit=2, window=60, first_delay=5)
    child = supervisor.start("beat", EXITS)
    died(child)
    supervisor.tend(policy, now=clock)
    died(child)
    clock.now += 1

    assert supervisor.tend(policy, now=clock) == []  # second death: waits 5 s
    assert "restarting it in 5.0 s (restart 2 of at most 2" in supervisor.out.getvalue()
    clock.now += 5
    assert supervisor.tend(policy, now=clock) == [child]
    died(child)
    clock.now += 1

    with pytest.raises(
        GaveUp, match=r"beat exited unexpectedly \(status 3\) and has now died 3 times within 60 s"
    ):
        supervisor.tend(policy, now=clock)


def test_deaths_older_than_the_window_no_longer_count(supervisor):
    clock = Clock()
    policy = RestartPolicy(limit=1, window=60)
    child = supervisor.start("web", EXITS)
    died(child)
    supervisor.tend(policy, now=clock)
    died(child)
    clock.now += 61

    assert supervisor.tend(policy, now=clock) == [child]  # a death a minute ago is forgiven


def test_redis_answers_again_before_a_worker_that_died_with_it_is_restarted(supervisor):
    redis = supervisor.start("redis", EXITS)
    worker = supervisor.start("worker", EXITS)
    died(redis)
    died(worker)
    seen = []

    def redis_back(child: Child) -> None:
        seen.append((child.name, worker.process.returncode))

    restarted = supervisor.tend(RestartPolicy(), after_restart={"redis": redis_back}, now=Clock())

    assert restarted == [redis, worker]
    assert seen == [("redis", 3)]  # the worker was still the dead one while Redis came back


def test_a_restart_that_dies_before_answering_counts_as_one_more_death(supervisor):
    clock = Clock()
    redis = supervisor.start("redis", EXITS)
    died(redis)

    def never_answers(child: Child) -> None:
        died(child)
        raise StartupError("Redis exited before answering.")

    policy = RestartPolicy(limit=1)
    assert supervisor.tend(policy, after_restart={"redis": never_answers}, now=clock) == []
    with pytest.raises(GaveUp, match="redis exited unexpectedly"):
        supervisor.tend(policy, after_restart={"redis": never_answers}, now=clock)


def test_a_restarted_child_that_runs_but_does_not_answer_stops_the_site(supervisor):
    redis = supervisor.start("redis", EXITS)
    redis.argv = SLEEPS  # the next start lives on
    died(redis)

    def times_out(child: Child) -> None:
        raise StartupError("Redis did not answer within 20 s.")

    with pytest.raises(GaveUp, match="redis was restarted but is not working"):
        supervisor.tend(RestartPolicy(), after_restart={"redis": times_out}, now=Clock())


@pytest.fixture
def busy_port():
    """A port something already listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_the_smtp_sink_delivers_what_it_receives_into_the_maildir_the_site_reads(
    supervisor, tmp_path, busy_port, monkeypatch
):
    monkeypatch.delenv("CX_MAILBOX_URL", raising=False)
    supervisor.env.pop("CX_MAILBOX_POLL_SECONDS", None)

    sink = _start_smtp_sink(supervisor, PortalOptions(smtp_port=busy_port), tmp_path)

    assert sink.port != busy_port
    assert f"Port {busy_port} is in use: the SMTP sink listens on {sink.port}." in supervisor.out.getvalue()
    assert supervisor.env["CX_MAILBOX_URL"] == f"maildir://{tmp_path / 'mailbox'}"
    assert supervisor.env["CX_MAILBOX_POLL_SECONDS"] == "5"
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = (
        "ana@example.com",
        "support@cxportal.localhost",
        "Hola",
    )
    message.set_content("Mi pedido no ha llegado.")
    with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as smtp:
        smtp.send_message(message)
    delivered = list((tmp_path / "mailbox" / "new").iterdir())
    assert len(delivered) == 1
    assert b"Mi pedido no ha llegado." in delivered[0].read_bytes()


def test_with_a_mailbox_of_its_own_the_site_starts_no_sink(supervisor, tmp_path, monkeypatch):
    monkeypatch.setenv("CX_MAILBOX_URL", "imaps://cx:pw@mail.example.com/INBOX")

    assert _start_smtp_sink(supervisor, PortalOptions(smtp_port=free_port()), tmp_path) is None
    assert supervisor.children == []
    assert _inbound_banner(None, PortalOptions(), tmp_path) == "Inbound email: read from CX_MAILBOX_URL.\n"


def test_the_banner_says_where_to_write_and_how_to_try_it(tmp_path):
    from cxportal.runner.portal import SmtpSink

    banner = _inbound_banner(
        SmtpSink(2525, tmp_path / "mailbox", "5"), PortalOptions(inbound_address="cx@shop.example"), tmp_path
    )

    assert (
        f"write to cx@shop.example at smtp://127.0.0.1:2525 (read from {tmp_path / 'mailbox'} every 5 s)"
        in banner
    )
    assert (
        "curl smtp://127.0.0.1:2525 --mail-from ana@example.com --mail-rcpt cx@shop.example "
        f"--upload-file {tmp_path / 'docs' / 'sample-complaint.eml'}" in banner
    )
