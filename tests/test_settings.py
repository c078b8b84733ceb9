"""Database and Celery settings from the environment: pool, statement timeout, connection reuse."""

import runpy
from pathlib import Path
from types import SimpleNamespace

import environ
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.utils import ConnectionHandler

from cxportal import celery as cxcelery
from cxportal.env import database as _database

SETTINGS = Path(__file__).resolve().parent.parent / "cxportal" / "settings.py"
POSTGRES = "postgres://cx:secret@db.internal:5432/cx"
SWITCHES = (
    "DATABASE_URL",
    "DATABASE_POOL_MAX_SIZE",
    "DATABASE_POOL_MIN_SIZE",
    "DATABASE_POOL_TIMEOUT",
    "DATABASE_STATEMENT_TIMEOUT_MS",
    "CONN_MAX_AGE",
    "CELERY_DB_REUSE_MAX",
)


@pytest.fixture
def environment(monkeypatch):
    """Set exactly these database variables (the others unset); returns a setter."""
    for name in SWITCHES:
        monkeypatch.delenv(name, raising=False)

    def given(**variables: str) -> None:
        for name, value in variables.items():
            monkeypatch.setenv(name, value)

    return given


def database(environment, **variables: str) -> dict:
    environment(**variables)
    return _database(environ.Env())


def test_postgresql_keeps_one_connection_per_process_and_times_statements_out_by_default(environment):
    config = database(environment, DATABASE_URL=POSTGRES)

    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["CONN_MAX_AGE"] == 60
    assert config["CONN_HEALTH_CHECKS"] is True
    assert config["OPTIONS"] == {"options": "-c statement_timeout=30000"}


def test_the_pool_size_switches_on_a_pool_per_process_without_persistent_connections(environment):
    config = database(environment, DATABASE_URL=POSTGRES, DATABASE_POOL_MAX_SIZE="4")

    assert config["OPTIONS"]["pool"] == {"min_size": 1, "max_size": 4, "timeout": 10.0}
    # Django refuses a pool with persistent connections.
    assert config["CONN_MAX_AGE"] == 0
    assert config["CONN_HEALTH_CHECKS"] is True
    assert config["OPTIONS"]["options"] == "-c statement_timeout=30000"


def test_the_pool_bounds_and_wait_come_from_the_environment(environment):
    config = database(
        environment,
        DATABASE_URL=POSTGRES,
        DATABASE_POOL_MAX_SIZE="8",
        DATABASE_POOL_MIN_SIZE="2",
        DATABASE_POOL_TIMEOUT="2.5",
        CONN_MAX_AGE="0",
    )

    assert config["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 8, "timeout": 2.5}


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"DATABASE_POOL_MAX_SIZE": "4", "CONN_MAX_AGE": "60"}, "CONN_MAX_AGE must be 0"),
        ({"DATABASE_POOL_MAX_SIZE": "2", "DATABASE_POOL_MIN_SIZE": "3"}, "DATABASE_POOL_MIN_SIZE"),
        ({"DATABASE_STATEMENT_TIMEOUT_MS": "-1"}, "DATABASE_STATEMENT_TIMEOUT_MS"),
    ],
)
def test_contradictory_switches_are_refused_at_startup_with_a_clear_message(environment, variables, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        database(environment, DATABASE_URL=POSTGRES, **variables)


def test_the_statement_timeout_is_set_or_switched_off(environment):
    assert database(environment, DATABASE_URL=POSTGRES, DATABASE_STATEMENT_TIMEOUT_MS="5000")["OPTIONS"] == {
        "options": "-c statement_timeout=5000"
    }
    assert "OPTIONS" not in database(environment, DATABASE_URL=POSTGRES, DATABASE_STATEMENT_TIMEOUT_MS="0")


def test_options_in_the_url_are_kept_alongside_the_timeout(environment):
    url = f"{POSTGRES}?sslmode=require&options=-c%20search_path%3Dcx"

    config = database(environment, DATABASE_URL=url)

    assert config["OPTIONS"] == {
        "sslmode": "require",
        "options": "-c search_path=cx -c statement_timeout=30000",
    }


def test_sqlite_is_unchanged_and_ignores_the_postgresql_switches(environment, tmp_path):
    plain = database(environment, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    switched = database(
        environment,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DATABASE_POOL_MAX_SIZE="4",
        DATABASE_STATEMENT_TIMEOUT_MS="5000",
    )

    assert switched == plain
    assert plain["OPTIONS"] == {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    assert "TEST" in plain
    assert "CONN_MAX_AGE" not in plain
    assert "CONN_HEALTH_CHECKS" not in plain


def test_django_builds_the_pool_from_these_settings(environment):
    # What a process does on its first query, short of connecting: Django's
    # own checks on the combination and psycopg_pool's on the options.
    config = database(environment, DATABASE_URL=POSTGRES, DATABASE_POOL_MAX_SIZE="3")
    wrapper = ConnectionHandler({"default": config, "pooled": config})["pooled"]
    try:
        pool = wrapper.pool
        assert (pool.min_size, pool.max_size, pool.timeout) == (1, 3, 10.0)
    finally:
        wrapper.close_pool()


def test_the_settings_module_reads_the_switches(environment, tmp_path):
    environment(DATABASE_URL=POSTGRES, DATABASE_POOL_MAX_SIZE="2", CELERY_DB_REUSE_MAX="0")

    module = runpy.run_path(str(SETTINGS), init_globals={"__name__": "settings_under_test"})

    assert module["DATABASES"]["default"]["OPTIONS"]["pool"]["max_size"] == 2
    assert module["DATABASES"]["default"]["CONN_MAX_AGE"] == 0
    # 0: Celery closes the connection around every task, as it does by default.
    assert module["CELERY_DB_REUSE_MAX"] is None


def test_workers_keep_their_connection_across_tasks_by_default(environment):
    environment(DATABASE_URL=POSTGRES)

    module = runpy.run_path(str(SETTINGS), init_globals={"__name__": "settings_under_test"})

    assert module["CELERY_DB_REUSE_MAX"] == 1000
    assert module["CELERY_WORKER_PREFETCH_MULTIPLIER"] == 1
    assert module["CELERY_TASK_ACKS_LATE"] is True


def task(*, eager: bool) -> SimpleNamespace:
    return SimpleNamespace(request=SimpleNamespace(is_eager=eager))


def test_around_a_task_on_a_worker_connections_are_recycled_as_around_a_request(monkeypatch):
    calls = []
    monkeypatch.setattr("django.db.close_old_connections", lambda: calls.append("recycled"))

    cxcelery.recycle_database_connections(task=task(eager=False))

    assert calls == ["recycled"]


def test_a_task_run_inline_leaves_the_callers_connection_alone(monkeypatch):
    # Eager tasks run inside the caller's transaction: closing it there would end it.
    calls = []
    monkeypatch.setattr("django.db.close_old_connections", lambda: calls.append("recycled"))

    cxcelery.recycle_database_connections(task=task(eager=True))

    assert calls == []
