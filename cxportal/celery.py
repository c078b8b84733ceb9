"""The Celery application: configured from Django settings (CELERY_* names)."""

import os
from collections.abc import Iterable

from celery import Celery, Task, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxportal.settings")

app = Celery("cxportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_prerun.connect
@signals.task_postrun.connect
def recycle_database_connections(task: Task | None = None, **_kwargs: object) -> None:
    """Around each task, what Django does around each web request.

    A connection older than CONN_MAX_AGE is closed (with a pool: handed
    back to it), one that failed and no longer answers is dropped, and the
    next query checks it first (CONN_HEALTH_CHECKS). So a task reuses its
    process's connection instead of opening one, and after a database
    restart or a terminated backend only a task caught mid-query fails (and
    is retried on a fresh connection). CELERY_DB_REUSE_MAX in the settings
    stops Celery's own per-task close.
    """
    if task is not None and getattr(task.request, "is_eager", False):
        # Run inline by the caller (tests), inside the caller's transaction.
        return
    from django.db import close_old_connections

    close_old_connections()


def tasks_in_hand(broker_url: str, queues: Iterable[str]) -> int:
    """Tasks waiting in ``queues`` on a Redis broker, or taken by a worker and not yet acknowledged.

    kombu keeps one list per queue and priority ("routing", "routing\\x06\\x163", ...)
    and, tasks being acknowledged late, every task a worker holds (running, or
    waiting for its countdown) in the "unacked" hash until it is done. For
    benchmarks and tests that wait for the work to drain.
    """
    import redis

    client = redis.Redis.from_url(broker_url)
    try:
        waiting = sum(
            client.llen(key)
            for queue in queues
            for key in client.scan_iter(match=f"{queue}*")
            if client.type(key) == b"list"
        )
        return waiting + client.hlen("unacked")
    finally:
        client.close()
