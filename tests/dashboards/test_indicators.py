"""Every indicator checked against values worked out by hand on one fixed data set.

Days are UTC days here (``TIME_ZONE`` is set to UTC; Madrid days have tests
of their own). The period is 1 to 7 March, [1 Mar 00:00, 8 Mar 00:00), and
``now`` is its end. The previous period, 22 to 28 February, ends in the past:
its backlog is rebuilt from the timestamps. The departments have no SLA
calendar, so business time is wall-clock time (calendars have tests below).
Every test runs twice: tallied live from the cases, and read from the daily
roll-ups the periodic task stores.

    case  dept  created    kind/channel      customer  first response        resolution            status
    L1    L     1 Mar 00h  complaint/web     C1        due 1 Mar 08h, 02h    due 4 Mar, 2 Mar 00h  resolved
    L2    L     2 Mar 00h  complaint/email   C1        due 2 Mar 08h, 10h    due 5 Mar, 6 Mar 00h  in progress (reopened 6 Mar 12h)
    L3    L     3 Mar 00h  claim/web         C2        due 3 Mar 08h, never  due 9 Mar             routed
    L4    L     8 Mar 00h  complaint/web     C7        -                     -                     new        (created at `until`: out)
    L5    L    25 Feb 00h  complaint/phone   C3        due 25 Feb 08h, 01h   due 1 Mar 00h, 12h    closed 2 Mar
    L6    L    20 Feb 00h  complaint/web     C4        due 20 Feb 08h, 02h   due 10 Mar            waiting
    B1    B     4 Mar 00h  complaint/web     C2        due 4 Mar 08h, 04h    due 7 Mar, never      in progress
    B2    B     5 Mar 12h  question/chat     C5        due 5 Mar 20h, 13h    due 8 Mar 12h, 6 Mar 12h  resolved
    U1    -     7 Mar 00h  comment/web       C6        -                     -                     new

L1 and L2 are tagged delivery-delay, promised for 25 Feb and 1 Mar (4 and 1 days late);
B1 is tagged billing-error. Surveys (CSAT, NPS, CES): L1 (5, 10, 2) on 3 Mar, L2 (2, 6, 5)
on 6 Mar, B2 (4, 9, 1) on 7 Mar, L5 (1, 0, 7) on 26 Feb (previous period).
"""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import translation

from dashboards import rollups
from dashboards.indicators import INDICATORS, TOTAL, compute
from dashboards.models import RolledUpDay
from dashboards.periods import last_days, period_from
from dashboards.tables import Cell
from dashboards.templatetags.dashboard_tags import kpi_delta
from feedback.models import Case, CaseEvent, Channel, Kind, Status, SurveyResponse
from tests.factories import CaseFactory, CustomerFactory, TagFactory


def at(day: int, hour: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


SINCE, UNTIL, NOW = at(1), at(8), at(8)
PREVIOUS = at(22, month=2)
H = timedelta(hours=1)
D = timedelta(days=1)


@pytest.fixture(params=["live", "rolled up"])
def data(request, settings, logistics, billing):
    settings.TIME_ZONE = "UTC"
    delivery, billing_error = TagFactory(slug="delivery-delay"), TagFactory(slug="billing-error")
    c1, c2, c3, c4, c5, c6, c7 = (CustomerFactory() for _ in range(7))
    web, email, phone, chat = Channel.WEB, Channel.EMAIL, Channel.PHONE, Channel.CHAT

    def case(**fields) -> Case:
        return CaseFactory(
            kind=fields.pop("kind", Kind.COMPLAINT), channel=fields.pop("channel", web), **fields
        )

    l1 = case(department=logistics, customer=c1, created_at=at(1), status=Status.RESOLVED,
              first_response_due_at=at(1, 8), first_response_at=at(1, 2),
              resolution_due_at=at(4), resolved_at=at(2), promised_delivery_date=date(2026, 2, 25))  # fmt: skip
    l2 = case(department=logistics, customer=c1, created_at=at(2), channel=email, status=Status.IN_PROGRESS,
              first_response_due_at=at(2, 8), first_response_at=at(2, 10),
              resolution_due_at=at(5), resolved_at=at(6), promised_delivery_date=date(2026, 3, 1))  # fmt: skip
    case(department=logistics, customer=c2, created_at=at(3), kind=Kind.CLAIM, status=Status.ROUTED,
         first_response_due_at=at(3, 8), resolution_due_at=at(9))  # fmt: skip
    case(department=logistics, customer=c7, created_at=at(8), status=Status.NEW)
    l5 = case(department=logistics, customer=c3, created_at=at(25, month=2), channel=phone, status=Status.CLOSED,
              first_response_due_at=at(25, 8, month=2), first_response_at=at(25, 1, month=2),
              resolution_due_at=at(1), resolved_at=at(1, 12), closed_at=at(2))  # fmt: skip
    case(department=logistics, customer=c4, created_at=at(20, month=2), status=Status.WAITING,
         first_response_due_at=at(20, 8, month=2), first_response_at=at(20, 2, month=2),
         resolution_due_at=at(10))  # fmt: skip
    b1 = case(department=billing, customer=c2, created_at=at(4), status=Status.IN_PROGRESS,
              first_response_due_at=at(4, 8), first_response_at=at(4, 4), resolution_due_at=at(7))  # fmt: skip
    b2 = case(department=billing, customer=c5, created_at=at(5, 12), kind=Kind.QUESTION, channel=chat,
              status=Status.RESOLVED, first_response_due_at=at(5, 20), first_response_at=at(5, 13),
              resolution_due_at=at(8, 12), resolved_at=at(6, 12))  # fmt: skip
    case(department=None, customer=c6, created_at=at(7), kind=Kind.COMMENT, status=Status.NEW)

    l1.tags.add(delivery)
    l2.tags.add(delivery)
    b1.tags.add(billing_error)
    CaseEvent.objects.create(
        case=l2, kind=CaseEvent.Kind.STATUS_CHANGED, at=at(6, 12),
        data={"from": "resolved", "to": "in_progress", "reopened": True},
    )  # fmt: skip
    # Not a reopening: an ordinary status change.
    CaseEvent.objects.create(
        case=b1, kind=CaseEvent.Kind.STATUS_CHANGED, at=at(4, 5),
        data={"from": "routed", "to": "in_progress", "reopened": False},
    )  # fmt: skip
    for survey_case, csat, nps, ces, submitted in (
        (l1, 5, 10, 2, at(3)),
        (l2, 2, 6, 5, at(6, 6)),
        (b2, 4, 9, 1, at(7)),
        (l5, 1, 0, 7, at(26, month=2)),
    ):
        SurveyResponse.objects.create(case=survey_case, csat=csat, nps=nps, ces=ces, submitted_at=submitted)
    if request.param == "rolled up":
        # 15 Feb to today, 8 Mar, stored as far as it has gone (not at all: it is midnight).
        assert rollups.refresh([date(2026, 2, 15) + n * D for n in range(25)], now=NOW) == 22
        assert RolledUpDay.objects.get(day=date(2026, 3, 8)).computed_at == NOW
    return {"logistics": logistics.pk, "billing": billing.pk}


def figures(data, *, since=SINCE, until=UNTIL, late_days=3):
    result = compute(first_day=since.date(), last_day=(until - D).date(), now=NOW, late_days=late_days)
    return {
        # A scope with nothing to count in the period has no figures at all.
        "logistics": result.get(data["logistics"]),
        "billing": result.get(data["billing"]),
        "unrouted": result.get(None),
        "total": result[TOTAL],
    }


def approx(value):
    return pytest.approx(value, abs=0.01)


@pytest.mark.django_db
def test_volumes_count_cases_received_from_since_inclusive_to_until_exclusive(data):
    f = figures(data)

    # L1 created exactly at `since` is in; L4 created exactly at `until` is out.
    assert f["logistics"]["received"] == 3  # L1, L2, L3
    assert f["logistics"].by_kind == {"complaint": 2, "claim": 1}
    assert f["logistics"].by_channel == {"web": 2, "email": 1}
    assert f["logistics"].by_tag == {"delivery-delay": 2}
    assert f["billing"]["received"] == 2
    assert f["billing"].by_kind == {"complaint": 1, "question": 1}
    assert f["billing"].by_tag == {"billing-error": 1}
    assert f["unrouted"]["received"] == 1
    assert f["total"]["received"] == 6
    assert f["total"].by_channel == {"web": 4, "email": 1, "chat": 1}


@pytest.mark.django_db
def test_backlog_its_age_and_overdue_are_the_state_at_the_end_of_the_period(data):
    f = figures(data)

    # Open now: L2, L3, L4, L6. Ages at 8 Mar: 6 d, 5 d, 0 d, 16 d -> median (5 + 6) / 2 = 5.5 d.
    assert f["logistics"]["backlog"] == 4
    assert f["logistics"]["backlog_median_age"] == timedelta(days=5.5)
    assert f["logistics"]["backlog_old"] == 1  # L6
    # L2 past its resolution date, L3 never answered past its first-response date.
    assert f["logistics"]["overdue"] == 2
    # B1 (4 d), past its resolution date.
    assert (f["billing"]["backlog"], f["billing"]["backlog_median_age"], f["billing"]["overdue"]) == (
        1,
        4 * D,
        1,
    )
    # The total adds the teams up; a median age cannot be pooled from the teams' medians.
    assert (f["total"]["backlog"], f["total"]["backlog_median_age"], f["total"]["overdue"]) == (6, None, 3)
    assert f["total"]["backlog_old"] == 1


@pytest.mark.django_db
def test_sla_compliance_counts_late_and_unanswered_cases_as_breached(data):
    f = figures(data)

    # First response due in the period: L1 met, L2 answered late, L3 never answered -> 1/3.
    assert f["logistics"]["first_response_sla"] == approx(100 / 3)
    # Resolution due in the period: L1 met, L2 late, L5 (due 1 Mar 00h, resolved 12h) late -> 1/3.
    assert f["logistics"]["resolution_sla"] == approx(100 / 3)
    # B1 and B2 answered in time -> 2/2; B1 unresolved past due (B2 is due after the period) -> 0/1.
    assert (f["billing"]["first_response_sla"], f["billing"]["resolution_sla"]) == (100, 0)
    # Pooled: 3/5 and 1/4.
    assert (f["total"]["first_response_sla"], f["total"]["resolution_sla"]) == (60, 25)
    # No due date at all: no figure rather than 0 %.
    assert f["unrouted"]["first_response_sla"] is None


@pytest.mark.django_db
def test_response_and_resolution_times_are_medians_and_nearest_rank_90th_percentiles(data):
    f = figures(data)

    # First responses in the period: L1 2 h, L2 10 h -> median 6 h, p90 (rank 2 of 2) 10 h.
    assert (f["logistics"]["first_response_median"], f["logistics"]["first_response_p90"]) == (6 * H, 10 * H)
    # Resolved in the period: L1 24 h, L2 96 h, L5 108 h -> median 96 h, p90 (rank 3 of 3) 108 h.
    assert (f["logistics"]["resolution_median"], f["logistics"]["resolution_p90"]) == (96 * H, 108 * H)
    # Billing: 4 h and 1 h -> 2.5 h, p90 4 h; B2 resolved in 24 h.
    assert (f["billing"]["first_response_median"], f["billing"]["first_response_p90"]) == (2.5 * H, 4 * H)
    assert f["billing"]["resolution_median"] == 24 * H
    # Total: 1, 2, 4, 10 h -> 3 h, p90 (rank 4 of 4) 10 h; 24 (B2), 24 (L1), 96, 108 h -> 60 h, 108 h.
    assert (f["total"]["first_response_median"], f["total"]["first_response_p90"]) == (3 * H, 10 * H)
    assert (f["total"]["resolution_median"], f["total"]["resolution_p90"]) == (60 * H, 108 * H)


@pytest.mark.django_db
def test_promise_kept_and_reopen_rate(data):
    f = figures(data)

    # Answered cases received in the period: L1 in time, L2 late -> 50 %; billing 2/2; total 3/4.
    assert (f["logistics"]["promise_kept"], f["billing"]["promise_kept"], f["total"]["promise_kept"]) == (
        50,
        100,
        75,
    )
    # Reopened in the period: L2; resolved in the period: L1, L2, L5 -> 1/3. Billing 0/1 (B2); total 1/4.
    assert f["logistics"]["reopen_rate"] == approx(100 / 3)
    assert (f["billing"]["reopen_rate"], f["total"]["reopen_rate"]) == (0, 25)


@pytest.mark.django_db
def test_survey_scores_cover_the_answers_submitted_in_the_period(data):
    f = figures(data)

    # L1 (5, 10, 2) and L2 (2, 6, 5); L5's answer of 26 Feb is outside the period.
    logistics = f["logistics"]
    assert (logistics["csat"], logistics["csat_satisfied"], logistics["nps"], logistics["ces"]) == (
        3.5,
        50,
        0,
        3.5,
    )
    # B2 (4, 9, 1): satisfied and a promoter.
    billing = f["billing"]
    assert (billing["csat"], billing["csat_satisfied"], billing["nps"], billing["ces"]) == (4, 100, 100, 1)
    # Pooled: CSAT 11/3, satisfied 2/3, NPS 2 promoters - 1 detractor over 3, CES 8/3.
    total = f["total"]
    assert total["csat"] == approx(11 / 3)
    assert total["csat_satisfied"] == approx(200 / 3)
    assert total["nps"] == approx(100 / 3)
    assert total["ces"] == approx(8 / 3)
    assert f["unrouted"]["csat"] is None


@pytest.mark.django_db
def test_repeat_complainants_are_counted_within_each_scope(data):
    f = figures(data)

    # Logistics: C1 twice (L1, L2), C2 once -> 1 of 2 customers.
    assert (f["logistics"]["repeat_customers"], f["logistics"]["repeat_share"]) == (1, 50)
    # Billing: C2 and C5 once each.
    assert (f["billing"]["repeat_customers"], f["billing"]["repeat_share"]) == (0, 0)
    # Every case: C1 twice, C2 twice (L3 and B1), C5 and C6 once -> 2 of 4.
    assert (f["total"]["repeat_customers"], f["total"]["repeat_share"]) == (2, 50)


@pytest.mark.django_db
def test_days_late_and_the_share_of_delivery_complaints_over_n_days_late(data):
    f = figures(data)

    # L1 complained 1 Mar (Madrid) about a 25 Feb promise: 4 days; L2 on 2 Mar about 1 Mar: 1 day.
    assert f["logistics"]["days_late"] == 2.5
    # Over 3 days late: L1 only.
    assert f["logistics"]["late_share"] == 50
    assert figures(data, late_days=0)["logistics"]["late_share"] == 100
    assert figures(data, late_days=4)["logistics"]["late_share"] == 0
    assert (f["billing"]["days_late"], f["billing"]["late_share"]) == (None, None)


@pytest.mark.django_db
def test_the_previous_period_rebuilds_its_backlog_from_the_timestamps(data):
    f = figures(data, since=PREVIOUS, until=SINCE)

    # Received 22 Feb - 1 Mar: L5 only (L6 came on 20 Feb, L1 exactly at 1 Mar 00h belongs to the next period).
    assert f["logistics"]["received"] == 1
    # Open on 1 Mar 00h: L5 (resolved at 12h) and L6; L1 did not exist yet.
    assert f["logistics"]["backlog"] == 2
    # Neither was late then: both answered, L5's resolution was due exactly at 00h (not before).
    assert f["logistics"]["overdue"] == 0
    # L5's survey of 26 Feb: CSAT 1, NPS 0 (a detractor), CES 7.
    assert (f["logistics"]["csat"], f["logistics"]["nps"], f["logistics"]["ces"]) == (1, -100, 7)


@pytest.mark.django_db
def test_period_days_are_local_madrid_days(logistics, settings):
    settings.TIME_ZONE = "Europe/Madrid"
    now = at(10, 12)
    period = period_from({"from": "2026-03-01", "to": "2026-03-07"}, now=now)
    # 23:30 in Madrid on the last day (22:30 UTC): in. 00:30 on the next day (23:30 UTC the same
    # UTC day): out, although a UTC day would take it. 00:30 Madrid on 1 Mar (23:30 UTC on 28 Feb): in.
    CaseFactory(department=logistics, created_at=datetime(2026, 3, 7, 22, 30, tzinfo=UTC))
    CaseFactory(department=logistics, created_at=datetime(2026, 3, 7, 23, 30, tzinfo=UTC))
    CaseFactory(department=logistics, created_at=datetime(2026, 2, 28, 23, 30, tzinfo=UTC))

    result = compute(first_day=period.first_day, last_day=period.last_day, now=now)

    assert (period.since, period.until) == (
        datetime(2026, 2, 28, 23, tzinfo=UTC),
        datetime(2026, 3, 7, 23, tzinfo=UTC),
    )
    assert result[logistics.pk]["received"] == 2


def test_the_previous_period_is_the_same_number_of_local_days_just_before():
    period = period_from({"from": "2026-03-01", "to": "2026-03-07"}, now=at(10))

    previous = period.previous

    assert (previous.first_day, previous.last_day, previous.days) == (date(2026, 2, 22), date(2026, 2, 28), 7)
    assert previous.until == period.since


def test_the_last_seven_days_end_with_today_in_madrid():
    # 23:30 UTC on 10 Mar is already 11 Mar in Madrid.
    period = last_days(7, now=datetime(2026, 3, 10, 23, 30, tzinfo=UTC))

    assert (period.first_day, period.last_day) == (date(2026, 3, 5), date(2026, 3, 11))


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-03-07", "to": "2026-03-01"},
        {"from": "yesterday", "to": "2026-03-01"},
        {"from": "2026-03-01"},
    ],
)
def test_an_invalid_custom_range_falls_back_to_thirty_days_with_a_note(params):
    period = period_from(params, now=at(10))

    assert (period.days, period.custom) == (30, False)
    assert period.note


@pytest.mark.parametrize(
    ("key", "current", "previous", "trend", "better"),
    [
        ("backlog", 3, 5, "down", True),
        ("backlog", 5, 3, "up", False),
        ("csat", 4.5, 4.0, "up", True),
        ("csat", 3.5, 4.0, "down", False),
        ("first_response_median", 2 * H, 3 * H, "down", True),
        ("first_response_sla", 90.0, 80.0, "up", True),
        ("received", 4, 4, "flat", None),
        ("nps", None, 20.0, "", None),
    ],
)
def test_the_comparison_knows_which_direction_is_good(key, current, previous, trend, better):
    cell = Cell(INDICATORS[key], current, previous)

    assert (cell.trend, cell.is_better) == (trend, better)


def test_a_falling_backlog_shows_a_green_down_arrow_and_a_falling_csat_a_red_one():
    backlog = kpi_delta(Cell(INDICATORS["backlog"], 3, 5))
    csat = kpi_delta(Cell(INDICATORS["csat"], 3.5, 4.0))

    assert 'class="kpi-delta kpi-better"' in backlog
    assert "▼" in backlog
    assert 'class="kpi-delta kpi-worse"' in csat
    assert "▼" in csat


def test_a_change_below_rounding_reads_as_zero_without_a_sign():
    with translation.override("en"):
        html = kpi_delta(Cell(INDICATORS["csat"], 3.68, 3.70))

    assert 'data-trend="flat"' in html
    assert "0.0" in html
    assert "\u2212" not in html
