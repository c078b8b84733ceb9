"""Customers submitting complaints through the public form, for ``bench/scale.py``.

Each simulated customer loads ``/feedback/new/`` once (the CSRF cookie and
token), then posts complaints at ``CX_SCALE_RATE / users`` per second, not
following the redirect to the thanks page: the redirect itself says the case
is stored and names its reference. The references, the failures and their
causes are written as JSON to ``CX_SCALE_RESULTS`` when locust stops, so the
bench can check every accepted case in the database.

    CX_SCALE_RATE=60 CX_SCALE_TAG=run1 CX_SCALE_RESULTS=/tmp/r.json \\
        .venv/bin/locust -f bench/locustfile.py --headless -u 30 -r 30 -t 20s --host http://127.0.0.1:8000
"""

import itertools
import json
import os
import re
from collections import Counter

from locust import FastHttpUser, constant_throughput, events, task

MESSAGES = [
    "Mi pedido {n} no ha llegado, lleva 5 días de retraso",
    "El paquete {n} llegó roto, la caja estaba aplastada",
    "Me han cobrado dos veces el pedido {n}",
    "My order {n} is late, it was promised last week",
    "La dependienta de la tienda {n} fue muy maleducada conmigo",
    "The app crashes every time I try to pay for order {n}",
]
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# Marks this run's cases in the database (their subject starts with it).
TAG = os.environ.get("CX_SCALE_TAG", "scale")
RATE = float(os.environ.get("CX_SCALE_RATE", "20"))
RESULTS = os.environ.get("CX_SCALE_RESULTS", "")

references: list[str] = []
failures: Counter[str] = Counter()
_numbers = itertools.count(1)


class Customer(FastHttpUser):
    # Set from the user count once locust knows it (see on_test_start): the
    # whole run offers CX_SCALE_RATE submissions per second.
    wait_time = constant_throughput(1.0)
    token = ""

    def on_start(self) -> None:
        with self.client.get("/feedback/new/", name="form", catch_response=True) as response:
            found = TOKEN.search(response.text or "")
            if response.status_code != 200 or not found:
                response.failure(f"form: HTTP {response.status_code}")
                failures[f"form HTTP {response.status_code}"] += 1
                return
            self.token = found.group(1)

    @task
    def submit(self) -> None:
        if not self.token:
            self.on_start()
            return
        n = next(_numbers)
        data = {
            "csrfmiddlewaretoken": self.token,
            "kind": "complaint",
            "subject": f"{TAG} {n}",
            "message": MESSAGES[n % len(MESSAGES)].format(n=n),
            "order_reference": str(n),
            "name": "Bench Customer",
            "email": f"{TAG}-{n}@example.com",
        }
        with self.client.post(
            "/feedback/new/", data=data, name="submit", allow_redirects=False, catch_response=True
        ) as response:
            location = response.headers.get("Location", "") if response.headers else ""
            if response.status_code == 302 and "/feedback/thanks/" in location:
                references.append(location.rstrip("/").rsplit("/", 1)[-1])
                response.success()
            else:
                cause = f"HTTP {response.status_code}" if response.status_code else str(response.error)
                failures[cause] += 1
                response.failure(cause)


@events.test_start.add_listener
def on_test_start(environment, **_kwargs) -> None:
    users = max(1, environment.parsed_options.num_users if environment.parsed_options else 1)
    Customer.wait_time = constant_throughput(RATE / users)


@events.quitting.add_listener
def on_quitting(environment, **_kwargs) -> None:
    if RESULTS:
        with open(RESULTS, "w") as out:
            json.dump({"references": references, "failures": dict(failures)}, out)
