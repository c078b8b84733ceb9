"""Part 2 of ``bench/triage.py``, the setup: a throwaway database, the demo organisation, N settled cases."""

import argparse
import random
import time
from datetime import timedelta

from bench._triage_common import BATCH, setup_django
from bench._triage_messages import varied

REROUTED_SHARE = 0.02


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
