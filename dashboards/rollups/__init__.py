"""Daily roll-ups: what happened to each department's cases on each local day.

A dashboard period is whole local days (``TIME_ZONE``). ``tally_days`` goes
through the cases once and counts, per department and day, everything the
indicators are made of: flows on the day they happened (received, answered,
due, resolved, reopened, surveyed) and, for finished days, the state at the
end of the day (backlog, its age, overdue). ``refresh`` stores finished days
as ``DailyFigures`` rows; ``load`` reads stored days and tallies the others
(today, or days the periodic task has not reached yet) live with the same
code, so a page is never wrong, only slower until the task has run. The
state now comes from ``state_now``: aggregate queries on the status, the
same filters as the admin lists the figures link to.

The modules, by job: ``tally`` (what a day's figures are), ``cases`` and
``tallying`` (counting the cases), ``state`` (the state now), ``storage``
(storing and refreshing days) and ``loading`` (a page's days).
"""

from .cases import Epoch
from .loading import Span, load
from .state import state_now
from .storage import (
    IDS,
    LOCK_KEY,
    LOCK_TIMEOUT,
    OVERLAP,
    SECONDS,
    RefreshRunning,
    days_to_refresh,
    first_case_day,
    pack,
    refresh,
    unpack,
)
from .tally import COUNTS, DELIVERY_TAG, OLD_CASE_AGE, Days, Tally
from .tallying import tally_days

__all__ = [
    "COUNTS",
    "DELIVERY_TAG",
    "IDS",
    "LOCK_KEY",
    "LOCK_TIMEOUT",
    "OLD_CASE_AGE",
    "OVERLAP",
    "SECONDS",
    "Days",
    "Epoch",
    "RefreshRunning",
    "Span",
    "Tally",
    "days_to_refresh",
    "first_case_day",
    "load",
    "pack",
    "refresh",
    "state_now",
    "tally_days",
    "unpack",
]
