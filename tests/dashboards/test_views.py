import html
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from feedback.models import Status
from tests.factories import CaseFactory, DepartmentFactory, UserFactory

OVERVIEW = "/dashboards/"
BACKLOG = "status__in=new,routed,in_progress,waiting"


class _KpiParser(HTMLParser):
    """Collects the text of every ``data-kpi`` element, by table row (or "cards")."""

    def __init__(self):
        super().__init__()
        self.figures: dict[str, dict[str, str]] = {}
        self.row = "cards"
        self.kpi: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr" and "data-department" in attrs:
            self.row = attrs["data-department"]
        if "data-kpi" in attrs:
            self.kpi = attrs["data-kpi"]

    def handle_endtag(self, tag):
        if tag in ("tbody", "tfoot", "table"):
            self.row = "cards"

    def handle_data(self, data):
        if self.kpi and data.strip():
            self.figures.setdefault(self.row, {})[self.kpi] = data.strip()
            self.kpi = None


def figures(response) -> dict[str, tuple[int, int, int]]:
    """(received, backlog, overdue) as rendered, per department slug, "unrouted", "total" and "cards"."""
    parser = _KpiParser()
    parser.feed(response.content.decode())
    return {
        row: (int(kpi["received"]), int(kpi["backlog"]), int(kpi["overdue"]))
        for row, kpi in parser.figures.items()
    }


@pytest.fixture
def cases(organisation):
    """Logistics: 3 received, 2 open, 1 overdue. Billing: 2 received and open. One case not routed yet."""
    now = timezone.now()
    logistics, billing = organisation["logistics"], organisation["billing"]
    routed = {
        "created_at": now - timedelta(days=1),
        "routed_at": now - timedelta(days=1) + timedelta(seconds=2),
    }
    CaseFactory(
        department=logistics, status=Status.ROUTED, resolution_due_at=now - timedelta(hours=1), **routed
    )
    CaseFactory(
        department=logistics, status=Status.IN_PROGRESS, resolution_due_at=now + timedelta(days=1), **routed
    )
    CaseFactory(department=logistics, status=Status.RESOLVED, **routed)
    CaseFactory(department=billing, status=Status.ROUTED, created_at=now - timedelta(days=2))
    CaseFactory(department=billing, status=Status.WAITING, created_at=now - timedelta(days=3))
    CaseFactory(department=None, status=Status.NEW, created_at=now - timedelta(minutes=5))
    return organisation


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_admin_login(client):
    response = client.get(OVERVIEW)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:login')}?next={OVERVIEW}"


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_login_from_a_department_dashboard(client, logistics):
    response = client.get("/dashboards/logistics/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.django_db
def test_the_executive_sees_every_department_side_by_side_with_totals(client, elena, cases):
    client.force_login(elena)

    response = client.get(OVERVIEW)

    assert response.status_code == 200
    assert figures(response) == {
        "customer-service": (0, 0, 0),
        "billing": (2, 2, 0),
        "logistics": (3, 2, 1),
        "unrouted": (1, 1, 0),
        "total": (6, 5, 1),
        "cards": (6, 5, 1),
    }


@pytest.mark.django_db
def test_each_count_links_to_the_admin_list_of_exactly_those_cases(client, elena, cases):
    client.force_login(elena)
    logistics = cases["logistics"]
    changelist = reverse("admin:feedback_case_changelist")

    response = client.get(OVERVIEW)

    content = response.content.decode()
    assert f'href="{changelist}?department__id__exact={logistics.pk}&amp;{BACKLOG}"' in content
    assert f'href="{changelist}?department__id__exact={logistics.pk}&amp;overdue=yes"' in content
    assert f'href="{changelist}?department__id__exact={logistics.pk}&amp;created_at__gte=' in content
    assert f'href="{changelist}?department__isnull=True&amp;{BACKLOG}"' in content
    assert f'href="{changelist}?overdue=yes"' in content


@pytest.mark.django_db
def test_each_count_link_lists_in_the_admin_as_many_cases_as_the_dashboard_shows(client, elena, cases):
    client.force_login(elena)
    response = client.get(OVERVIEW)
    pattern = r'href="(/admin/feedback/case/[^"]*)" data-kpi="(\w+)">(\d+)<'
    links = re.findall(pattern, response.content.decode())

    # Three counts in each of the six places: cards, three departments, not routed, total.
    assert len(links) == 3 * len(figures(response)) == 18
    for href, kpi, count in links:
        response = client.get(html.unescape(href))
        assert response.status_code == 200, href
        assert response.context["cl"].result_count == int(count), (kpi, href)


@pytest.mark.django_db
def test_a_department_owner_sees_only_her_department_on_the_overview(client, laura, cases):
    client.force_login(laura)

    response = client.get(OVERVIEW)

    assert response.status_code == 200
    assert figures(response) == {"logistics": (3, 2, 1), "total": (3, 2, 1), "cards": (3, 2, 1)}
    assert "Billing" not in response.content.decode()


@pytest.mark.django_db
def test_a_department_member_sees_his_department(client, luis, cases):
    client.force_login(luis)

    response = client.get("/dashboards/logistics/")

    assert response.status_code == 200
    assert figures(response) == {"cards": (3, 2, 1)}


@pytest.mark.django_db
def test_the_owner_of_logistics_may_not_open_the_billing_dashboard(client, laura, cases):
    client.force_login(laura)

    assert client.get("/dashboards/billing/").status_code == 403


@pytest.mark.django_db
def test_the_owner_of_billing_may_not_open_the_logistics_dashboard(client, bruno, cases):
    client.force_login(bruno)

    assert client.get("/dashboards/logistics/").status_code == 403


@pytest.mark.django_db
def test_staff_without_a_department_are_refused_every_dashboard(client, cases):
    client.force_login(UserFactory(username="outsider", is_staff=True))

    assert client.get(OVERVIEW).status_code == 403
    assert client.get("/dashboards/logistics/").status_code == 403


@pytest.mark.django_db
def test_an_unknown_department_is_not_found(client, elena, cases):
    client.force_login(elena)

    assert client.get("/dashboards/no-such-team/").status_code == 404


@pytest.mark.django_db
def test_the_executive_may_open_any_department_dashboard(client, elena, cases):
    client.force_login(elena)

    response = client.get("/dashboards/billing/")

    assert response.status_code == 200
    assert figures(response) == {"cards": (2, 2, 0)}


@pytest.mark.django_db
def test_the_department_dashboard_lists_its_oldest_open_cases_linked_to_the_admin(
    client, laura, logistics, billing
):
    now = timezone.now()
    open_cases = [
        CaseFactory(
            department=logistics, status=Status.ROUTED, owner=laura, created_at=now - timedelta(days=d)
        )
        for d in range(1, 13)
    ]
    closed = CaseFactory(department=logistics, status=Status.CLOSED, created_at=now - timedelta(days=50))
    other = CaseFactory(department=billing, status=Status.ROUTED, created_at=now - timedelta(days=50))
    client.force_login(laura)

    response = client.get("/dashboards/logistics/")

    listed = [case.reference for case in response.context["oldest"]]
    assert listed == [case.reference for case in open_cases[::-1][:10]]
    content = response.content.decode()
    assert f'href="{reverse("admin:feedback_case_change", args=[open_cases[-1].pk])}"' in content
    assert open_cases[0].reference not in content  # the newest two are beyond the ten
    assert closed.reference not in content
    assert other.reference not in content


@pytest.mark.django_db
def test_customer_text_in_the_case_list_is_escaped(client, laura, logistics):
    CaseFactory(department=logistics, status=Status.ROUTED, subject="<script>alert(1)</script>")
    client.force_login(laura)

    response = client.get("/dashboards/logistics/")

    assert "<script>alert(1)</script>" not in response.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.content.decode()


@pytest.mark.django_db
def test_the_median_first_response_time_reads_in_hours(client, elena, logistics):
    created = timezone.now() - timedelta(hours=5)
    for hours in (1, 2, 4):
        CaseFactory(
            department=logistics, created_at=created, first_response_at=created + timedelta(hours=hours)
        )
    client.force_login(elena)

    response = client.get(OVERVIEW, {"lang": "en"})

    [row] = [row for row in response.context["rows"] if row.slug == "logistics"]
    assert row.cell("first_response_median").value == timedelta(hours=2)
    assert '<span data-kpi="first_response_median">2.0 h</span>' in response.content.decode()


@pytest.mark.django_db
def test_the_period_filter_leaves_out_cases_received_before_it(client, elena, logistics):
    now = timezone.now()
    CaseFactory(department=logistics, status=Status.ROUTED, created_at=now - timedelta(days=3))
    CaseFactory(department=logistics, status=Status.ROUTED, created_at=now - timedelta(days=10))
    CaseFactory(department=logistics, status=Status.ROUTED, created_at=now - timedelta(days=60))
    client.force_login(elena)

    received = {days: figures(client.get(OVERVIEW, {"days": days}))["logistics"][0] for days in (7, 30, 90)}

    assert received == {7: 1, 30: 2, 90: 3}


@pytest.mark.django_db
@pytest.mark.parametrize("days", ["", "abc", "45", "-7", "7.0", "²", "0x1e"])
def test_an_invalid_period_falls_back_to_thirty_days(client, elena, logistics, days):
    CaseFactory(department=logistics, status=Status.ROUTED, created_at=timezone.now() - timedelta(days=20))
    client.force_login(elena)

    response = client.get(OVERVIEW, {"days": days})

    assert response.status_code == 200
    assert response.context["period"].days == 30
    assert figures(response)["logistics"][0] == 1


@pytest.mark.django_db
@pytest.mark.parametrize("extra_departments", [0, 10])
def test_the_overview_takes_a_bounded_number_of_queries(
    client, elena, cases, extra_departments, django_assert_max_num_queries
):
    for _ in range(extra_departments):
        department = DepartmentFactory()
        CaseFactory(department=department, routed_at=timezone.now())
    client.force_login(elena)

    # Today and the days not rolled up yet are tallied live: a query per date field, whatever the departments.
    with django_assert_max_num_queries(22):
        response = client.get(OVERVIEW)

    assert len(response.context["rows"]) == 3 + extra_departments


@pytest.mark.django_db
def test_the_department_dashboard_takes_a_bounded_number_of_queries(
    client, laura, logistics, django_assert_max_num_queries
):
    for _ in range(12):
        CaseFactory(department=logistics, status=Status.ROUTED, owner=UserFactory())
    client.force_login(laura)

    with django_assert_max_num_queries(26):
        response = client.get("/dashboards/logistics/")

    assert len(response.context["oldest"]) == 10


def csv_sections(response) -> list[list[list[str]]]:
    import csv
    import io

    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    sections, current = [], []
    for row in rows:
        if row:
            current.append(row)
        else:
            sections.append(current)
            current = []
    return [*sections, current]


@pytest.mark.django_db
def test_the_overview_exports_its_table_as_csv_with_a_bom(client, elena, cases):
    client.force_login(elena)

    response = client.get(OVERVIEW, {"format": "csv", "days": 7, "lang": "en"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="cx-overview-')
    [table] = csv_sections(response)
    assert table[0][0] == "Cases by department"
    assert table[1][:3] == ["Department", "Received", "Received, previous period"]
    by_name = {row[0]: row for row in table[2:]}
    # Received, then backlog and overdue, each followed by the previous period's figure.
    assert [by_name["Logistics"][i] for i in (1, 3, 5)] == ["3", "2", "1"]
    assert list(by_name) == ["Billing", "Customer service", "Logistics", "Not routed yet", "Total"]


@pytest.mark.django_db
def test_a_team_exports_one_csv_section_per_table(client, laura, cases):
    from feedback.models import Case

    Case.objects.filter(department__slug="logistics").update(kind="claim")
    client.force_login(laura)

    response = client.get("/dashboards/logistics/", {"format": "csv", "lang": "en"})

    sections = csv_sections(response)
    assert [section[0][0] for section in sections] == [
        "Logistics",
        "Received by kind",
        "Received by channel",
        "Received by tag",
    ]
    indicators = {row[0]: row[1] for row in sections[0][2:]}
    assert indicators["Received"] == "3"
    assert "Average days late" in indicators
    assert sections[1][2] == ["Claim", "3", "0"]


@pytest.mark.django_db
def test_the_csv_export_keeps_the_access_rules_of_the_page(client, bruno, cases):
    assert client.get(OVERVIEW, {"format": "csv"}).status_code == 302
    client.force_login(bruno)

    assert client.get("/dashboards/logistics/", {"format": "csv"}).status_code == 403


@pytest.mark.django_db
def test_a_custom_range_counts_the_cases_of_those_local_days(client, elena, logistics):
    from datetime import UTC, datetime

    # 23:30 in Madrid on 7 March (22:30 UTC) is in; 00:30 on 8 March (23:30 UTC on the 7th) is not.
    CaseFactory(department=logistics, created_at=datetime(2026, 3, 7, 22, 30, tzinfo=UTC))
    CaseFactory(department=logistics, created_at=datetime(2026, 3, 7, 23, 30, tzinfo=UTC))
    client.force_login(elena)

    response = client.get(OVERVIEW, {"from": "2026-03-01", "to": "2026-03-07"})

    assert response.context["period"].custom
    assert figures(response)["logistics"][0] == 1
    content = response.content.decode()
    # The received link lists the same local days in the admin.
    assert "created_at__gte=2026-03-01T00%3A00%3A00%2B01%3A00&amp;created_at__lt=2026-03-08T00" in content


@pytest.mark.django_db
def test_an_invalid_custom_range_shows_thirty_days_and_says_so(client, elena, cases):
    client.force_login(elena)

    response = client.get(OVERVIEW, {"from": "2026-02-31", "to": "tomorrow", "lang": "en"})

    assert response.status_code == 200
    assert response.context["period"].days == 30
    assert "data-period-note" in response.content.decode()
    assert "showing the last 30 days" in response.content.decode()


@pytest.mark.django_db
def test_the_team_page_shows_every_indicator_and_days_late_only_for_logistics(client, elena, cases):
    client.force_login(elena)

    logistics = client.get("/dashboards/logistics/", {"lang": "en"}).content.decode()
    billing = client.get("/dashboards/billing/", {"lang": "en"}).content.decode()

    for key in ("first_response_sla", "resolution_p90", "promise_kept", "reopen_rate", "nps", "ces"):
        assert f'data-indicator="{key}"' in logistics
        assert f'data-indicator="{key}"' in billing
    assert 'data-indicator="days_late"' in logistics
    assert 'data-indicator="days_late"' not in billing
    assert "Delivery complaints over 3 days late" in logistics


@pytest.mark.django_db
def test_the_overview_shows_the_change_since_the_previous_period(client, elena, logistics):
    now = timezone.now()
    # Two received this period, one in the previous 30 days: more cases arrive, which is worse.
    CaseFactory(department=logistics, status=Status.CLOSED, created_at=now - timedelta(days=1))
    CaseFactory(department=logistics, status=Status.CLOSED, created_at=now - timedelta(days=2))
    CaseFactory(department=logistics, status=Status.CLOSED, created_at=now - timedelta(days=40))
    client.force_login(elena)

    response = client.get(OVERVIEW)

    [row] = [row for row in response.context["rows"] if row.slug == "logistics"]
    received = row.cell("received")
    assert (received.value, received.previous, received.trend, received.is_better) == (2, 1, "up", False)
    assert 'data-trend="up" data-quality="worse"' in response.content.decode()


@pytest.mark.django_db
def test_the_overview_query_count_does_not_grow_with_departments(client, elena, cases):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(elena)
    client.get(OVERVIEW)  # warm the session and permission caches alike for both runs
    with CaptureQueriesContext(connection) as few:
        client.get(OVERVIEW)
    for _ in range(15):
        CaseFactory(
            department=DepartmentFactory(), routed_at=timezone.now(), first_response_at=timezone.now()
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(OVERVIEW)

    assert len(response.context["rows"]) == 18
    assert len(many) == len(few) <= 22


@pytest.mark.django_db
def test_elena_sees_every_team_against_the_previous_30_days_and_logistics_overdue_leads_to_those_cases(
    client, elena, organisation
):
    import io

    from django.core.management import call_command

    from feedback.models import Case
    from feedback.selectors import overdue_q

    # Four months of history, every finished day rolled up as the periodic task would.
    call_command("generate_cases", count=500, days=120, seed=3, stdout=io.StringIO())
    client.force_login(elena)

    response = client.get(OVERVIEW)

    assert response.context["period"].days == 30
    columns = [column.key for column in response.context["columns"]]
    for key in ("first_response_sla", "resolution_sla", "first_response_median", "nps", "days_late"):
        assert key in columns
    rows = {row.slug: row for row in response.context["rows"]}
    logistics = rows["logistics"]
    # Both periods have figures to compare, and the page says which way they moved.
    for key in ("first_response_sla", "first_response_median", "days_late"):
        cell = logistics.cell(key)
        assert cell.value is not None, key
        assert cell.previous is not None, key
    assert 'data-kpi="days_late"' in response.content.decode()
    # The overdue count of logistics, as shown, is exactly the admin list behind its link.
    overdue = Case.objects.filter(overdue_q(now=timezone.now()), department=organisation["logistics"]).count()
    assert overdue > 0
    assert figures(response)["logistics"][2] == logistics.cell("overdue").value == overdue
    link = re.search(
        rf'href="([^"]*department__id__exact={organisation["logistics"].pk}&amp;overdue=yes)"',
        response.content.decode(),
    )
    listed = client.get(html.unescape(link.group(1)))
    assert listed.context["cl"].result_count == overdue


FAR_RANGES = [
    pytest.param("0001-01-01", "0001-01-05", id="year-1"),
    pytest.param("9999-12-25", "9999-12-31", id="year-9999"),
    pytest.param("1900-01-01", "1900-01-31", id="long-before-the-portal"),
    pytest.param("2200-01-01", "2200-01-31", id="far-future"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("first", "last"), FAR_RANGES)
@pytest.mark.parametrize("page", [OVERVIEW, "/dashboards/logistics/"])
@pytest.mark.parametrize("export", [False, True], ids=["page", "csv"])
def test_a_range_outside_the_dashboard_window_shows_thirty_days_and_says_so(
    client, elena, cases, page, first, last, export
):
    client.force_login(elena)
    params = {"from": first, "to": last, "lang": "en", **({"format": "csv"} if export else {})}

    response = client.get(page, params)

    assert response.status_code == 200
    assert not response.context or response.context["period"].days == 30
    if export:
        # The file covers the last 30 days, and its name says so.
        today = timezone.localdate()
        assert f"-{today - timedelta(days=29)}-{today}.csv" in response["Content-Disposition"]
    else:
        assert "data-period-note" in response.content.decode()
        assert "outside the years the dashboards cover" in response.content.decode()


@pytest.mark.django_db
def test_a_range_on_the_edges_of_the_dashboard_window_is_shown_as_asked(client, elena, cases):
    from datetime import date

    from dashboards.periods import EARLIEST_YEARS_BACK, LATEST_YEARS_AHEAD

    year = timezone.localdate().year
    earliest, latest = date(year - EARLIEST_YEARS_BACK, 1, 1), date(year + LATEST_YEARS_AHEAD, 12, 31)
    client.force_login(elena)

    first_days = client.get(OVERVIEW, {"from": earliest, "to": earliest + timedelta(days=6)})
    last_days = client.get(OVERVIEW, {"from": latest - timedelta(days=6), "to": latest})
    one_day_too_early = client.get(
        OVERVIEW, {"from": earliest - timedelta(days=1), "to": earliest + timedelta(days=6), "lang": "en"}
    )

    assert (first_days.context["period"].first_day, first_days.context["period"].days) == (earliest, 7)
    assert (last_days.context["period"].last_day, last_days.context["period"].days) == (latest, 7)
    assert not one_day_too_early.context["period"].custom
    assert f"cover ({earliest.year} to {latest.year})" in one_day_too_early.content.decode()
