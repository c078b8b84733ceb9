"""Business-hours arithmetic (routing.sla) and the clock paused while waiting on the customer.

Unless a test says otherwise the calendar is a Madrid office: Monday to
Friday, 9:00-18:00 Europe/Madrid (9 working hours a day), with the national
holiday of Monday 12 October 2026. Madrid is UTC+1 in winter (CET) and UTC+2
in summer (CEST); in 2026 the clocks go forward on Sunday 29 March and back
on Sunday 25 October.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from feedback.models import CaseEvent, Status
from feedback.services import case_change_status, case_customer_message
from routing.models import BusinessCalendar, Holiday
from routing.sla import Calendar, add_business_time, business_time_between

from ..factories import CaseFactory

MADRID = ZoneInfo("Europe/Madrid")
MEXICO = ZoneInfo("America/Mexico_City")

OFFICE = Calendar(time_zone="Europe/Madrid", holidays=frozenset({date(2026, 10, 12)}))
ALL_DAY = Calendar(time_zone="Europe/Madrid", weekdays=frozenset(range(7)), opens=time(0), closes=time(0))
MEXICO_OFFICE = Calendar(time_zone="America/Mexico_City")


def madrid(*args) -> datetime:
    return datetime(*args, tzinfo=MADRID)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


class TestAddBusinessTime:
    def test_friday_afternoon_plus_a_working_day_is_monday_afternoon(self):
        # Friday 13 March 17:30 -> 18:00 is 0.5 h; the weekend does not count;
        # Monday 9:00 + the remaining 7.5 h = Monday 16 March 16:30 (CET, 15:30 UTC).
        due = add_business_time(madrid(2026, 3, 13, 17, 30), 8, OFFICE)

        assert due == madrid(2026, 3, 16, 16, 30)
        assert due == utc(2026, 3, 16, 15, 30)

    def test_a_holiday_is_skipped(self):
        # Friday 9 October 17:00 -> 18:00 is 1 h; Monday 12 October is a holiday;
        # Tuesday 9:00 + 7 h = Tuesday 13 October 16:00 (CEST, 14:00 UTC).
        due = add_business_time(madrid(2026, 10, 9, 17), 8, OFFICE)

        assert due == utc(2026, 10, 13, 14)

    def test_the_night_the_clocks_go_forward(self):
        # Friday 27 March 17:00 CET (16:00 UTC) -> 18:00 is 1 h; Monday 30 March
        # 9:00 + 7 h = 16:00 CEST, which is 14:00 UTC, not the 15:00 UTC that
        # adding wall-clock hours in UTC would give.
        due = add_business_time(madrid(2026, 3, 27, 17), 8, OFFICE)

        assert due == madrid(2026, 3, 30, 16)
        assert due.astimezone(UTC) == utc(2026, 3, 30, 14)

    def test_the_night_the_clocks_go_back(self):
        # Friday 23 October 17:00 CEST (15:00 UTC) + 8 h = Monday 26 October
        # 16:00 CET = 15:00 UTC.
        due = add_business_time(madrid(2026, 10, 23, 17), 8, OFFICE)

        assert due.astimezone(UTC) == utc(2026, 10, 26, 15)

    def test_an_all_day_calendar_counts_the_23_hour_sunday_as_23_hours(self):
        # Saturday 28 March 12:00 CET is 11:00 UTC; 24 real hours later is
        # Sunday 11:00 UTC = 13:00 CEST (the clock jumped from 2:00 to 3:00).
        assert add_business_time(madrid(2026, 3, 28, 12), 24, ALL_DAY) == madrid(2026, 3, 29, 13)
        # And the 25-hour Sunday in October: Saturday 12:00 CEST + 24 h = Sunday 11:00 CET.
        assert add_business_time(madrid(2026, 10, 24, 12), 24, ALL_DAY) == madrid(2026, 10, 25, 11)

    def test_a_start_outside_working_hours_counts_from_the_next_opening(self):
        # Saturday: from Monday 9:00. Before opening: from 9:00. After closing: from the next day.
        assert add_business_time(madrid(2026, 3, 14, 11), 2, OFFICE) == madrid(2026, 3, 16, 11)
        assert add_business_time(madrid(2026, 3, 17, 7), 1, OFFICE) == madrid(2026, 3, 17, 10)
        assert add_business_time(madrid(2026, 3, 17, 19), 1, OFFICE) == madrid(2026, 3, 18, 10)

    def test_a_due_date_at_closing_time_stays_on_that_day(self):
        assert add_business_time(madrid(2026, 3, 13, 9), 9, OFFICE) == madrid(2026, 3, 13, 18)

    def test_zero_hours_is_the_start_itself(self):
        saturday = madrid(2026, 3, 14, 11)

        assert add_business_time(saturday, 0, OFFICE) == saturday

    def test_without_a_calendar_the_clock_runs_day_and_night(self):
        assert add_business_time(madrid(2026, 3, 13, 17, 30), 8, None) == madrid(2026, 3, 14, 1, 30)

    def test_a_calendar_in_mexico_city_with_utc_storage(self):
        # Friday 13 March 22:00 UTC is 16:00 in Mexico City (UTC-6 all year):
        # 2 h on Friday, then Monday 9:00 + 2 h = 11:00 = 17:00 UTC. The
        # answer is in UTC, like the value read from the database.
        due = add_business_time(utc(2026, 3, 13, 22), 4, MEXICO_OFFICE)

        assert due == utc(2026, 3, 16, 17)
        assert due.utcoffset() == timedelta(0)
        # In Madrid the same instant is 23:00, after closing: Monday 9:00 + 4 h
        # = 13:00 CET = 12:00 UTC.
        assert add_business_time(utc(2026, 3, 13, 22), 4, OFFICE) == utc(2026, 3, 16, 12)

    def test_mexico_city_ignores_the_us_daylight_saving_change(self):
        # The US moved its clocks on Sunday 8 March 2026; Mexico City no longer
        # does. Friday 6 March 17:00 (23:00 UTC) + 2 h = Monday 10:00 = 16:00 UTC.
        due = add_business_time(datetime(2026, 3, 6, 17, tzinfo=MEXICO), 2, MEXICO_OFFICE)

        assert due == utc(2026, 3, 9, 16)

    def test_it_refuses_naive_datetimes_negative_hours_and_calendars_without_days(self):
        with pytest.raises(ValueError, match="aware datetime"):
            add_business_time(datetime(2026, 3, 13, 9), 1, OFFICE)  # noqa: DTZ001  (naive on purpose)
        with pytest.raises(ValueError, match="must not be negative"):
            add_business_time(madrid(2026, 3, 13, 9), -1, OFFICE)
        with pytest.raises(ValueError, match="No working time"):
            add_business_time(madrid(2026, 3, 13, 9), 1, Calendar(weekdays=frozenset()))
        with pytest.raises(ValueError, match="close after it opens"):
            Calendar(opens=time(18), closes=time(9))


class TestBusinessTimeBetween:
    def test_it_counts_only_working_hours(self):
        assert business_time_between(
            madrid(2026, 3, 13, 17, 30), madrid(2026, 3, 16, 16, 30), OFFICE
        ) == timedelta(hours=8)

    def test_across_the_daylight_saving_change(self):
        # The inverse of the spring example: 1 h on Friday and 7 h on Monday.
        assert business_time_between(madrid(2026, 3, 27, 17), madrid(2026, 3, 30, 16), OFFICE) == timedelta(
            hours=8
        )
        assert business_time_between(madrid(2026, 3, 28, 12), madrid(2026, 3, 29, 13), ALL_DAY) == timedelta(
            hours=24
        )

    def test_a_week_with_a_holiday(self):
        # Monday 12 October is a holiday: Tuesday to Friday, 4 x 9 h.
        assert business_time_between(madrid(2026, 10, 12), madrid(2026, 10, 17), OFFICE) == timedelta(
            hours=36
        )

    def test_an_end_before_the_start_is_zero(self):
        assert business_time_between(madrid(2026, 3, 16, 12), madrid(2026, 3, 16, 10), OFFICE) == timedelta(0)

    def test_without_a_calendar_it_is_the_plain_difference(self):
        assert business_time_between(utc(2026, 3, 13), utc(2026, 3, 15), None) == timedelta(days=2)


@pytest.fixture
def madrid_office(db):
    calendar = BusinessCalendar.objects.create(name="Madrid office", time_zone="Europe/Madrid")
    Holiday.objects.create(calendar=calendar, date=date(2026, 10, 12), name="Fiesta Nacional")
    return calendar


def test_a_stored_calendar_becomes_the_plain_one(madrid_office):
    assert madrid_office.as_calendar() == OFFICE


class TestPausedClock:
    """Waiting on the customer stops the clock; the due dates move by the working time waited."""

    @pytest.fixture
    def case(self, organisation, madrid_office, sla):
        sla.calendar = madrid_office
        sla.save()
        return CaseFactory(
            department=organisation["logistics"],
            owner=organisation["logistics"].owner,
            status=Status.ROUTED,
            routed_at=madrid(2026, 3, 12, 12),
            first_response_due_at=madrid(2026, 3, 16, 12),
            resolution_due_at=madrid(2026, 3, 18, 17),
        )

    def test_the_due_dates_move_by_the_working_time_waited(self, case):
        case_change_status(case=case, status=Status.WAITING, actor=None, now=madrid(2026, 3, 13, 16))
        assert case.sla_paused_at == madrid(2026, 3, 13, 16)

        # Friday 16:00-18:00 and Monday 9:00-10:00: 3 working hours waited.
        case_change_status(case=case, status=Status.IN_PROGRESS, actor=None, now=madrid(2026, 3, 16, 10))

        case.refresh_from_db()
        assert case.sla_paused_at is None
        # Monday 12:00 + 3 h = Monday 15:00.
        assert case.first_response_due_at == madrid(2026, 3, 16, 15)
        # Wednesday 17:00 + 3 h = 1 h on Wednesday, Thursday 9:00 + 2 h = 11:00.
        assert case.resolution_due_at == madrid(2026, 3, 19, 11)
        resumed = case.events.filter(kind=CaseEvent.Kind.STATUS_CHANGED).last()
        assert resumed.data["sla_paused_seconds"] == 3 * 3600

    def test_a_first_response_already_given_keeps_its_due_date(self, case):
        case.first_response_at = madrid(2026, 3, 13, 10)
        case.save()
        case_change_status(case=case, status=Status.WAITING, actor=None, now=madrid(2026, 3, 13, 16))
        case_change_status(case=case, status=Status.RESOLVED, actor=None, now=madrid(2026, 3, 16, 10))

        case.refresh_from_db()
        assert case.first_response_due_at == madrid(2026, 3, 16, 12)
        assert case.resolution_due_at == madrid(2026, 3, 19, 11)

    def test_a_wait_over_the_weekend_only_costs_working_hours(self, case):
        # From Friday 18:00 to Monday 9:00 nothing was owed: nothing moves.
        case_change_status(case=case, status=Status.WAITING, actor=None, now=madrid(2026, 3, 13, 18))
        case_change_status(case=case, status=Status.IN_PROGRESS, actor=None, now=madrid(2026, 3, 16, 9))

        case.refresh_from_db()
        assert case.first_response_due_at == madrid(2026, 3, 16, 12)

    def test_the_customer_answering_restarts_the_clock(self, case):
        case_change_status(case=case, status=Status.WAITING, actor=None, now=madrid(2026, 3, 13, 16))

        case_customer_message(case=case, text="Aquí tienen la foto", now=madrid(2026, 3, 16, 10))

        case.refresh_from_db()
        assert case.status == Status.IN_PROGRESS
        assert case.first_response_due_at == madrid(2026, 3, 16, 15)

    def test_without_a_calendar_the_wait_is_added_in_full(self, organisation):
        case = CaseFactory(
            department=organisation["logistics"],
            status=Status.ROUTED,
            routed_at=utc(2026, 3, 12),
            first_response_due_at=utc(2026, 3, 13),
            resolution_due_at=utc(2026, 3, 15),
        )
        case_change_status(case=case, status=Status.WAITING, actor=None, now=utc(2026, 3, 12, 12))
        case_change_status(case=case, status=Status.IN_PROGRESS, actor=None, now=utc(2026, 3, 14, 12))

        case.refresh_from_db()
        assert case.first_response_due_at == utc(2026, 3, 15)
        assert case.resolution_due_at == utc(2026, 3, 17)
