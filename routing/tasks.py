"""Celery tasks: thin wrappers that take ids and call a service.

Every task is safe to run twice; the services claim their work first.
"""

import logging
from typing import Any, TypedDict, cast

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from feedback.models import Case, Status

from . import services
from .models import Notification

log = logging.getLogger(__name__)

# Soft and hard time limits by kind of task (see CX_TASK_TIME_LIMITS in the settings).
# Typed loosely: Celery takes fractional seconds, which its type stubs declare as ``int``.
LIMITS: dict[str, dict[str, Any]] = settings.CX_TASK_TIME_LIMITS
SHORT, PERIODIC, LONG = (LIMITS[kind] for kind in ("short", "periodic", "long"))


class RetryOptions(TypedDict):
    """Celery's retry options, typed so ``shared_task`` can check them."""

    autoretry_for: tuple[type[BaseException], ...]
    dont_autoretry_for: tuple[type[BaseException], ...]
    retry_backoff: int
    retry_backoff_max: int
    max_retries: int


# A task stopped at its soft limit is not retried: retries seconds apart
# would most likely meet the same slowness and hold a worker for up to 9
# limits. What it left undone is taken up by a sweep: a case still new is
# re-queued a minute later, an email or webhook left claimed is marked
# failed (it may have gone out).
RETRY: RetryOptions = {
    "autoretry_for": (Exception,),
    "dont_autoretry_for": (SoftTimeLimitExceeded,),
    "retry_backoff": 2,
    "retry_backoff_max": 120,
    "max_retries": 8,
}


def queue(task: Task, *args: object) -> None:
    """Send ``task`` once the current transaction commits.

    A broker outage must not turn a stored case into an error page: the
    failure is logged and the periodic sweep sends the task later.
    """

    def send() -> None:
        try:
            task.delay(*args)
        except Exception:
            log.exception("Could not queue %s%r; the sweep will retry.", task.name, args)

    transaction.on_commit(send)


@shared_task(**RETRY, **SHORT)
def route_case(case_id: int) -> bool:
    return services.case_route(case_id=case_id)


@shared_task(**RETRY, **SHORT)
def send_notification(notification_id: int) -> bool:
    return services.notification_send(notification_id=notification_id)


@shared_task(**RETRY, **SHORT)
def send_notifications(notification_ids: list[int], keys: list[str] | None = None) -> int:
    """Send the emails one event causes (a routing: owner, watchers, the acknowledgement) in one task.

    Only those still pending are claimed, so a retry after one failed
    sends only the rest. Returns how many this run sent.
    """
    return services.notifications_send(notification_ids=notification_ids, keys=keys or ())


@shared_task(bind=True, **RETRY, **SHORT)
def send_webhook(self: Task, notification_id: int) -> bool:
    from .webhooks import webhook_send

    # The last retry turns a transient failure into a permanent one. RETRY
    # sets ``max_retries``; the stubs type it as the None Celery also allows.
    return webhook_send(
        notification_id=notification_id, last_attempt=self.request.retries >= cast(int, self.max_retries)
    )


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


@shared_task(**PERIODIC)
def sweep_notifications() -> int:
    """Re-queue notifications still pending after a while.

    One claimed ("sending") long ago belonged to a worker that died mid-send:
    it may or may not have gone out, and sending again could notify someone
    twice, so it is marked failed for staff to see in the notification log.
    """
    now = timezone.now()
    Notification.objects.filter(
        status=Notification.Status.SENDING, claimed_at__lt=now - settings.CX_SENDING_TIMEOUT
    ).update(status=Notification.Status.FAILED, last_error="Worker lost while sending; outcome unknown.")
    cutoff = now - settings.CX_REQUEUE_AFTER
    pending = list(
        Notification.objects.filter(status=Notification.Status.PENDING, created_at__lt=cutoff).values_list(
            "pk", "channel"
        )[:1000]
    )
    for notification_id, channel in pending:
        task = send_webhook if channel == Notification.Channel.WEBHOOK else send_notification
        task.delay(notification_id)
    return len(pending)


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
