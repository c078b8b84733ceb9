"""``/health/``: can this site take and route a case right now?"""

import secrets

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from .celery import app


def _database() -> tuple[bool, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return True, connection.vendor


def _redis() -> tuple[bool, str]:
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    client.ping()
    return True, "ping"


def _workers() -> tuple[bool, str]:
    with app.connection_for_write() as conn:
        # Fail at once when the broker is down: the broadcast alone retries
        # for seconds, longer than a load balancer waits for this page.
        # kombu takes fractional seconds; its stubs declare the intervals as ``int``.
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0.2, interval_max=0.2)  # type: ignore[arg-type]
        replies = app.control.inspect(timeout=1.0, connection=conn).ping() or {}
    return bool(replies), f"{len(replies)} worker(s)"


CHECKS = {"database": _database, "redis": _redis, "workers": _workers}


def _may_see_details(request: HttpRequest) -> bool:
    # Which database, how many workers, what failed: of use to an attacker
    # too, so only staff and monitoring holding the token are told.
    if request.user.is_authenticated and request.user.is_staff:
        return True
    token = settings.CX_HEALTH_TOKEN
    given = request.headers.get("X-Health-Token", "")
    return bool(token) and secrets.compare_digest(given.encode(), token.encode())


@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """200 when database, Redis and at least one worker answer; 503 otherwise.

    ``?check=live`` answers liveness only (the process serves requests).
    Everyone gets the status; staff and holders of ``CX_HEALTH_TOKEN`` get
    each check's result too.
    """
    if request.GET.get("check") == "live":
        return JsonResponse({"status": "ok"})
    results = {}
    for name, check in CHECKS.items():
        try:
            ok, detail = check()
        except Exception as exc:  # any failure is a "not ready", reported by name
            ok, detail = False, exc.__class__.__name__
        results[name] = {"ok": ok, "detail": detail}
    healthy = all(r["ok"] for r in results.values())
    body: dict[str, object] = {"status": "ok" if healthy else "degraded"}
    if _may_see_details(request):
        body["checks"] = results
    return JsonResponse(body, status=200 if healthy else 503)
