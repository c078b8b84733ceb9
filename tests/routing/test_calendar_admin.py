"""Business-hours calendars, holidays and absences in the admin and the demo."""

from datetime import date, datetime, time
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from routing.models import Absence, BusinessCalendar, SLAPolicy
from routing.sla import add_business_time


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@cx.example", "pw")


def test_a_calendar_with_its_holidays_is_added_in_the_admin(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/admin/routing/businesscalendar/add/",
        {
            "name": "CDMX",
            "time_zone": "America/Mexico_City",
            "opens_at": "08:00",
            "closes_at": "17:00",
            **{day: "on" for day in ("monday", "tuesday", "wednesday", "thursday", "friday")},
            "holidays-TOTAL_FORMS": 1,
            "holidays-INITIAL_FORMS": 0,
            "holidays-0-date": "2026-09-16",
            "holidays-0-name": "Independencia",
        },
    )

    assert response.status_code == 302
    calendar = BusinessCalendar.objects.get(name="CDMX").as_calendar()
    assert (calendar.opens, calendar.closes, calendar.weekdays) == (time(8), time(17), frozenset(range(5)))
    assert calendar.holidays == frozenset({date(2026, 9, 16)})


def test_an_unknown_time_zone_is_refused(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/admin/routing/businesscalendar/add/",
        {
            "name": "Nowhere",
            "time_zone": "Mars/Olympus",
            "opens_at": "09:00",
            "closes_at": "18:00",
            "holidays-TOTAL_FORMS": 0,
            "holidays-INITIAL_FORMS": 0,
        },
    )

    assert response.status_code == 200
    assert "time_zone" in response.context["adminform"].form.errors


def test_an_absence_is_recorded_in_the_admin(client, admin_user, laura):
    client.force_login(admin_user)
    response = client.post(
        "/admin/routing/absence/add/",
        {
            "user": laura.pk,
            "starts_at_0": "2026-03-13",
            "starts_at_1": "00:00",
            "ends_at_0": "2026-03-20",
            "ends_at_1": "00:00",
            "note": "Vacaciones",
        },
    )

    assert response.status_code == 302
    assert Absence.objects.get().user == laura
    assert client.get("/admin/routing/absence/").status_code == 200


def test_the_demo_counts_the_standard_policy_in_madrid_office_hours(db):
    call_command("seed_demo", force=True, stdout=StringIO())
    call_command("seed_demo", force=True, stdout=StringIO())  # idempotent

    standard = SLAPolicy.objects.get(name="standard")
    assert standard.calendar.name == "Madrid office"
    assert SLAPolicy.objects.get(name="urgent").calendar is None
    calendar = standard.calendar.as_calendar()
    assert date(2026, 10, 12) in calendar.holidays
    madrid = ZoneInfo("Europe/Madrid")
    # Friday 9 October 2026, 17:00 + 8 business hours: Monday 12 is a holiday.
    assert add_business_time(datetime(2026, 10, 9, 17, tzinfo=madrid), 8, calendar) == datetime(
        2026, 10, 13, 16, tzinfo=madrid
    )
