"""What a day's figures are made of: the ``Tally`` of one department on one day."""

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

# The tag of delivery complaints whose lateness the logistics figures measure.
DELIVERY_TAG = "delivery-delay"
# An open case older than this is "old" in the backlog.
OLD_CASE_AGE = timedelta(days=7)
# The additive counters of a day (``Tally.counts``); only these are stored.
COUNTS = (
    "received",
    # First-response and resolution dates that came that day, and how many
    # of them were met (answered or resolved by then).
    "fr_due",
    "fr_met",
    "res_due",
    "res_met",
    # Of the cases received that day: answered, and answered within the promise.
    "answered",
    "kept",
    "resolved",
    "reopened",
    "surveys",
    "csat_sum",
    "satisfied",
    "promoters",
    "detractors",
    "ces_sum",
)


@dataclass
class Tally:
    """The figures of one department on one day, or summed over several days."""

    counts: Counter = field(default_factory=Counter)
    first_response: list[int] = field(default_factory=list)
    resolution: list[int] = field(default_factory=list)
    late_days: Counter = field(default_factory=Counter)
    delivery_late_days: Counter = field(default_factory=Counter)
    by_kind: Counter = field(default_factory=Counter)
    by_channel: Counter = field(default_factory=Counter)
    by_tag: Counter = field(default_factory=Counter)
    # The customer of each case received, for repeat complainants.
    customers: list[int] = field(default_factory=list)
    # The state at the end of the day (or now).
    backlog: int = 0
    backlog_old: int = 0
    overdue: int = 0
    backlog_median_age: timedelta | None = None
    # Ages (seconds) of the open cases, while tallying; only their median is kept.
    ages: list[float] = field(default_factory=list, repr=False)

    def add_flows(self, other: "Tally") -> None:
        """Add ``other``'s flows; the state is a day's, never summed."""
        self.counts.update(other.counts)
        self.first_response.extend(other.first_response)
        self.resolution.extend(other.resolution)
        self.customers.extend(other.customers)
        for name in ("late_days", "delivery_late_days", "by_kind", "by_channel", "by_tag"):
            getattr(self, name).update(getattr(other, name))

    def take_state(self, other: "Tally") -> None:
        self.backlog, self.backlog_old, self.overdue = other.backlog, other.backlog_old, other.overdue
        self.backlog_median_age = other.backlog_median_age

    def keep_median_age(self) -> None:
        """Replace the ages gathered (if any) by their median."""
        if self.ages:
            self.backlog_median_age = timedelta(seconds=round(statistics.median(self.ages)))
            self.ages = []


# {(department id or None, day): Tally}
Days = dict[tuple[int | None, date], Tally]
