"""The state now (backlog, old and overdue cases) from the cases' status."""

from datetime import datetime

from django.db.models import Count, Q

from feedback.models import OPEN_STATUSES, Case
from feedback.selectors import overdue_q

from .tally import OLD_CASE_AGE, Tally


def state_now(*, now: datetime, departments: list[int] | None = None, ages: bool = False) -> dict:
    """The backlog, old cases and overdue cases now, per department: {department id or None: Tally}.

    Counted from the status with ``overdue_q``, as the admin lists the
    figures link to. ``ages`` adds the median age of the open cases (one
    more query, over every open case).
    """
    cases = Case.objects.filter(status__in=OPEN_STATUSES).order_by()
    if departments is not None:
        cases = cases.filter(department_id__in=departments)
    state: dict[int | None, Tally] = {}
    for row in cases.values("department_id").annotate(
        backlog=Count("pk"),
        backlog_old=Count("pk", filter=Q(created_at__lt=now - OLD_CASE_AGE)),
        overdue=Count("pk", filter=overdue_q(now=now)),
    ):
        state[row["department_id"]] = Tally(
            backlog=row["backlog"], backlog_old=row["backlog_old"], overdue=row["overdue"]
        )
    if ages:
        for dep, created in cases.values_list("department_id", "created_at"):
            # setdefault: a case may have opened since the counts were taken.
            state.setdefault(dep, Tally()).ages.append(max(0.0, (now - created).total_seconds()))
        for tally in state.values():
            tally.keep_median_age()
    return state
