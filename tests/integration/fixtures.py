"""Fixtures that start a real Redis and a real Celery worker for the session.

Imported by this directory's conftest and by tests elsewhere that need the
real parts (``tests/test_health.py``); either way one Redis and one worker
serve the whole session.

The worker is a separate process: it reads the test database file (so tests
use ``transactional_db`` and commit what it must see) and writes emails as
files into ``worker.mail_dir``. Each test gets the part of the worker's log
written while it ran, printed on teardown, so a failure shows what the
worker did.
"""

import subprocess
from collections.abc import Callable, Iterator

import pytest
from django.core.cache import cache
from django.db import connection

from cxportal.runner import free_port, smtp_sink_command, wait_for_port

from .parts import BASE_DIR, CeleryWorker, RedisServer, cache_url, database_url, point_celery_at, stop_process

_SHARED = pytest.StashKey[dict]()
# Lines for the end of the run ("submission -> email: 0.4 s"), printed by conftest.
REPORT: list[str] = []


def _shared(request: pytest.FixtureRequest, name: str, start: Callable[[], object], stop) -> object:
    """One instance per session even when two modules import the same fixture."""
    store = request.config.stash.setdefault(_SHARED, {})
    if name not in store:
        store[name] = start()

        def finish() -> None:
            stop(store.pop(name))

        request.addfinalizer(finish)
    return store[name]


@pytest.fixture(scope="session")
def redis_server(request, tmp_path_factory) -> RedisServer:
    return _shared(
        request, "redis", lambda: RedisServer.start(tmp_path_factory.mktemp("redis")), RedisServer.stop
    )


@pytest.fixture(scope="session")
def celery_worker(request, django_db_setup, redis_server, tmp_path_factory) -> CeleryWorker:
    """A worker on the routing, notifications and periodic queues, as `make run` has.

    Depends on ``django_db_setup``: the test database file exists and is
    migrated before the worker opens it.
    """
    url = database_url(connection.settings_dict)

    def start() -> CeleryWorker:
        return CeleryWorker.start(
            directory=tmp_path_factory.mktemp("worker"), broker_url=redis_server.url, database_url=url
        )

    return _shared(request, "worker", start, CeleryWorker.stop)


@pytest.fixture
def real_celery(celery_worker, redis_server, settings) -> Iterator[CeleryWorker]:
    """This process publishes to the real broker; the worker's log is printed on teardown."""
    settings.REDIS_URL = redis_server.url
    # The worker's cache, shared: an edit here (a rule, a department) bumps
    # the routing set-up version the worker checks, as across real machines.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": cache_url(redis_server.url),
        }
    }
    cache.clear()
    for message in celery_worker.mail_dir.iterdir():
        message.unlink()
    start = celery_worker.log_size()
    point_celery_at(redis_server.url)
    try:
        yield celery_worker
    finally:
        point_celery_at(settings.CELERY_BROKER_URL, eager=settings.CELERY_TASK_ALWAYS_EAGER)
        # Shown by pytest only when the test failed.
        print(f"--- celery worker log ({celery_worker.log_path}) during this test ---")
        print(celery_worker.log(start))


@pytest.fixture
def smtp_sink(tmp_path):
    """The SMTP sink exactly as runportal starts it, on a free port."""
    maildir = tmp_path / "mailbox"
    port = free_port()
    log = (tmp_path / "smtp.log").open("wb")
    process = subprocess.Popen(
        smtp_sink_command(port=port, maildir=maildir),
        cwd=BASE_DIR,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for_port("127.0.0.1", port, timeout=20, alive=lambda: process.poll() is None)
        process.port, process.maildir = port, maildir
        yield process
    finally:
        stop_process(process, grace=5)
        log.close()
        print(f"--- smtp sink output ---\n{(tmp_path / 'smtp.log').read_text(errors='replace')}")
