"""Reading the environment for cxportal/settings.py: the project's directories and the helpers.

Each helper turns one or more environment variables into a setting's value
and raises ImproperlyConfigured on a bad value, so a misconfigured site stops
at start-up with a message naming the variable instead of failing later.
"""

import secrets
from pathlib import Path
from urllib.parse import unquote, urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("CX_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def secret_key(env: environ.Env, *, debug: bool) -> str:
    """Return SECRET_KEY, generating a development key once into var/."""
    key = env.str("SECRET_KEY", default="")
    if key:
        return key
    if not debug:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


POSTGRESQL = "django.db.backends.postgresql"


def database(env: environ.Env) -> dict:
    """DATABASES["default"] from DATABASE_URL and the DATABASE_* / CONN_MAX_AGE switches.

    PostgreSQL (production):

    * ``DATABASE_POOL_MAX_SIZE`` > 0 gives each process its own psycopg pool
      of at most that many connections (Django's built-in pool); 0, the
      default, keeps one persistent connection per process (``CONN_MAX_AGE``,
      60 s). Size it so that every process's pool together stays below the
      server's ``max_connections``: a gunicorn sync worker or a Celery pool
      process runs one request or task at a time and needs 1 or 2.
      ``DATABASE_POOL_MIN_SIZE`` (1) connections are kept open;
      ``DATABASE_POOL_TIMEOUT`` (10 s) is how long a request waits for a
      free connection before failing.
    * ``DATABASE_STATEMENT_TIMEOUT_MS`` (30000; 0 turns it off) ends any
      statement that runs longer, so one runaway query cannot hold a web
      process or a worker, and its locks, indefinitely.

    SQLite (development, tests) ignores both.
    """
    database = env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
    if database["ENGINE"] == "django.db.backends.sqlite3":
        # The web server and the Celery worker write to one SQLite file at once:
        # WAL lets readers go on during a write, IMMEDIATE transactions take the
        # write lock up front (no "database is locked" upgrade failures), and the
        # timeout makes a writer wait its turn instead of failing.
        database["OPTIONS"] = {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        # A file, not :memory:, so a real worker process can open the test database.
        database["TEST"] = {"NAME": env.str("CX_TEST_DB", default=str(VAR_DIR / "test_db.sqlite3"))}
        return database
    options = database.setdefault("OPTIONS", {})
    # A dead connection (server restarted, backend terminated) is replaced
    # before use instead of failing the request or task that picks it up.
    database["CONN_HEALTH_CHECKS"] = True
    pool_max_size = env.int("DATABASE_POOL_MAX_SIZE", default=0)
    if pool_max_size > 0 and database["ENGINE"] == POSTGRESQL:
        pool_min_size = env.int("DATABASE_POOL_MIN_SIZE", default=1)
        if not 0 <= pool_min_size <= pool_max_size:
            raise ImproperlyConfigured("DATABASE_POOL_MIN_SIZE must be between 0 and DATABASE_POOL_MAX_SIZE.")
        # Django refuses persistent connections with a pool: the pool keeps them.
        if env.int("CONN_MAX_AGE", default=0) != 0:
            raise ImproperlyConfigured(
                "CONN_MAX_AGE must be 0 (or unset) when DATABASE_POOL_MAX_SIZE is set."
            )
        database["CONN_MAX_AGE"] = 0
        options["pool"] = {
            "min_size": pool_min_size,
            "max_size": pool_max_size,
            "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),
        }
    else:
        database["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    statement_timeout = env.int("DATABASE_STATEMENT_TIMEOUT_MS", default=30_000)
    if statement_timeout < 0:
        raise ImproperlyConfigured(
            "DATABASE_STATEMENT_TIMEOUT_MS must be 0 (off) or a number of milliseconds."
        )
    if statement_timeout and database["ENGINE"] == POSTGRESQL:
        # Sent at connection time (libpq "options"), after any the URL carries.
        given = options.get("options", "")
        options["options"] = f"{given} -c statement_timeout={statement_timeout}".strip()
    if not options:
        del database["OPTIONS"]
    return database


def mailbox(url: str) -> dict | None:
    """CX_MAILBOX_URL as the reader's settings; None when empty (intake by mailbox off).

    ``maildir:///abs/path`` or ``maildir://relative/path`` (from BASE_DIR);
    ``imap://user:password@host:port/Folder`` or ``imaps://…`` (folder INBOX
    by default; user and password URL-encoded, ``%40`` for an ``@``).
    """
    if not url:
        return None
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "maildir":
        relative = unquote(parts.netloc + parts.path)
        if not relative:
            raise ImproperlyConfigured("CX_MAILBOX_URL maildir:// needs a path, e.g. maildir:///var/mail/cx.")
        return {"scheme": scheme, "path": str((BASE_DIR / relative).resolve())}
    if scheme not in ("imap", "imaps"):
        raise ImproperlyConfigured(
            f"CX_MAILBOX_URL must start with maildir://, imap:// or imaps://, not {scheme or url!r}."
        )
    try:
        port = parts.port or (993 if scheme == "imaps" else 143)
    except ValueError as exc:
        raise ImproperlyConfigured(f"CX_MAILBOX_URL has a bad port: {exc}") from None
    if not parts.hostname or not parts.username:
        raise ImproperlyConfigured("CX_MAILBOX_URL needs a user and a host: imap://user:pass@host/INBOX.")
    return {
        "scheme": scheme,
        "host": parts.hostname,
        "port": port,
        "user": unquote(parts.username),
        "password": unquote(parts.password or ""),
        "folder": unquote(parts.path.strip("/")) or "INBOX",
    }


def anymail(env: environ.Env) -> dict:
    """ANYMAIL: the inbound webhooks' shared secret and the signing keys of the ESPs that sign."""
    return {
        "WEBHOOK_SECRET": env.str("CX_INBOUND_WEBHOOK_SECRET", default=""),
        **{
            name: env.str(name)
            for name in ("MAILGUN_WEBHOOK_SIGNING_KEY", "MANDRILL_WEBHOOK_KEY", "POSTAL_WEBHOOK_KEY")
            if env.str(name, default="")
        },
    }


def cache(env: environ.Env, *, redis_url: str) -> dict:
    """CACHES["default"]: Redis at ``redis_url``, or per-process memory when CX_REDIS_CACHE is off."""
    return (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            # The cache is an accelerator: when Redis is away, fail fast and
            # let callers fall back instead of waiting on a dead socket.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
        if env.bool("CX_REDIS_CACHE", default=True)
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )


def proxy_ssl_header(env: environ.Env) -> tuple[str, ...] | None:
    """SECURE_PROXY_SSL_HEADER from "HEADER,value"; None when unset."""
    proxy_header = env.list("SECURE_PROXY_SSL_HEADER", default=[])
    if proxy_header and len(proxy_header) != 2:
        raise ImproperlyConfigured(
            'SECURE_PROXY_SSL_HEADER must be "HEADER,value", e.g. "HTTP_X_FORWARDED_PROTO,https".'
        )
    return tuple(proxy_header) if proxy_header else None
