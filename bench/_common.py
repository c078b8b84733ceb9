"""What the load benchmarks share: customers posting the public form on a steady schedule.

Used by ``bench/routing_latency.py`` and ``bench/capacity.py``.
"""

import http.cookiejar
import queue
import re
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

MESSAGES = [
    "Mi pedido {n} no ha llegado, lleva 5 días de retraso",
    "El paquete {n} llegó roto, la caja estaba aplastada",
    "Me han cobrado dos veces el pedido {n}",
    "My order {n} is late, it was promised last week",
]


class Customer:
    """A browser on loopback: one CSRF cookie, then form posts (redirects not followed)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, url: str) -> None:
        self.url = url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), self.NoRedirect()
        )
        with self.opener.open(f"{url}/feedback/new/", timeout=30) as response:
            page = response.read().decode()
        self.token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    def submit(self, n: int, tag: str = "Bench") -> str:
        """Post complaint number ``n``; the new case's reference (from the redirect)."""
        data = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": self.token,
                "kind": "complaint",
                "subject": f"{tag} {n}",
                "message": MESSAGES[n % len(MESSAGES)].format(n=n),
                "order_reference": str(n),
                "name": "Bench Customer",
                "email": f"bench{n}@example.com",
            }
        ).encode()
        request = urllib.request.Request(
            f"{self.url}/feedback/new/", data=data, headers={"Referer": f"{self.url}/feedback/new/"}
        )
        try:
            self.opener.open(request, timeout=30)
        except urllib.error.HTTPError as exc:
            if exc.code == 302:
                return exc.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
            raise
        raise RuntimeError("the form did not redirect to the thanks page")


class Customers:
    """``size`` customers made up front, lent to the client threads one at a time.

    Made once, so fetching the form for the CSRF cookie is not part of any
    measured interval, and reused from one run of ``submit_steadily`` to the next.
    """

    def __init__(self, url: str, size: int) -> None:
        self.size = size
        self._free: queue.SimpleQueue[Customer] = queue.SimpleQueue()
        for _ in range(size):
            self._free.put(Customer(url))

    def submit(self, n: int, tag: str) -> str:
        customer = self._free.get()
        try:
            return customer.submit(n, tag)
        finally:
            self._free.put(customer)


@dataclass
class Submissions:
    """What one steady run of submissions gave."""

    references: list[str] = field(default_factory=list)
    http_times: list[float] = field(default_factory=list)  # seconds, send to redirect
    errors: int = 0
    # time.monotonic() of the first and last request actually sent, and when the last answered.
    first_sent: float = 0.0
    last_sent: float = 0.0
    finished: float = 0.0

    @property
    def achieved_rate(self) -> float:
        """Requests sent per second: below the offered rate when the client could not keep up."""
        sent = len(self.references) + self.errors
        if sent < 2 or self.last_sent <= self.first_sent:
            return float("nan")
        return (sent - 1) / (self.last_sent - self.first_sent)


def submit_steadily(
    customers: Customers, rate: float, seconds: float, *, start_n: int = 0, tag: str = "Bench"
) -> Submissions:
    """Submit ``rate`` cases per second for ``seconds`` from one thread per customer.

    An open-loop schedule: the n-th case leaves at n/rate whether or not the
    earlier ones were answered, as independent customers would. A slow site
    shows as longer HTTP times and, once every thread is waiting, as an
    achieved rate below the offered one.
    """
    result = Submissions()
    lock = threading.Lock()
    sent: list[float] = []

    def one(n: int) -> None:
        started = time.monotonic()
        with lock:
            sent.append(started)
        try:
            reference = customers.submit(n, tag)
        except Exception as exc:
            with lock:
                result.errors += 1
            print(f"submission {n} failed: {exc}", file=sys.stderr)
            return
        with lock:
            result.references.append(reference)
            result.http_times.append(time.monotonic() - started)

    total = int(rate * seconds)
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=customers.size) as pool:
        for i in range(total):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, start_n + i)
    result.finished = time.monotonic()
    if sent:
        result.first_sent, result.last_sent = min(sent), max(sent)
    return result


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile, interpolated between the two nearest ranks; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)
