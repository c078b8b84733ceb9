"""Celery tasks: thin wrappers that take ids and call a service.

Every task is safe to run twice; the services claim their work first.
"""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.utils import timezone

from cxportal.tasks import LONG, PERIODIC, RETRY, SHORT
from feedback.models import Case, Status

from . import services

log = logging.getLogger(__name__)


@shared_task(**RETRY, **SHORT)
def route_case(case_id: int) -> bool:
    return services.case_route(case_id=case_id)


@shared_task(**PERIODIC)
def escalate_overdue() -> int:
    """Warn owners before due dates, escalate missed ones (beat, every minute)."""
    from .escalation import escalate_overdue as run

    return run()


@shared_task(**PERIODIC)
def sweep_unrouted() -> int:
    """Re-queue cases still `new` after a while (broker down, worker lost)."""
    cutoff = timezone.now() - settings.CX_REQUEUE_AFTER
    ids = list(
        Case.objects.filter(status=Status.NEW, routed_at__isnull=True, created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:1000]
    )
    for case_id in ids:
        route_case.delay(case_id)
    if ids:
        log.warning("Re-queued %d unrouted cases.", len(ids))
    return len(ids)


# Dropped when no worker has started it within its time limit: a trial
# still queued after that, or running after twice that, has lost its task
# or its worker, and ``sweep_rule_trials`` marks it failed.
@shared_task(expires=LONG["time_limit"], **LONG)
def run_rule_trial(trial_id: int) -> bool:
    """Try a rule on past cases (what-if); no retry: a failed trial says so and can be started again."""
    from .whatif import rule_trial_run

    return rule_trial_run(trial_id=trial_id)


@shared_task(**PERIODIC)
def sweep_rule_trials() -> int:
    """Mark failed the what-if trials no worker will finish (beat, every minute)."""
    from .whatif import rule_trials_fail_stale

    failed = rule_trials_fail_stale()
    if failed:
        log.warning("Marked %d lost what-if trials failed.", failed)
    return failed


@shared_task(**LONG)
def retrain_triage() -> int:
    """Train a triage model on the settled cases (beat, nightly); returns its version, 0 if stopped.

    A training stopped at its soft limit stores nothing (or a candidate
    not made live): the live model stays, and the next night tries again.
    """
    from .learning import triage_train

    try:
        return triage_train().version
    except SoftTimeLimitExceeded:
        log.warning("Triage training stopped at its time limit; the live model stays.")
        return 0
