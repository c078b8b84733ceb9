from .fixtures import REPORT, celery_worker, real_celery, redis_server, smtp_sink

__all__ = ["celery_worker", "real_celery", "redis_server", "smtp_sink"]


def pytest_terminal_summary(terminalreporter) -> None:
    if REPORT:
        terminalreporter.section("real Redis + Celery worker timings")
        for line in REPORT:
            terminalreporter.write_line(line)
