"""Part 2 of ``bench/triage.py``: ``triage_train()`` on the settled cases, where its time goes."""

import argparse
import os
import sys
import time
from collections import defaultdict

from bench._triage_common import TARGET_RETRAIN_SECONDS, emit, peak_rss_mb, setup_django


class Stopwatch:
    """Seconds spent in wrapped functions, by label (the bench's own instruments, no profiler)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def time(self, label: str, function, *args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            self.seconds[label] += time.perf_counter() - started
            self.calls[label] += 1

    def wrap(self, label: str, function):
        return lambda *args, **kwargs: self.time(label, function, *args, **kwargs)


def part_retrain(args: argparse.Namespace) -> None:
    from contextlib import ExitStack
    from unittest import mock

    setup_django()
    from sklearn.linear_model import LogisticRegression

    import routing.learning as learning
    import routing.triage.model as triage_model
    from routing.models import TriageVersion
    from routing.triage import TriageModel

    watch = Stopwatch()
    fit = LogisticRegression.fit
    # Per fit: examples, seconds, iterations.
    fits: dict[str, list[tuple[int, float, int]]] = defaultdict(list)

    def timed_fit(model, *fit_args, **fit_kwargs):
        # Department models are class-balanced, tag models are not.
        label = "departments" if model.class_weight == "balanced" else "tags"
        started = time.perf_counter()
        fitted = watch.time(label, fit, model, *fit_args, **fit_kwargs)
        fits[label].append((len(fit_args[1]), time.perf_counter() - started, int(fitted.n_iter_.max())))
        return fitted

    def timed_method(label: str, function):
        def timed(self, *method_args, **method_kwargs):
            return watch.time(label, function, self, *method_args, **method_kwargs)

        return timed

    rss_before = peak_rss_mb()
    cores = len(os.sched_getaffinity(0))
    with ExitStack() as patches:
        for target, name, replacement in [
            (learning, "labelled_cases", watch.wrap("read", learning.labelled_cases)),
            (learning, "_accuracy", watch.wrap("judge", learning._accuracy)),
            (learning, "_store", watch.wrap("store", learning._store)),
            (learning, "triage_promote", watch.wrap("promote", learning.triage_promote)),
            (TriageModel, "train", staticmethod(watch.wrap("train", TriageModel.train))),
            (TriageModel, "from_bytes", staticmethod(watch.wrap("unpickle", TriageModel.from_bytes))),
            (TriageModel, "to_bytes", timed_method("pickle", TriageModel.to_bytes)),
            (triage_model, "_vectorise", watch.wrap("tfidf", triage_model._vectorise)),
            (LogisticRegression, "fit", timed_fit),
        ]:
            patches.enter_context(mock.patch.object(target, name, replacement))
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        started = time.perf_counter()
        version = learning.triage_train()
        total = time.perf_counter() - started
        if profiler:
            profiler.disable()

    version = TriageVersion.objects.get(pk=version.pk)
    s = watch.seconds
    fitting = s["train"] - s["tfidf"]
    most = max((rows for rows, _, _ in fits["departments"]), default=0)
    accounted = s["read"] + s["train"] + s["judge"] + s["unpickle"] + s["pickle"] + s["store"] + s["promote"]
    evaluation = version.evaluation
    rows = [
        ("read the settled cases (labelled_cases)", s["read"]),
        ("TriageModel.train()", s["train"]),
        ("  TF-IDF features of every text (fitted once)", s["tfidf"]),
        (f"  model fits side by side on {cores} cores, judging, temperature", fitting),
        # Thread seconds: they overlap.
        *(
            (
                f"    department model on {examples:,} examples, {steps} iterations"
                + (" (the judge: without the most recent)" if examples < most else ""),
                seconds,
            )
            for examples, seconds, steps in sorted(fits["departments"], reverse=True)
        ),
        (
            f"    {len(fits['tags'])} tag models (seconds summed; at most"
            f" {max((steps for _, _, steps in fits['tags']), default=0)} iterations)",
            s["tags"],
        ),
        (f"ask the live model about the {evaluation.get('holdout', 0):,} most recent cases", s["judge"]),
        ("unpickle the live model", s["unpickle"]),
        ("pickle and compress the new model", s["pickle"]),
        ("store and promote the version", s["store"] + s["promote"]),
        ("rest", total - accounted),
    ]
    print(
        f"2. Retraining: triage_train() on {version.case_examples:,} settled cases ({version.corrections:,}"
        f" re-routed) + {version.corpus_examples:,} starter messages, {cores} cores"
        + (
            f", BLAS at {os.environ['OPENBLAS_NUM_THREADS']} thread(s)"
            if "OPENBLAS_NUM_THREADS" in os.environ
            else ""
        )
        + (" (under cProfile: slower)" if profiler else "")
    )
    print()
    print(f"{'step':<58} | {'s':>7} | {'share':>5}")
    print(f"{'-' * 58}-+-{'-' * 7}-+-{'-' * 5}")
    for label, seconds in rows:
        print(f"{label:<58} | {seconds:>7.1f} | {seconds / total:>5.0%}")
    verdict = "met" if total <= TARGET_RETRAIN_SECONDS else "MISSED"
    print(f"{'total triage_train()':<58} | {total:>7.1f} | target <= {TARGET_RETRAIN_SECONDS} s: {verdict}")
    print()
    blob_mb = len(version.blob) / 1e6
    model = TriageModel.from_bytes(bytes(version.blob))
    features = len(model.chars.vocabulary_) + len(model.words.vocabulary_)
    print(
        f"peak RSS {peak_rss_mb():,.0f} MB ({rss_before:,.0f} MB before triage_train);"
        f" model v{version.version} ({version.status}): {blob_mb:.1f} MB blob, {features:,} features"
    )
    if "candidate_accuracy" in evaluation:
        print(
            f"held out: candidate {evaluation['candidate_accuracy']:.1%}, live v{evaluation['live_version']}"
            f" {evaluation['live_accuracy']:.1%} on the {evaluation['holdout']:,} most recent cases"
            " (variants of the starter messages: not a measure of quality)"
        )
    print(flush=True)
    if profiler:
        import pstats

        print("cProfile of triage_train(), by cumulative time:")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(30)
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(15)
    emit(
        retrain_seconds=total,
        read_seconds=s["read"],
        train_seconds=s["train"],
        features_seconds=s["tfidf"],
        fitting_seconds=fitting,
        case_examples=version.case_examples,
        peak_rss_mb=peak_rss_mb(),
        blob_mb=blob_mb,
        cores=cores,
    )
