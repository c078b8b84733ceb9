"""A per-client rate limit on the shared cache (Redis in production).

Small on purpose: it fails open. If the cache is unreachable the request
goes through, because refusing a customer's complaint is worse than
letting a burst in.
"""

import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

log = logging.getLogger(__name__)


def client_ip(request: HttpRequest) -> str:
    # Behind a proxy, CX_CLIENT_IP_HEADER names the header it sets (e.g. HTTP_X_REAL_IP).
    header = settings.CX_CLIENT_IP_HEADER
    value = request.META.get(header, "") if header else ""
    return value.split(",")[0].strip() or request.META.get("REMOTE_ADDR", "")


def is_rate_limited(
    request: HttpRequest, *, scope: str, limit: int, period: int, subject: str | None = None
) -> bool:
    """Count this request; True once more than ``limit`` were made in ``period`` seconds.

    Counted per client address, or per ``subject`` when given (a case: its
    limit holds whichever addresses the requests come from).
    """
    window = int(time.time() // period)
    key = f"rl:{scope}:{client_ip(request) if subject is None else subject}:{window}"
    try:
        if cache.add(key, 1, timeout=period + 5):
            return False
        count = cache.incr(key)
    except Exception:
        log.warning("Rate limit cache unavailable; letting the request through.", exc_info=True)
        return False
    return count > limit
