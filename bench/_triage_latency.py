"""Part 3 of ``bench/triage.py``: routing latency with no model, the starter model and the retrained one."""

import argparse
import math
import random
import statistics
import time
from collections import Counter
from datetime import timedelta

from bench._common import percentile
from bench._triage_common import BATCH, HELDOUT, emit, setup_django
from bench._triage_messages import varied

MODES = ("no model", "starter model", "retrained model")


def part_latency(args: argparse.Namespace) -> None:
    setup_django()
    from django.core.cache import cache
    from django.db.models import Max
    from django.utils import timezone

    from feedback.models import Case, Customer, Status
    from routing.learning import LIVE_KEY, triage_promote
    from routing.models import TriageVersion
    from routing.services import case_route
    from routing.triage.corpus import read_folder

    versions = {
        "no model": None,
        "starter model": TriageVersion.objects.order_by("version").first(),
        "retrained model": TriageVersion.objects.order_by("-version").first(),
    }

    def make_live(version) -> None:
        TriageVersion.objects.filter(status=TriageVersion.Status.LIVE).update(
            status=TriageVersion.Status.RETIRED
        )
        cache.delete(LIVE_KEY)
        if version is not None:
            triage_promote(version=version)

    block = args.latency_block
    rounds = max(1, args.latency_cases // block)
    needed = rounds * len(MODES) * (block + 1)
    rng = random.Random(args.seed + 1)
    items = read_folder(HELDOUT)
    customers = list(Customer.objects.values_list("pk", flat=True))
    now = timezone.now()
    first = (Case.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    cases = []
    for pk in range(first, first + needed):
        item = rng.choice(items)
        subject, message = varied(item, rng)
        ordered = item["department"] == "logistics" and rng.random() < 0.6
        cases.append(
            Case(
                id=pk,
                reference=f"BENCH-{pk:07d}",
                customer_id=rng.choice(customers),
                kind=item["kind"],
                channel=item["channel"],
                language=item["language"],
                subject=subject[:200],
                message=message,
                order_reference=str(rng.randint(10_000, 99_999)) if ordered else "",
                order_date=(now - timedelta(days=rng.randint(3, 20))).date() if ordered else None,
                promised_delivery_date=(now - timedelta(days=rng.randint(0, 10))).date() if ordered else None,
                created_at=now - timedelta(seconds=rng.uniform(1, 60)),
                status=Status.NEW,
            )
        )
    Case.objects.bulk_create(cases, batch_size=BATCH)
    ids = iter(range(first, first + needed))

    times: dict[str, list[float]] = {mode: [] for mode in MODES}
    routed: dict[str, list[int]] = {mode: [] for mode in MODES}
    # The median of each mode in each round: what the comparison rests on.
    by_round: dict[str, list[float]] = {mode: [] for mode in MODES}
    for r in range(rounds):
        # A different mode goes first each round, so none always follows a switch of model.
        for mode in MODES[r % len(MODES) :] + MODES[: r % len(MODES)]:
            make_live(versions[mode])
            case_route(case_id=next(ids))  # warm-up: loads the model and the rule set
            for _ in range(block):
                case_id = next(ids)
                started = time.perf_counter()
                case_route(case_id=case_id)
                times[mode].append(time.perf_counter() - started)
                routed[mode].append(case_id)
            by_round[mode].append(statistics.median(times[mode][-block:]) * 1000)

    print(
        f"3. Routing latency: case_route() on {rounds * block} new cases per mode (held-out wording),"
        f" interleaved in {rounds} rounds of {block}, on the database above"
    )
    print()
    print(
        f"{'live model':<24} | {'median ms':>9} | {'p95 ms':>7} | {'mean ms':>7} | decided by rule / model / fallback"
    )
    print(f"{'-' * 24}-+-{'-' * 9}-+-{'-' * 7}-+-{'-' * 7}-+-{'-' * 34}")
    figures = {}
    for mode in MODES:
        ms = [t * 1000 for t in times[mode]]
        decided = Counter(
            (decision.get("triage") or {}).get("decided_by", "?")
            for decision in Case.objects.filter(pk__in=routed[mode]).values_list("decision", flat=True)
        )
        version = versions[mode]
        name = f"{mode} (v{version.version})" if version else mode
        figures[mode] = {"median": statistics.median(ms), "p95": percentile(ms, 95)}
        print(
            f"{name:<24} | {figures[mode]['median']:>9.1f} | {figures[mode]['p95']:>7.1f}"
            f" | {statistics.mean(ms):>7.1f} | {decided['rule']} / {decided['model']} / {decided['fallback']}"
        )
    print()
    for mode in MODES[1:]:
        differences = [m - b for m, b in zip(by_round[mode], by_round["no model"], strict=True)]
        slower = sum(d > 0 for d in differences)
        figures[mode].update(slower_rounds=slower, p=sign_test(slower, len(differences)))
        print(
            f"{mode}: median {figures[mode]['median'] - figures['no model']['median']:+.1f} ms,"
            f" p95 {figures[mode]['p95'] - figures['no model']['p95']:+.1f} ms against no model;"
            f" slower in {slower} of {rounds} rounds (sign test p = {figures[mode]['p']:.2g}), by"
            f" {min(differences):+.1f} to {max(differences):+.1f} ms"
        )
    base = by_round["no model"]
    print(f"noise: with no model, the rounds' medians range from {min(base):.1f} to {max(base):.1f} ms")
    print(flush=True)
    emit(latency=figures, rounds=rounds, latency_cases=rounds * block)


def sign_test(successes: int, trials: int) -> float:
    """Two-sided p-value of ``successes`` out of ``trials`` if either way were as likely."""
    tail = min(successes, trials - successes)
    return min(1.0, 2 * sum(math.comb(trials, k) for k in range(tail + 1)) / 2**trials)
