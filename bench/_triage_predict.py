"""Part 1 of ``bench/triage.py``: prediction on one core, and the held-out accuracy as a check."""

import argparse
import os
import random
import statistics
import time

from bench._triage_common import HELDOUT, THREAD_VARIABLES, emit, idlest_cpu, runs, setup_django


def part_predict(args: argparse.Namespace) -> None:
    # Before numpy is first imported, or its thread pools start at full size.
    for name in THREAD_VARIABLES:
        os.environ[name] = "1"
    cpu = args.cpu if args.cpu is not None else idlest_cpu()
    os.sched_setaffinity(0, {cpu})
    setup_django()
    from threadpoolctl import threadpool_limits

    from routing.quality import demo_ruleset, facts_of
    from routing.triage import TriageModel, examples_from, starter_corpus
    from routing.triage.corpus import read_folder
    from routing.triage.evaluation import HYBRID, MODEL, RULES, compare

    with threadpool_limits(1):
        items = starter_corpus()
        started = time.perf_counter()
        model = TriageModel.train(examples_from(items))
        trained = time.perf_counter() - started
        facts = [facts_of(item) for item in items]
        random.Random(args.seed).shuffle(facts)
        single = facts[: args.one_at_a_time]
        size = args.batch

        def in_batches() -> None:
            for start in range(0, len(facts), size):
                model.predict(facts[start : start + size])

        # Warm-up: lazily built tables, the allocator, the caches.
        model.predict(facts[:size])
        for fact in facts[:50]:
            model.predict_one(fact)

        def one_at_a_time_from_cold() -> None:
            # A fresh worker: no word seen yet (the model keeps each word's n-grams once seen).
            model._weights().token.cache_clear()
            for fact in single:
                model.predict_one(fact)

        timings = {
            "batch": runs(in_batches, args.repeats),
            "one": runs(lambda: [model.predict_one(f) for f in single], args.repeats),
            "bare": runs(lambda: [model.predict_one(f, explain=False) for f in single], args.repeats),
            "cold": runs(one_at_a_time_from_cold, args.repeats),
        }

        heldout = read_folder(HELDOUT)
        report = compare(heldout, ruleset=demo_ruleset(), model=model, fallback="customer-service")

    counts = {"batch": len(facts), "one": len(single), "bare": len(single), "cold": len(single)}
    rates = {key: sorted(counts[key] / s for s in seconds) for key, seconds in timings.items()}
    print(
        f"1. Prediction on one core (CPU {cpu}; BLAS and OpenMP at one thread), best and median of"
        f" {args.repeats}: the starter model ({len(items):,} messages, trained in {trained:.1f} s here)"
    )
    print()
    print(f"{'call':<48} | {'messages':>8} | {'msg/s best':>10} | {'msg/s median':>12} | {'ms/msg':>6}")
    print(f"{'-' * 48}-+-{'-' * 8}-+-{'-' * 10}-+-{'-' * 12}-+-{'-' * 6}")
    labels = {
        "batch": f"predict(), batches of {size}",
        "one": "predict_one(), as routing calls it (explain)",
        "bare": "predict_one(explain=False)",
        "cold": "predict_one(), every word new to the process",
    }
    for key, label in labels.items():
        best, median = rates[key][-1], statistics.median(rates[key])
        print(f"{label:<48} | {counts[key]:>8,} | {best:>10,.0f} | {median:>12,.0f} | {1000 / best:>6.2f}")
    print()
    scores = report.scores
    print(
        f"On the {len(heldout)} held-out messages: department right {scores[MODEL].accuracy():.1%} (model),"
        f" {scores[RULES].accuracy():.1%} (demo rules), {scores[HYBRID].accuracy():.1%} (rules, then model)"
    )
    print(flush=True)
    emit(
        batch_best=rates["batch"][-1],
        batch_median=statistics.median(rates["batch"]),
        one_best=rates["one"][-1],
        one_median=statistics.median(rates["one"]),
        bare_best=rates["bare"][-1],
        cold_best=rates["cold"][-1],
        batch_size=size,
    )
