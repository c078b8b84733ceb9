"""The Celery application: configured from Django settings (CELERY_* names)."""

import os

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
