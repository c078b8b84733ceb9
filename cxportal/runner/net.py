"""Network helpers of the runner: free ports, and waiting until a child answers (TCP, Redis, HTTP)."""

import socket
import time
import urllib.request
from collections.abc import Callable


class StartupError(Exception):
    """A part of the site could not be started; the message says which and why."""


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _wait_until_answered(
    attempt: Callable[[], None],
    errors: type[Exception] | tuple[type[Exception], ...],
    *,
    timeout: float,
    alive: Callable[[], bool],
    check: Callable[[], None],
    exited: str,
    late: str,
) -> None:
    """Call ``attempt`` until it stops raising ``errors``; StartupError(``exited``/``late``) otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            attempt()
            return
        except errors as exc:
            if not alive():
                raise StartupError(exited) from exc
            if time.monotonic() > deadline:
                raise StartupError(f"{late}: {exc}") from exc
        check()
        time.sleep(0.1)


def wait_for_port(
    host: str,
    port: int,
    *,
    timeout: float,
    alive: Callable[[], bool] = lambda: True,
    check: Callable[[], None] = lambda: None,
) -> None:
    """Return once something accepts connections on ``host:port``; StartupError after ``timeout`` s."""

    def connect() -> None:
        socket.create_connection((host, port), timeout=1).close()

    _wait_until_answered(
        connect,
        OSError,
        timeout=timeout,
        alive=alive,
        check=check,
        exited=f"The process meant to listen on {host}:{port} exited.",
        late=f"Nothing listens on {host}:{port} after {timeout:.0f} s",
    )


def wait_for_redis(
    url: str,
    *,
    timeout: float,
    alive: Callable[[], bool] = lambda: True,
    check: Callable[[], None] = lambda: None,
) -> None:
    """Return once Redis at ``url`` answers PING; StartupError after ``timeout`` seconds."""
    import redis

    def ping() -> None:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        try:
            client.ping()
        finally:
            client.close()

    _wait_until_answered(
        ping,
        redis.RedisError,
        timeout=timeout,
        alive=alive,
        check=check,
        exited=f"Redis exited before answering at {url}.",
        late=f"Redis at {url} did not answer within {timeout:.0f} s",
    )


def http_ok(url: str) -> bool:
    try:
        # Our own loopback URLs (the site's health page), never user input.
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
            return response.status == 200
    except OSError:
        return False
