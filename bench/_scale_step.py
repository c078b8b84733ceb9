"""One step of ``bench/scale.py``: its settings, what it measured, and the reads that measure it.

``Config`` is the run's command line, ``Step`` what one run with M routing
workers gave; ``drain`` waits for the backlog and ``measure`` fills the
step in from the database's timestamps and the email files the file
backend wrote (one per notification key, or the check fails).
"""

import email
import email.policy
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

# The file email backend ends every message with this line.
EMAIL_SEPARATOR = b"\n" + b"-" * 79 + b"\n"
NOTIFICATION_HEADER = "X-CX-Notification"


@dataclass
class Config:
    workers: list[int]
    web: int
    routing_concurrency: int
    notification_concurrency: int
    rate: float
    users: int
    seconds: float
    drain: float
    visibility: int
    pool: int
    db_reuse_max: int
    faults: bool


@dataclass
class Step:
    """What one run with M routing workers measured."""

    routing_workers: int
    tag: str
    directory: Path
    accepted: int = 0
    http_failures: dict[str, int] = field(default_factory=dict)
    stored: int = 0
    load_seconds: float = 0.0
    intake: float = 0.0
    under_load: float = 0.0
    draining: float = 0.0
    overall: float = 0.0
    # From the first submission to the last owner email (the stragglers included).
    last_seconds: float = 0.0
    slowest: list[str] = field(default_factory=list)
    backlog: int = 0
    drain_seconds: float | None = None
    latency_p50: float = float("nan")
    latency_p95: float = float("nan")
    lost: list[str] = field(default_factory=list)
    not_stored: list[str] = field(default_factory=list)
    unsent: list[str] = field(default_factory=list)
    emails: int = 0
    keys_emailed: int = 0
    duplicated: dict[str, int] = field(default_factory=dict)
    sent_not_emailed: list[str] = field(default_factory=list)
    owner_emails_per_case: Counter = field(default_factory=Counter)
    faults: list[str] = field(default_factory=list)
    requeued_by_sweep: int = 0
    error_lines: dict[str, int] = field(default_factory=dict)
    cpu_ms_per_case: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not (self.lost or self.not_stored or self.duplicated or self.sent_not_emailed or self.unsent)


def read_notification_keys(directory: Path) -> Counter:
    """How many emails the file backend wrote for each X-CX-Notification key."""
    keys: Counter = Counter()
    for path in directory.glob("*.log"):
        for chunk in path.read_bytes().split(EMAIL_SEPARATOR):
            if chunk.strip():
                message = email.message_from_bytes(chunk, policy=email.policy.default)
                keys[message.get(NOTIFICATION_HEADER, "(none)")] += 1
    return keys


def step_cases(tag: str):
    from feedback.models import Case

    # The locustfile writes "<tag> <n>" as each case's subject.
    return Case.objects.filter(subject__startswith=f"{tag} ")


def owner_emails(cases):
    """The cases' owner "routed" notifications marked sent."""
    from django.db.models import F

    from notifications.models import Notification

    return Notification.objects.filter(
        case__in=cases, event="routed", recipient_id=F("case__owner_id"), status=Notification.Status.SENT
    )


def emails_of(cases):
    from notifications.models import Notification

    return Notification.objects.filter(
        case__in=cases, channel__in=[Notification.Channel.EMAIL, Notification.Channel.CUSTOMER_EMAIL]
    )


def unfinished(tag: str) -> tuple[int, int]:
    """(cases not yet routed with their owner emailed, emails still pending) for the step."""
    from django.db import connection

    from notifications.models import Notification

    # A fresh connection each time: the bench terminates them all once per step.
    connection.close()
    cases = step_cases(tag)
    done = owner_emails(cases).count()
    pending = emails_of(cases).filter(status=Notification.Status.PENDING).count()
    return cases.count() - done, pending


def drain(step: Step, tag: str, limit: float) -> None:
    """Wait until every case is routed with its owner emailed and no email is pending."""
    started = time.monotonic()
    step.backlog = unfinished(tag)[0]
    while True:
        cases_left, emails_left = unfinished(tag)
        if not cases_left and not emails_left:
            step.drain_seconds = time.monotonic() - started
            # An email being written right now finishes within moments.
            time.sleep(2)
            return
        if time.monotonic() - started > limit:
            return
        time.sleep(0.5)


def measure(step: Step, references: list[str]) -> None:
    """Throughput, latency and the lost / duplicated checks, from the database and the email files."""
    from django.db import connection
    from django.db.models import F, Max, Min

    from notifications.models import Notification

    connection.close()
    cases = step_cases(step.tag)
    step.stored = cases.count()
    bounds = cases.aggregate(first=Min("created_at"), last=Max("created_at"))
    notified = owner_emails(cases)
    last_email = notified.aggregate(last=Max("sent_at"))["last"]
    if bounds["first"] and last_email:
        first, last = bounds["first"], bounds["last"]
        step.load_seconds = max((last - first).total_seconds(), 1e-3)
        step.intake = step.stored / step.load_seconds
        step.under_load = notified.filter(sent_at__lte=last).count() / step.load_seconds
        after = notified.filter(sent_at__gt=last).count()
        step.draining = after / max((last_email - last).total_seconds(), 1e-3) if after else float("nan")
        sent = sorted(notified.values_list("sent_at", flat=True))
        most = max(1, int(len(sent) * 0.99))
        step.overall = most / max((sent[most - 1] - first).total_seconds(), 1e-3)
        step.last_seconds = (last_email - first).total_seconds()
        latencies = sorted(
            (sent - created).total_seconds()
            for sent, created in notified.values_list("sent_at", "case__created_at")
        )
        step.latency_p50 = statistics.median(latencies)
        step.latency_p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]

    stored = set(cases.values_list("reference", flat=True))
    step.not_stored = [r for r in references if r not in stored]
    step.lost = sorted(stored - set(notified.values_list("case__reference", flat=True)))
    # The slowest cases and where their time went: a redelivery, a retry, a sweep.
    slowest = notified.order_by(F("case__created_at") - F("sent_at"))[:3]
    step.slowest = [
        f"{n.case.reference}: routed after {(n.case.routed_at - n.case.created_at).total_seconds():.0f} s "
        f"({n.case.routing_attempts} routing attempt(s)), owner emailed "
        f"{(n.sent_at - n.case.routed_at).total_seconds():.0f} s later ({n.attempts} attempt(s))"
        for n in slowest.select_related("case")
    ]
    step.unsent = [
        f"{key} ({status}, {attempts} attempt(s){': ' + error[:80] if error else ''})"
        for key, status, attempts, error in emails_of(cases)
        .exclude(status=Notification.Status.SENT)
        .values_list("key", "status", "attempts", "last_error")
    ]
    emailed = read_notification_keys(step.directory / "mail")
    step.emails = sum(emailed.values())
    step.keys_emailed = len(emailed)
    step.duplicated = {key: count for key, count in emailed.items() if count > 1}
    sent_keys = set(emails_of(cases).filter(status=Notification.Status.SENT).values_list("key", flat=True))
    step.sent_not_emailed = sorted(sent_keys - set(emailed))
    owner_keys = dict(notified.values_list("case__reference", "key"))
    step.owner_emails_per_case = Counter(emailed.get(owner_keys.get(r, "-"), 0) for r in stored)
