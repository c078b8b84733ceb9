"""Speed of the triage model: prediction on one core, retraining on 100,000 cases, routing latency.

    .venv/bin/python bench/triage.py                    # 100,000 cases
    .venv/bin/python bench/triage.py --quick            # 2,000 cases, fewer repeats: a smoke run
    .venv/bin/python bench/triage.py --cases 30000 --profile --blas-threads 1

The default run takes about three minutes plus however long ``triage_train()``
takes on 100,000 cases (the figure being measured).

Each part runs in a process of its own, so that its thread settings and its
peak memory are its own:

1. Prediction, pinned to one core (``sched_setaffinity``, BLAS and OpenMP at
   one thread): the starter model on the 3,300 starter messages, with
   ``predict`` in batches and with ``predict_one`` one message at a time (with
   the explanation, as routing asks for each case); best and median of the
   repeats. A worker keeps each word it has seen cut into n-grams, so the
   last line times ``predict_one`` with that memory emptied before each
   pass, as in a process that has seen none of the words. Then, as a check on what was timed, the department accuracy of
   the model, the demo rules and both on the 480 held-out messages
   (tests/data/triage_heldout; ``manage.py evaluate_triage`` says more).
2. Retraining: a throwaway SQLite database gets the demo organisation and N
   settled cases (default 100,000: resolved or closed over the past year,
   2 % of them re-routed by a person) made from the starter messages with
   varied numbers, order references, stores, greetings and typos; the starter
   model is live. ``triage_train()`` then runs as the nightly task does, on
   all the machine's cores: where its time goes (features; then side by
   side the department model, the one without the most recent cases that
   judges it, and the tag models), peak RSS, the stored model.
3. Routing latency: ``case_route`` on new cases worded like the held-out
   messages, on the same database, with no live model, the starter model
   live and the model just retrained live, interleaved in blocks (a warm-up
   case after each switch): median and p95 of each and the differences.

Targets from the issue (printed, not asserted): prediction at least 2,000
messages/s on one core; retraining on 100,000 cases at most 2 minutes on a
2-core machine; routing latency unchanged within noise.
"""

import argparse
import json
import math
import os
import platform
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import Counter, defaultdict
from datetime import timedelta
from importlib.metadata import version as installed_version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HELDOUT = ROOT / "tests" / "data" / "triage_heldout"
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
RESULT = "RESULT "
BATCH = 5_000
REROUTED_SHARE = 0.02
TARGET_MESSAGES_PER_SECOND = 2_000
TARGET_RETRAIN_SECONDS = 120

STORES = [
    "Madrid Gran Vía", "Barcelona Diagonal", "Valencia Centro", "Sevilla Nervión", "Bilbao Abando",
    "Zaragoza Puerto Venecia", "Málaga Larios", "Murcia Thader", "A Coruña Marineda", "Alicante Plaza Mar",
    "Valladolid Río Shopping", "Palma Fan Mallorca", "Granada Nevada", "Oviedo Los Prados",
]  # fmt: skip
NAMES = ["Lucía", "Javier", "Marta", "Pablo", "Ana", "Sergio", "Nuria", "Emma", "Oliver", "Sophie", "James"]
GREETINGS = {
    "es": ["Hola,", "Buenos días,", "Buenas tardes.", "Hola buenas,", "Buenas,"],
    "en": ["Hi,", "Hello,", "Good morning,", "Hi there,", "Dear team,"],
}
SIGN_OFFS = {
    "es": ["Gracias.", "Un saludo.", "Saludos, {name}.", "Espero respuesta.", "Gracias de antemano, {name}"],
    "en": ["Thanks.", "Regards, {name}.", "Cheers", "Thank you.", "Many thanks, {name}"],
}
ORDER_REFERENCES = {
    "es": ["Pedido {n}.", "Nº de pedido: {n}.", "(pedido {n})", "Mi número de pedido es el {n}."],
    "en": ["Order #{n}.", "Order number {n}.", "(order {n})", "My order number is {n}."],
}
STORE_MENTIONS = {
    "es": ["Fue en la tienda de {store}.", "(tienda {store})", "Compré en {store}."],
    "en": ["This was at the {store} store.", "({store} store)", "Bought at {store}."],
}
_NUMBER = re.compile(r"\d+")
_LONG_WORD = re.compile(r"[^\W\d_]{4,}")


# --- Messages as customers write them ----------------------------------------


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:  # two letters swapped
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 1:  # a letter left out
        return word[:i] + word[i + 1 :]
    if kind == 2:  # a letter doubled
        return word[: i + 1] + word[i:]
    return "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c))


def varied(item: dict, rng: random.Random) -> tuple[str, str]:
    """The subject and message of ``item`` as another customer might have written them."""
    language = item["language"] if item["language"] in GREETINGS else "es"
    numbers = lambda m: str(rng.randint(1, 10 ** len(m.group(0))))  # noqa: E731
    subject = _NUMBER.sub(numbers, item["subject"])
    text = _NUMBER.sub(numbers, item["message"])
    text = _LONG_WORD.sub(lambda m: _typo(m.group(0), rng) if rng.random() < 0.04 else m.group(0), text)
    parts = [text]
    if rng.random() < 0.25:
        reference = rng.choice(ORDER_REFERENCES[language]).format(n=rng.randint(10_000_000, 99_999_999))
        parts.insert(rng.choice((0, 1)), reference)
    if rng.random() < 0.12:
        parts.append(rng.choice(STORE_MENTIONS[language]).format(store=rng.choice(STORES)))
    if rng.random() < 0.3:
        parts.insert(0, rng.choice(GREETINGS[language]))
    if rng.random() < 0.3:
        parts.append(rng.choice(SIGN_OFFS[language]).format(name=rng.choice(NAMES)))
    message = " ".join(parts)
    roll = rng.random()
    if roll < 0.05:
        message = message.lower()
    elif roll < 0.07:
        message = message.upper()
    return subject, message


# --- Helpers ---------------------------------------------------------------------


def setup_django() -> None:
    import django

    django.setup()


def emit(**figures) -> None:
    """Hand figures to the parent process for the summary."""
    print(RESULT + json.dumps(figures), flush=True)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def idlest_cpu(seconds: float = 0.5) -> int:
    """The allowed CPU that was busy least over ``seconds``: other processes share this machine."""
    allowed = os.sched_getaffinity(0)

    def busy() -> dict[int, int]:
        ticks = {}
        for line in Path("/proc/stat").read_text().splitlines():
            name, *values = line.split()
            if name.startswith("cpu") and name[3:].isdigit() and int(name[3:]) in allowed:
                numbers = [int(v) for v in values]
                ticks[int(name[3:])] = sum(numbers) - numbers[3] - numbers[4]  # all but idle, iowait
        return ticks

    try:
        before = busy()
        time.sleep(seconds)
        after = busy()
        return min(after, key=lambda cpu: (after[cpu] - before[cpu], cpu))
    except (OSError, ValueError):
        return min(allowed)


def runs(function, repeats: int) -> list[float]:
    """Seconds of each of ``repeats`` calls of ``function``."""
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - started)
    return seconds


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


# --- 1. Prediction on one core --------------------------------------------------


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


# --- 2. Retraining on the organisation's cases ----------------------------------


def part_database(args: argparse.Namespace) -> None:
    """A fresh database: the demo organisation, N settled cases, the starter model live."""
    import io

    setup_django()
    from django.core.management import call_command
    from threadpoolctl import threadpool_limits

    from routing.learning import triage_promote
    from routing.models import TriageVersion
    from routing.triage import TriageModel, examples_from, starter_corpus

    # Setup, not measured: BLAS at one thread spares the oversubscription (see part 2).
    with threadpool_limits(1, user_api="blas"):
        started = time.monotonic()
        call_command("migrate", verbosity=0)
        # Newer seed_demo makes the starter model live itself; otherwise the bench does.
        call_command("seed_demo", "--force", stdout=io.StringIO())
        if not TriageVersion.objects.filter(status=TriageVersion.Status.LIVE).exists():
            corpus = examples_from(starter_corpus())
            starter = TriageVersion.objects.create(
                version=1,
                blob=TriageModel.train(corpus).to_bytes(),
                corpus_examples=len(corpus),
                note="The starter model (bench).",
            )
            triage_promote(version=starter)
        seeded = time.monotonic() - started
    starter = TriageVersion.objects.get(status=TriageVersion.Status.LIVE)
    started = time.monotonic()
    rerouted = settled_cases(args.cases, random.Random(args.seed))
    print(
        f"   migrated, seeded the demo organisation and the starter model live as v{starter.version}"
        f" ({seeded:.0f} s); {args.cases:,} settled cases inserted ({rerouted:,} re-routed by a person;"
        f" {time.monotonic() - started:.0f} s)",
        flush=True,
    )


def settled_cases(count: int, rng: random.Random) -> int:
    """Insert ``count`` resolved or closed cases of the past year; how many were re-routed."""
    from django.conf import settings
    from django.db import transaction
    from django.db.models import Max
    from django.db.models.functions import Coalesce
    from django.utils import timezone

    from feedback.models import Case, CaseEvent, Customer, Status
    from routing.models import Department, Tag
    from routing.triage import starter_corpus

    items = starter_corpus()
    departments = {d.slug: d for d in Department.objects.all()}
    tags = dict(Tag.objects.values_list("slug", "pk"))
    now = timezone.now()
    first_customer = (Customer.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    Customer.objects.bulk_create(
        [
            Customer(name=f"Cliente {n}", email=f"cliente{n}@example.com", language=rng.choice("eeen"))
            for n in range(first_customer, first_customer + max(1, count // 3))
        ],
        batch_size=BATCH,
    )
    customers = list(Customer.objects.filter(pk__gte=first_customer).values_list("pk", flat=True))
    first = (Case.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    # Ids follow submission order, as they do on a live site; all settled at least two days ago.
    ages = sorted((rng.uniform(2, 365) for _ in range(count)), reverse=True)
    rerouted = 0
    for start in range(0, count, BATCH):
        cases, links, events = [], [], []
        for offset in range(start, min(start + BATCH, count)):
            pk = first + offset
            item = rng.choice(items)
            department = departments[item["department"]]
            subject, message = varied(item, rng)
            created = now - timedelta(days=ages[offset])
            routed = created + timedelta(seconds=rng.uniform(0.2, 2))
            answered = routed + timedelta(hours=rng.lognormvariate(1, 0.9))
            resolved = min(answered + timedelta(hours=rng.lognormvariate(3, 1.0)), now - timedelta(hours=1))
            closed = resolved + timedelta(hours=rng.lognormvariate(3.9, 0.5)) if rng.random() < 0.75 else None
            cases.append(
                Case(
                    id=pk,
                    reference=f"{settings.CX_REFERENCE_PREFIX}-{created.year}-{pk:06d}",
                    customer_id=rng.choice(customers),
                    kind=item["kind"],
                    channel=item["channel"],
                    language=item["language"],
                    subject=subject[:200],
                    message=message,
                    department=department,
                    owner_id=department.owner_id,
                    created_at=created,
                    routed_at=routed,
                    first_response_at=answered,
                    resolved_at=resolved,
                    closed_at=closed if closed and closed < now else None,
                    status=Status.CLOSED if closed and closed < now else Status.RESOLVED,
                )
            )
            links += [Case.tags.through(case_id=pk, tag_id=tags[t]) for t in item["tags"] if t in tags]
            if rng.random() < REROUTED_SHARE:
                rerouted += 1
                wrong = rng.choice([slug for slug in departments if slug != department.slug])
                events.append(
                    CaseEvent(
                        case_id=pk,
                        kind=CaseEvent.Kind.ROUTED,
                        at=routed + timedelta(hours=1),
                        text=f"{departments[wrong].name} → {department.name}",
                        data={
                            "from": wrong,
                            "to": department.slug,
                            "department": department.slug,
                            "rerouted": True,
                        },
                    )
                )
        with transaction.atomic():
            Case.objects.bulk_create(cases)
            Case.tags.through.objects.bulk_create(links)
            CaseEvent.objects.bulk_create(events)
    # bulk_create stamps updated_at with now; a settled case was last touched when it was settled.
    Case.objects.filter(pk__gte=first).update(updated_at=Coalesce("closed_at", "resolved_at"))
    return rerouted


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


# --- 3. Routing latency -------------------------------------------------------------


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


# --- The run ------------------------------------------------------------------------


def run_part(part: str, var: Path, *, blas_threads: int | None = None) -> dict:
    """Run one part in a process of its own; its figures for the summary."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cxportal.settings",
        "SECRET_KEY": "bench-only-not-secret",
        "DEBUG": "1",
        "CX_VAR_DIR": str(var),
        "DATABASE_URL": f"sqlite:///{var / 'db.sqlite3'}",
        # No Redis: the cache is the process's memory, tasks go to an in-memory broker.
        "CX_REDIS_CACHE": "0",
        "CELERY_BROKER_URL": "memory://localhost//",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("REDIS_URL", "EMAIL_URL", "SITE_URL", *THREAD_VARIABLES):
        env.pop(name, None)
    if part == "retrain" and blas_threads:
        env.update({"OPENBLAS_NUM_THREADS": str(blas_threads), "MKL_NUM_THREADS": str(blas_threads)})
    argv = [sys.executable, str(Path(__file__).resolve()), *sys.argv[1:], "--part", part]
    process = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    figures: dict = {}
    for line in process.stdout:
        if line.startswith(RESULT):
            figures.update(json.loads(line[len(RESULT) :]))
        else:
            print(line, end="", flush=True)
    if process.wait():
        sys.exit(f"bench/triage.py: the {part} part failed (exit status {process.returncode})")
    return figures


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def summary(figures: dict, seconds: float, load: tuple[float, float, float]) -> None:
    def verdict(ok: bool) -> str:
        return "met" if ok else "**missed**"

    target = f"≥ {TARGET_MESSAGES_PER_SECOND:,} msg/s"
    latency, rounds = figures["latency"], figures["rounds"]
    none, retrained = latency["no model"], latency["retrained model"]
    change = retrained["median"] - none["median"]
    command = " ".join([".venv/bin/python bench/triage.py", *sys.argv[1:]])
    print("## Summary")
    print()
    print(
        f"{os.cpu_count()} CPUs ({cpu_model()}), Python {platform.python_version()},"
        f" scikit-learn {installed_version('scikit-learn')}, numpy {installed_version('numpy')},"
        f" SQLite; load average {load[0]:.1f} before the run, {os.getloadavg()[0]:.1f} after"
        f" (other processes share the cores); whole run {seconds / 60:.1f} min"
    )
    print()
    print("| measure | result | target |")
    print("|---|---|---|")
    print(
        f"| prediction, one core, `predict()` in batches of {figures['batch_size']}"
        f" | {figures['batch_best']:,.0f} msg/s (median {figures['batch_median']:,.0f})"
        f" | {target}: {verdict(figures['batch_best'] >= TARGET_MESSAGES_PER_SECOND)} |"
    )
    print(
        f"| prediction, one core, `predict_one()` per message as routing calls it"
        f" | {figures['one_best']:,.0f} msg/s (median {figures['one_median']:,.0f};"
        f" {figures['bare_best']:,.0f} without the explanation; {figures['cold_best']:,.0f} in a fresh"
        " process, every word new)"
        f" | {target}: {verdict(figures['one_best'] >= TARGET_MESSAGES_PER_SECOND)} |"
    )
    print(
        f"| retraining, `triage_train()` on {figures['case_examples']:,} cases, {figures['cores']} cores"
        f" | {figures['retrain_seconds']:.0f} s ({figures['read_seconds']:.0f} s reading the cases,"
        f" {figures['features_seconds']:.0f} s features, {figures['fitting_seconds']:.0f} s fitting);"
        " peak RSS"
        f" {figures['peak_rss_mb']:,.0f} MB; model {figures['blob_mb']:.1f} MB"
        f" | ≤ {TARGET_RETRAIN_SECONDS} s on 100,000 cases"
        + (
            f": {verdict(figures['retrain_seconds'] <= TARGET_RETRAIN_SECONDS)} |"
            if figures["case_examples"] >= 100_000
            else " (not measured by this run) |"
        )
    )
    print(
        f"| routing latency, `case_route()` median / p95 ({figures['latency_cases']} cases each)"
        f" | {none['median']:.1f} / {none['p95']:.1f} ms with no model;"
        f" {retrained['median']:.1f} / {retrained['p95']:.1f} ms with the retrained model"
        f" ({change:+.1f} ms median; slower in {retrained['slower_rounds']} of {rounds} interleaved rounds,"
        f" sign test p = {retrained['p']:.2g})"
        f" | unchanged within noise: {verdict(retrained['p'] >= 0.05)} |"
    )
    print()
    print(f"Rerun: `{command}`")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, help="settled cases to retrain on (100,000; 2,000 with --quick)")
    parser.add_argument("--quick", action="store_true", help="a small run: fewer cases, messages and repeats")
    parser.add_argument("--repeats", type=int, help="timed passes over the messages (5; 2 with --quick)")
    parser.add_argument("--batch", type=int, default=256, help="messages per predict() call (256)")
    parser.add_argument(
        "--one-at-a-time", type=int, help="messages timed with predict_one (600; 200 with --quick)"
    )
    parser.add_argument("--latency-cases", type=int, help="routed cases per mode (300; 60 with --quick)")
    parser.add_argument("--latency-block", type=int, default=20, help="cases per mode in a row (20)")
    parser.add_argument("--cpu", type=int, help="the core to time prediction on (default: the idlest)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed for cases and messages")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of triage_train()")
    parser.add_argument(
        "--blas-threads",
        type=int,
        help="OPENBLAS/MKL_NUM_THREADS for retraining (default: unset, as in production)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database and print its path")
    parser.add_argument(
        "--part", choices=["predict", "database", "retrain", "latency"], help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    quick = args.quick
    args.cases = args.cases if args.cases is not None else 2_000 if quick else 100_000
    args.repeats = args.repeats or (2 if quick else 5)
    args.one_at_a_time = args.one_at_a_time or (200 if quick else 600)
    args.latency_cases = args.latency_cases or (60 if quick else 300)
    if quick and args.latency_block == parser.get_default("latency_block"):
        args.latency_block = 10

    if args.part:
        parts = {
            "predict": part_predict,
            "database": part_database,
            "retrain": part_retrain,
            "latency": part_latency,
        }
        parts[args.part](args)
        return

    started, load = time.monotonic(), os.getloadavg()
    var = Path(tempfile.mkdtemp(prefix="cx-bench-triage-"))
    figures: dict = {}
    try:
        figures.update(run_part("predict", var))
        print(f"Building the throwaway database in {var} ...", flush=True)
        run_part("database", var)
        print()
        figures.update(run_part("retrain", var, blas_threads=args.blas_threads))
        figures.update(run_part("latency", var))
    finally:
        if args.keep:
            print(f"(kept {var})")
        else:
            shutil.rmtree(var, ignore_errors=True)
    summary(figures, time.monotonic() - started, load)


if __name__ == "__main__":
    main()
