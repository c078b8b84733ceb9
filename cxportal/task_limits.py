"""Time limits of the Celery tasks, and the Redis visibility timeout they must stay under.

Time limits of the tasks, by kind; CX_TASK_LIMIT_SHORT, _PERIODIC and _LONG
set a kind's hard limit in seconds. At the hard limit the task's process is
killed; at the soft limit, a fifth earlier (30 s at most), the task gets
SoftTimeLimitExceeded and stops with its work clean (a what-if trial is
marked failed, a dashboard refresh keeps the months it stored, a sweep
leaves the rest to its next round). Kinds:

* short (60 s): one case, email or webhook: route_case,
  send_notification(s), send_webhook. Its soft limit must leave a webhook
  twice CX_WEBHOOK_TIMEOUT (to connect, then for the answer): the default
  is at least 3 times that timeout; a value set too low stops start-up.
* periodic (300 s): sweeps, escalation, retention, the mailbox poll.
* long (540 s): dashboard refresh, triage retraining, what-if trials and
  CSV imports (a file of thousands of cases).

Every hard limit must stay below CX_VISIBILITY_TIMEOUT, or Redis hands a
task still running to a second worker: a limit set at or above it stops
start-up, and an unset one is cut to 90% of it (so a low timeout, as tests
use, shrinks every limit). A retried task also waits out its countdown
(at most 120 s) unacknowledged: keep the timeout above that plus the short limit.
"""

import environ
from django.core.exceptions import ImproperlyConfigured


def broker_transport_options(visibility_timeout: int) -> dict:
    """CELERY_BROKER_TRANSPORT_OPTIONS: Redis redelivers a task unacknowledged for ``visibility_timeout`` s."""
    return {
        "visibility_timeout": visibility_timeout,
        # How often a worker looks for such overdue messages (kombu's default is
        # every 100 s): a few times per timeout, one cheap Redis query each.
        "unacked_restore_interval": max(1, min(60, visibility_timeout // 3)),
        "unacked_restore_throttle": 1,
        # A worker killed while restoring holds the restore lock until it expires.
        "unacked_mutex_expire": min(300, max(5, visibility_timeout)),
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
    }


def task_time_limits(
    env: environ.Env, *, visibility_timeout: int, webhook_timeout: float
) -> dict[str, dict[str, float]]:
    """The soft and hard limit of each kind of task, as Celery task options.

    ``CX_TASK_LIMIT_<KIND>`` is read from ``env``; a value that breaks the
    rules in the module docstring raises ImproperlyConfigured.
    """
    defaults = {"short": max(60, 3 * webhook_timeout), "periodic": 300, "long": 540}
    limits = {}
    for kind, default in defaults.items():
        name = f"CX_TASK_LIMIT_{kind.upper()}"
        chosen = env.float(name, default=None)
        hard = min(default, 0.9 * visibility_timeout) if chosen is None else chosen
        soft = hard - min(30, hard / 5)
        if chosen is not None and not 0 < hard < visibility_timeout:
            raise ImproperlyConfigured(
                f"{name} must be above 0 and below CX_VISIBILITY_TIMEOUT ({visibility_timeout} s): "
                "a task still running then is delivered to another worker as well."
            )
        if chosen is not None and kind == "short" and soft <= 2 * webhook_timeout:
            least = min(2.5 * webhook_timeout, 2 * webhook_timeout + 30)
            raise ImproperlyConfigured(
                f"{name} must leave a webhook twice CX_WEBHOOK_TIMEOUT before its soft limit: "
                f"more than {least:g} s."
            )
        limits[kind] = {"soft_time_limit": soft, "time_limit": hard}
    return limits
