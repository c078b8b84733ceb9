"""One step of ``bench/capacity.py``: a steady rate offered, then what it gave.

``Bench.run`` submits through the public form, waits for the owners'
"routed" notifications (``drain``) and for the queues to empty, and returns
a ``Step``: the latencies read from the database, the CPU each process group
used, the notifications per event and the emails the file backend wrote.
"""

import argparse
import contextlib
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench._common import Customers, Submissions, percentile, submit_steadily
from bench._cpu import GROUPS, LOAD_GENERATOR, MACHINE, cpu_seconds
from bench._production import Site, settle

# Below this share of the offered rate, the client could not keep the schedule.
MIN_ACHIEVED = 0.95


def _chunks(values: list, size: int = 5000) -> Iterator[list]:
    # SQLite limits the parameters of one statement.
    for i in range(0, len(values), size):
        yield values[i : i + size]


@dataclass
class Step:
    rate: float
    seconds: float
    submissions: Submissions
    latencies_ms: list[float]
    routed_ms: list[float]  # the part of each latency until the case was routed
    lost: int
    cpu: dict[str, float]  # seconds used by each group during the step
    wall: float
    emails: int
    mail_files: int
    events: dict[str, Counter]
    p95_limit_ms: float
    settled: bool = True

    @property
    def cases(self) -> int:
        return len(self.submissions.references)

    @property
    def reasons(self) -> list[str]:
        """Why the step failed; empty when it passed."""
        reasons = []
        p95 = percentile(self.latencies_ms, 95)
        if not p95 <= self.p95_limit_ms:
            reasons.append(f"p95 {p95:.0f} > {self.p95_limit_ms:g} ms")
        if self.lost:
            reasons.append(f"{self.lost} lost")
        if self.submissions.errors:
            reasons.append(f"{self.submissions.errors} HTTP errors")
        if not self.submissions.achieved_rate >= MIN_ACHIEVED * self.rate:
            reasons.append(f"sent {self.submissions.achieved_rate:.1f}/s < {MIN_ACHIEVED:.0%} of offered")
        return reasons

    @property
    def passed(self) -> bool:
        return not self.reasons

    def cpu_ms_per_case(self, group: str) -> float:
        return self.cpu[group] * 1000 / self.cases if self.cases else float("nan")

    @property
    def site_cpu(self) -> float:
        return sum(v for k, v in self.cpu.items() if k in GROUPS)

    @property
    def cores_busy(self) -> float:
        """Cores the site and the load generator kept busy, on average over the step."""
        return (self.site_cpu + self.cpu[LOAD_GENERATOR]) / self.wall

    @property
    def others_busy(self) -> float:
        """Cores other processes on the machine kept busy meanwhile."""
        return max(0.0, self.cpu[MACHINE] / self.wall - self.cores_busy)


def drain(references: list[str], timeout: float) -> tuple[list[float], list[float], int]:
    """Wait up to ``timeout`` s for every owner's "routed" notification.

    Returns the end-to-end latencies (ms) of the notified cases, the part of
    each until the case was routed (ms), and how many cases were lost.
    """
    from feedback.models import Case
    from notifications.models import Notification

    ids = []
    for chunk in _chunks(references):
        ids += Case.objects.filter(reference__in=chunk).values_list("pk", flat=True)
    deadline = time.monotonic() + timeout
    while True:
        sent = sum(
            Notification.objects.filter(case_id__in=chunk, event="routed", sent_at__isnull=False).count()
            for chunk in _chunks(ids)
        )
        if sent >= len(references) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    latencies, to_routed = [], []
    for chunk in _chunks(ids):
        cases = {
            pk: (created, routed)
            for pk, created, routed in Case.objects.filter(pk__in=chunk, routed_at__isnull=False).values_list(
                "pk", "created_at", "routed_at"
            )
        }
        for case_id, sent_at in Notification.objects.filter(
            case_id__in=chunk, event="routed", sent_at__isnull=False
        ).values_list("case_id", "sent_at"):
            if case_id in cases:
                created, routed = cases[case_id]
                latencies.append((sent_at - created).total_seconds() * 1000)
                to_routed.append((routed - created).total_seconds() * 1000)
    return latencies, to_routed, len(references) - len(latencies)


def notification_counts(references: list[str]) -> dict[str, Counter]:
    """Per event, how many of the step's notifications are in each status."""
    from django.db.models import Count

    from notifications.models import Notification

    events: dict[str, Counter] = {}
    for chunk in _chunks(references):
        rows = (
            Notification.objects.filter(case__reference__in=chunk)
            .values_list("event", "status")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for event, status, n in rows:
            events.setdefault(event, Counter())[status] += n
    return events


def mail_files(mail_dir: Path) -> set[str]:
    return {p.name for p in mail_dir.iterdir()} if mail_dir.exists() else set()


def count_emails(mail_dir: Path, known: set[str]) -> tuple[int, int]:
    """Emails, and files holding them, that the file backend wrote since ``known`` was listed."""
    new = mail_files(mail_dir) - known
    emails = 0
    for name in new:
        # The file backend writes each message followed by a line of 79 dashes.
        with contextlib.suppress(OSError):
            emails += (mail_dir / name).read_bytes().count(b"\n" + b"-" * 79 + b"\n")
    return emails, len(new)


@dataclass
class Bench:
    site: Site
    customers: Customers
    roots: dict[str, list[int]]
    args: argparse.Namespace
    next_n: int = 0

    def run(self, rate: float, seconds: float) -> Step:
        """Offer ``rate`` submissions/s for ``seconds``, drain, settle; what it took."""
        mail_before = mail_files(self.site.mail_dir)
        before = cpu_seconds(self.roots)
        started = time.monotonic()
        submissions = submit_steadily(
            self.customers, rate, seconds, start_n=self.next_n, tag=f"Capacity {rate:g}/s"
        )
        self.next_n += int(rate * seconds)
        latencies, routed, lost = drain(submissions.references, self.args.drain)
        # The acknowledgements and anything else the step queued, so its CPU is all in.
        settled = settle(self.site.redis_url, self.args.settle)
        after = cpu_seconds(self.roots)
        wall = time.monotonic() - started
        emails, files = count_emails(self.site.mail_dir, mail_before)
        return Step(
            rate=rate,
            seconds=seconds,
            submissions=submissions,
            latencies_ms=latencies,
            routed_ms=routed,
            lost=lost,
            cpu={k: after[k] - before[k] for k in after},
            wall=wall,
            emails=emails,
            mail_files=files,
            events=notification_counts(submissions.references),
            p95_limit_ms=self.args.p95_ms,
            settled=settled,
        )
