"""``generate_cases --count N``: realistic history for dashboards and benchmarks.

Cases are drawn from the labelled sample's real wording and spread over the
past year with weekday and office-hour peaks; departments, channels, kinds,
priorities, response and resolution times, lateness and survey answers
follow plausible distributions. Rows are written with bulk inserts, so a
million cases take minutes, not hours. Run ``seed_demo`` first.
"""

import json
import math
import random
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from feedback.models import Case, Customer, Status, SurveyResponse
from routing.models import Department, Tag
from routing.selectors import sla_calendar
from routing.sla import Calendar, add_business_time

SAMPLE = Path(settings.BASE_DIR) / "tests" / "data" / "labelled_messages.json"
BATCH = 5_000

KINDS = {"complaint": 55, "claim": 15, "comment": 10, "praise": 8, "suggestion": 6, "question": 6}
CHANNELS = {"web": 50, "email": 20, "phone": 12, "store": 8, "api": 5, "chat": 3, "social": 2}
PRIORITIES = {"normal": 70, "high": 20, "low": 5, "urgent": 5}
DEPARTMENTS = {
    "logistics": 35,
    "billing": 20,
    "product-quality": 15,
    "stores": 12,
    "digital": 10,
    "customer-service": 8,
}
# Cases older than this are nearly all answered and resolved.
STALE_AFTER = timedelta(days=21)
# Busier on Mondays, quieter at weekends (Monday = 0).
WEEKDAY_WEIGHT = [1.4, 1.2, 1.1, 1.0, 1.0, 0.6, 0.5]


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _sla(department: Department) -> tuple[Calendar | None, dict[str, tuple[int, int]]]:
    """The department's calendar and (first response, resolution) hours by priority."""
    policy = department.sla_policy
    if policy is None:
        return None, dict.fromkeys(PRIORITIES, (8, 72))
    return sla_calendar(policy), {priority: policy.targets_for(priority) for priority in PRIORITIES}


def _lognormal_hours(rng: random.Random, median_hours: float, sigma: float = 0.9) -> timedelta:
    return timedelta(hours=rng.lognormvariate(math.log(median_hours), sigma))


class Command(BaseCommand):
    help = "Create N realistic cases (with customers, tags and surveys) for dashboards and benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True)
        parser.add_argument("--days", type=int, default=365, help="Spread the cases over this many days.")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--no-rollups",
            dest="rollups",
            action="store_false",
            help="Leave the dashboards' daily figures to the periodic task.",
        )

    def handle(self, *args, count: int, days: int, seed: int, **options):
        departments = {d.slug: d for d in Department.objects.select_related("owner", "sla_policy__calendar")}
        if not departments:
            raise CommandError("No departments: run seed_demo first.")
        # Seeded, repeatable made-up history: not for anything secret.
        rng = random.Random(seed)  # noqa: S311
        now = timezone.now()
        items = json.loads(SAMPLE.read_text(encoding="utf-8"))["items"]
        by_department: dict[str, list[dict]] = {}
        for item in items:
            by_department.setdefault(item["expected_department"], []).append(item)
        tags = {t.slug: t.pk for t in Tag.objects.all()}
        weights = {slug: w for slug, w in DEPARTMENTS.items() if slug in departments} or dict.fromkeys(
            departments, 1
        )
        next_id = (Case.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        customers = self._customers(rng, max(1, count // 3))
        # Each team's business hours and targets: due dates, answers and
        # resolutions fall in working time, as they do for a real team.
        self.slas = {slug: _sla(department) for slug, department in departments.items()}
        written = 0
        while written < count:
            size = min(BATCH, count - written)
            self._batch(
                rng, now, days, size, next_id + written, departments, weights, by_department, tags, customers
            )
            written += size
            self.stdout.write(f"{written:,} / {count:,} cases")
        self._reset_sequences()
        self.stdout.write(self.style.SUCCESS(f"Created {count:,} cases."))
        if options["rollups"]:
            # History changed: store every day's dashboard figures now rather than on the next periodic run.
            call_command("refresh_dashboards", "--all", stdout=self.stdout)

    def _customers(self, rng: random.Random, n: int) -> list[int]:
        # A third as many customers as cases: some complain again (repeat complainants).
        start = (Customer.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        rows = [
            Customer(
                name=f"Cliente {start + i}",
                email=f"cliente{start + i}@example.com",
                language=rng.choice("eeen"),
            )
            for i in range(n)
        ]
        for chunk in range(0, n, BATCH):
            Customer.objects.bulk_create(rows[chunk : chunk + BATCH])
        return list(Customer.objects.filter(pk__gte=start).values_list("pk", flat=True))

    @transaction.atomic
    def _batch(self, rng, now, days, size, first_id, departments, weights, by_department, tags, customers):
        cases, links, surveys = [], [], []
        for i in range(size):
            slug = _pick(rng, weights)
            department = departments[slug]
            item = rng.choice(by_department.get(slug) or by_department["customer-service"])
            created = self._created_at(rng, now, days)
            routed = created + timedelta(seconds=rng.lognormvariate(math.log(0.4), 0.6))
            priority = _pick(rng, PRIORITIES)
            calendar, targets = self.slas[slug]
            first_response_hours, resolution_hours = targets[priority]
            pk = first_id + i
            case = Case(
                id=pk,
                reference=f"{settings.CX_REFERENCE_PREFIX}-{created.year}-{pk:06d}",
                customer_id=rng.choice(customers),
                kind=item["kind"] if rng.random() < 0.7 else _pick(rng, KINDS),
                channel=_pick(rng, CHANNELS),
                language=item["language"],
                subject=item["subject"],
                message=item["message"],
                priority=priority,
                department=department,
                owner=department.owner,
                created_at=created,
                routed_at=routed,
                first_response_due_at=add_business_time(routed, first_response_hours, calendar),
                resolution_due_at=add_business_time(routed, resolution_hours, calendar),
                status=Status.ROUTED,
            )
            if "delivery-delay" in item["expected_tags"]:
                case.order_reference = str(rng.randint(10000, 99999))
                case.order_date = (created - timedelta(days=rng.randint(3, 20))).date()
                case.promised_delivery_date = (created - timedelta(days=rng.randint(1, 12))).date()
            self._progress(rng, now, case, routed, calendar)
            cases.append(case)
            links += [
                Case.tags.through(case_id=pk, tag_id=tags[t]) for t in item["expected_tags"] if t in tags
            ]
            if case.resolved_at and rng.random() < 0.35:
                surveys.append(self._survey(rng, case, case.resolved_at))
        Case.objects.bulk_create(cases)
        Case.tags.through.objects.bulk_create(links)
        SurveyResponse.objects.bulk_create(surveys)

    @staticmethod
    def _created_at(rng: random.Random, now: datetime, days: int) -> datetime:
        while True:
            moment = now - timedelta(seconds=rng.uniform(0, days * 86400))
            local = timezone.localtime(moment)
            office = 1.0 if 8 <= local.hour < 21 else 0.25
            if rng.random() < WEEKDAY_WEIGHT[local.weekday()] / 1.4 * office:
                return moment

    @staticmethod
    def _progress(
        rng: random.Random, now: datetime, case: Case, routed: datetime, calendar: Calendar | None
    ) -> None:
        """Answer, resolve and close the case as far as its age allows.

        Recent cases are often still waiting; after a few weeks almost all
        are settled, so the backlog stays the size of a real team's.
        """
        stuck = 0.1 if now - case.created_at < STALE_AFTER else 0.003
        # Medians of 2.5 working hours to answer and 20 more to resolve.
        first = add_business_time(routed, rng.lognormvariate(math.log(2.5), 0.9), calendar)
        if first < now and rng.random() > stuck:
            case.first_response_at = first
            case.status = Status.IN_PROGRESS
            resolved = add_business_time(first, rng.lognormvariate(math.log(20), 1.0), calendar)
            if resolved < now and rng.random() > stuck:
                case.resolved_at = resolved
                case.status = Status.RESOLVED
                closed = resolved + _lognormal_hours(rng, 48)
                if closed < now and rng.random() < 0.8:
                    case.closed_at = closed
                    case.status = Status.CLOSED
        elif rng.random() < 0.1:
            case.status = Status.WAITING

    @staticmethod
    def _survey(rng: random.Random, case: Case, resolved: datetime) -> SurveyResponse:
        # Slow resolutions score worse.
        hours = (resolved - case.created_at).total_seconds() / 3600
        mood = max(0.0, min(1.0, rng.gauss(0.8 - hours / 400, 0.2)))
        return SurveyResponse(
            case_id=case.pk,
            csat=1 + round(mood * 4),
            nps=round(mood * 10),
            ces=1 + round(mood * 6),
            submitted_at=resolved + timedelta(hours=rng.uniform(1, 72)),
        )

    @staticmethod
    def _reset_sequences() -> None:
        # Explicit ids leave PostgreSQL's sequences behind; move them on.
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Case, Customer]):
                cursor.execute(sql)
