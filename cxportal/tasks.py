"""What every app's Celery tasks share: retry options, time limits by kind, queueing after commit.

Named ``tasks`` so Celery's autodiscovery looks here too; it defines no task.
"""

import logging
from typing import Any, TypedDict

from celery import Task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction

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
