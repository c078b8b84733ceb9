"""Celery's queues: which task runs on which queue, and when the beat sends the periodic ones.

cxportal/settings.py assigns ``TASK_ROUTES`` to CELERY_TASK_ROUTES and builds
CELERY_BEAT_SCHEDULE with ``beat_schedule`` from the intervals it reads.

Workers per queue (the Procfile's lines; the concurrency comes from the
environment there):
* routing: CPU-bound (rules engine, triage model, a few statements per
  case), so one pool process per core (ROUTING_CONCURRENCY = cores) and
  more machines or worker processes for more throughput. Prefetch 1 with
  late acknowledgement: a process holds one unacknowledged case at a time,
  so a busy or dead process never sits on a queue of cases another could
  route, and a killed one loses at most that one, redelivered.
* notifications: I/O-bound (SMTP, webhooks; a slow endpoint waits up to
  CX_WEBHOOK_TIMEOUT), so more processes than cores
  (NOTIFICATION_CONCURRENCY, 2-4 per core); prefetch 1 too, so one slow
  destination delays only the task it is running.
* periodic: concurrency 1. Sweeps, escalation, roll-ups, retraining and
  the mailbox poll are idempotent but heavy; one at a time keeps them off
  the cores the other queues need, and exactly one beat feeds them.
"""

from datetime import timedelta

from celery.schedules import crontab

TASK_ROUTES = {
    "routing.tasks.route_case": {"queue": "routing"},
    "notifications.tasks.send_notification": {"queue": "notifications"},
    "notifications.tasks.send_notifications": {"queue": "notifications"},
    # A slow or dead webhook endpoint waits with the emails, never with routing.
    "notifications.tasks.send_webhook": {"queue": "notifications"},
    "routing.tasks.escalate_overdue": {"queue": "periodic"},
    "dashboards.tasks.refresh_daily_figures": {"queue": "periodic"},
    "feedback.tasks.poll_mailbox": {"queue": "periodic"},
    "feedback.tasks.requeue_case_imports": {"queue": "periodic"},
}


def beat_schedule(
    *,
    sweep_seconds: int,
    escalation_seconds: int,
    dashboard_refresh_seconds: int,
    dashboard_recompute_days: int,
) -> dict:
    """The periodic tasks; the mailbox poll is added only when a mailbox is set (``mailbox_poll``)."""
    return {
        "sweep-unrouted-cases": {
            "task": "routing.tasks.sweep_unrouted",
            "schedule": timedelta(seconds=sweep_seconds),
        },
        "apply-retention": {
            "task": "feedback.tasks.apply_retention",
            "schedule": timedelta(hours=24),
        },
        "forget-intake-keys": {
            "task": "feedback.tasks.forget_intake_keys",
            "schedule": timedelta(hours=24),
        },
        # Imports uploaded while the broker was down.
        "requeue-case-imports": {
            "task": "feedback.tasks.requeue_case_imports",
            "schedule": timedelta(seconds=sweep_seconds),
        },
        "sweep-pending-notifications": {
            "task": "notifications.tasks.sweep_notifications",
            "schedule": timedelta(seconds=sweep_seconds),
        },
        # What-if trials whose worker was killed or whose task was lost stay unfinished.
        "sweep-rule-trials": {
            "task": "routing.tasks.sweep_rule_trials",
            "schedule": timedelta(seconds=sweep_seconds),
        },
        "escalate-overdue-cases": {
            "task": "routing.tasks.escalate_overdue",
            "schedule": timedelta(seconds=escalation_seconds),
        },
        # Yesterday's figures, days never stored and the days of cases changed lately.
        "refresh-daily-figures": {
            "task": "dashboards.tasks.refresh_daily_figures",
            "schedule": timedelta(seconds=dashboard_refresh_seconds),
        },
        # Nightly, the last weeks again: a due date moved by a pause or a reopened
        # case leaves its old day counted until that day is recomputed.
        "recompute-recent-daily-figures": {
            "task": "dashboards.tasks.refresh_daily_figures",
            "schedule": crontab(hour=3, minute=30),
            "kwargs": {"recent": dashboard_recompute_days},
        },
        # Nightly, a triage model that has learnt the day's re-routes and resolutions
        # (live only if it is not worse than the live one on recent cases).
        "retrain-triage-model": {
            "task": "routing.tasks.retrain_triage",
            "schedule": crontab(hour=4, minute=0),
        },
    }


def mailbox_poll(poll_seconds: int) -> dict:
    """The beat's entry reading CX_MAILBOX_URL every ``poll_seconds``."""
    return {
        "task": "feedback.tasks.poll_mailbox",
        "schedule": timedelta(seconds=poll_seconds),
        # A poll still queued when the next is due is dropped: the next one reads the same mail.
        # (django-celery-beat's name for Celery's ``expires``.)
        "options": {"expire_seconds": poll_seconds},
    }
