"""The triage model in the organisation: which version is live, what it learns from, retraining.

Every settled case is a labelled example: a case resolved or closed in a
department belongs there, and a case a person re-routed belongs where they
sent it (such corrections weigh more). ``triage_train`` fits a model on
the starter corpus and those cases, compares it with the live model on the
most recent cases (through a twin fitted without them), and makes it live
only if it is not worse. Versions are stored in the database, so every
worker loads the same one; a change of live version reaches each worker on
its next case, with no restart (as rule changes do).
"""

import functools
import logging
import time
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cxportal.errors import ApplicationError
from feedback.models import Case, CaseEvent, Status

from .models import Department, TriageVersion
from .triage import Example, TriageModel, examples_from, starter_corpus

log = logging.getLogger(__name__)

LIVE_KEY = "routing:triage-live-version"
# At most this many settled cases are learnt from (the most recent).
MAX_CASES = 100_000
# The most recent fifth of them, up to this many, judge a candidate.
HOLDOUT_SHARE = 0.2
MAX_HOLDOUT = 5_000
# Fewer recent cases than this cannot tell two models apart.
MIN_HOLDOUT = 30
CORRECTION_WEIGHT = 3.0


@dataclass(frozen=True)
class LiveModel:
    version: int
    model: TriageModel
    thresholds: dict[str, float]
    fallback: str


_loaded: dict[int, TriageModel] = {}


def live_triage() -> LiveModel | None:
    """The live model, loaded once per process and per version; None before the first one.

    The live version number is read from the cache (one GET per case), or
    from the database when the cache is down.
    """
    # Imported here: routing.config builds the routing set-up from this module.
    from .config import triage_settings

    settings = triage_settings()
    return load_live_model(_live_version(), thresholds=settings.thresholds, fallback=settings.fallback)


def load_live_model(version: int | None, *, thresholds: dict[str, float], fallback: str) -> LiveModel | None:
    """Model ``version`` with the departments' thresholds, loaded once per process; None without one."""
    if version is None:
        return None
    model = _loaded.get(version)
    if model is None:
        blob = TriageVersion.objects.filter(version=version).values_list("blob", flat=True).first()
        if blob is None:
            return None
        try:
            model = TriageModel.from_bytes(bytes(blob))
        except ValueError as exc:
            # A model written by another version of the code: route by the rules alone.
            log.error("Cannot load triage model v%s (%s); routing by the rules alone.", version, exc)
            return None
        _loaded.clear()
        _loaded[version] = model
    return LiveModel(version, model, thresholds, fallback)


def _live_version() -> int | None:
    try:
        version = cache.get(LIVE_KEY)
    except Exception as exc:
        log.warning("Cache unreachable (%s); reading the live triage model from the database.", exc)
        version = None
    if version is None:
        version = live_version_in_database()
    return version or None


def live_version_in_database() -> int:
    """The live model's version from the database (0: none yet), remembered in the cache."""
    version = (
        TriageVersion.objects.filter(status=TriageVersion.Status.LIVE)
        .values_list("version", flat=True)
        .first()
    )
    # 0 is remembered too: without a model, routing asks the database once, not per case.
    _remember_live(version or 0)
    return version or 0


def _remember_live(version: int) -> None:
    try:
        cache.set(LIVE_KEY, version, timeout=None)
    except Exception as exc:
        log.warning("Could not record the live triage model in the cache (%s).", exc)


def forget_loaded_models() -> None:
    """Drop this process's loaded model (tests simulate a fresh worker)."""
    _loaded.clear()


def labelled_cases(*, limit: int = MAX_CASES) -> list[tuple[int, Example]]:
    """The organisation's settled cases as examples, oldest first, with their case ids.

    Settled: re-routed by a person, or resolved or closed in a department.
    Cases whose text was erased (privacy requests) teach nothing and are left out.
    """
    rerouted = set(
        CaseEvent.objects.filter(kind=CaseEvent.Kind.ROUTED, data__rerouted=True).values_list(
            "case_id", flat=True
        )
    )
    settled = (
        Case.objects.filter(department__isnull=False)
        .filter(Q(status__in=(Status.RESOLVED, Status.CLOSED)) | Q(pk__in=rerouted))
        .exclude(message="")
        .order_by("-updated_at", "-pk")
        .values_list("pk", "subject", "message", "language", "kind", "channel", "department__slug")[:limit]
    )
    rows = list(settled)
    tags: dict[int, list[str]] = {}
    ids = [row[0] for row in rows]
    for case_id, slug in Case.tags.through.objects.filter(case_id__in=ids).values_list(
        "case_id", "tag__slug"
    ):
        tags.setdefault(case_id, []).append(slug)
    examples = [
        (
            pk,
            Example(
                subject=subject,
                message=message,
                department=department,
                tags=tuple(sorted(tags.get(pk, ()))),
                language=language,
                kind=kind,
                channel=channel,
                weight=CORRECTION_WEIGHT if pk in rerouted else 1.0,
            ),
        )
        for pk, subject, message, language, kind, channel, department in rows
    ]
    examples.reverse()
    return examples


def _accuracy(model: TriageModel, examples: list[Example]) -> float:
    predictions = model.predict(examples)
    return sum(p.department == e.department for p, e in zip(predictions, examples, strict=True)) / len(
        examples
    )


def triage_train(*, actor: User | None = None, now: datetime | None = None) -> TriageVersion:
    """Train a new model and make it live if it is not worse than the live one.

    It is judged on the most recent settled cases: a twin fitted without
    them is asked about them, while the model itself learns from
    everything, so the latest corrections are in the model that goes live.
    With no live model yet, or too few recent cases to judge on, it goes
    live. A model that is worse is kept, rejected, for the record.
    """
    now = now or timezone.now()
    started = time.monotonic()
    corpus = examples_from(starter_corpus())
    cases = [example for _, example in labelled_cases()]
    corrections = sum(e.weight > 1 for e in cases)
    live = TriageVersion.objects.filter(status=TriageVersion.Status.LIVE).first()
    holdout_size = min(int(len(cases) * HOLDOUT_SHARE), MAX_HOLDOUT)
    evaluation: dict = {"holdout": holdout_size}
    judged = live is not None and holdout_size >= MIN_HOLDOUT
    model = (
        TriageModel.train(corpus + cases, judge_on=holdout_size if judged else 0)
        if cases
        else starter_model()
    )
    promote = True
    if live is None:
        note = _("First model: nothing to compare with.")
    elif not judged:
        note = _("Only %(n)d recent settled cases: too few to compare; the new model goes live.") % {
            "n": holdout_size
        }
    else:
        live_accuracy = _accuracy(TriageModel.from_bytes(bytes(live.blob)), cases[-holdout_size:])
        # Trained with ``judge_on`` above, so it was judged.
        judged_accuracy: float = model.judged  # type: ignore[assignment]
        evaluation.update(
            candidate_accuracy=round(judged_accuracy, 4),
            live_accuracy=round(live_accuracy, 4),
            live_version=live.version,
        )
        promote = judged_accuracy >= live_accuracy
        note = _("Right on %(c).1f %% of the %(n)d most recent cases, the live v%(v)d on %(l).1f %%.") % {
            "c": 100 * judged_accuracy,
            "n": holdout_size,
            "v": live.version,
            "l": 100 * live_accuracy,
        }
    fields = {
        "train_seconds": round(time.monotonic() - started, 2),
        "corpus_examples": len(corpus),
        "case_examples": len(cases),
        "corrections": corrections,
        "evaluation": evaluation,
        "note": note,
    }
    if not promote:
        return _store(blob=model.to_bytes(), status=TriageVersion.Status.REJECTED, **fields)
    stored = _store(blob=model.to_bytes(), status=TriageVersion.Status.CANDIDATE, **fields)
    return triage_promote(version=stored, actor=actor, now=now)


@functools.cache
def starter_model() -> TriageModel:
    """The model trained on the starter corpus alone: what an organisation starts with.

    The same corpus always gives the same model, so a process trains it once.
    """
    return TriageModel.train(examples_from(starter_corpus()))


def _store(**fields) -> TriageVersion:
    # Two trainings at once (the beat task and the command) each get their own number.
    for _attempt in range(5):
        try:
            with transaction.atomic():
                number = (TriageVersion.objects.aggregate(n=Max("version"))["n"] or 0) + 1
                return TriageVersion.objects.create(version=number, **fields)
        except IntegrityError:
            continue
    raise RuntimeError("Could not number a new triage model version.")


def triage_promote(
    *, version: TriageVersion, actor: User | None = None, now: datetime | None = None
) -> TriageVersion:
    """Make ``version`` the live model (a newer one, or an older one to roll back)."""
    now = now or timezone.now()
    version.refresh_from_db(fields=["status"])
    if version.status == TriageVersion.Status.LIVE:
        return version
    with transaction.atomic():
        TriageVersion.objects.select_for_update().filter(status=TriageVersion.Status.LIVE).update(
            status=TriageVersion.Status.RETIRED
        )
        TriageVersion.objects.filter(pk=version.pk).update(
            status=TriageVersion.Status.LIVE, promoted_at=now, promoted_by=actor
        )
        transaction.on_commit(lambda: _remember_live(version.version))
    version.refresh_from_db()
    return version


def case_accept_suggestion(*, case: Case, actor: User) -> Case:
    """Route a case to the department the model suggested: one click on the case page."""
    from .services import case_reroute

    triage = (case.decision or {}).get("triage") or {}
    slug = triage.get("suggestion")
    department = Department.objects.filter(slug=slug).first() if slug else None
    if department is None:
        raise ApplicationError(_("This case has no suggestion to accept."), code="no_suggestion")
    return case_reroute(case=case, department=department, actor=actor)
