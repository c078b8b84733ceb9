"""An executive opens the dashboards in a real Chromium."""

import pytest
from playwright.sync_api import Page, expect

from feedback import services
from feedback.models import Channel

from .pages import LATE_DELIVERY

pytestmark = pytest.mark.browser


def log_in(page: Page, username: str, *, next_url: str) -> None:
    page.goto(f"/admin/login/?next={next_url}")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill("pw")
    page.locator("#login-form [type=submit]").click()


def test_an_executive_sees_the_logistics_row_without_script_errors(
    page: Page, live_server, delivery_rule, elena, console_errors
):
    services.case_create(**LATE_DELIVERY, kind="complaint", channel=Channel.WEB, language="es")

    log_in(page, "elena", next_url="/dashboards/")

    expect(page).to_have_url(f"{live_server.url}/dashboards/")
    row = page.locator('tr[data-department="logistics"]')
    expect(row).to_contain_text("Logistics")
    expect(row.locator('[data-kpi="received"]')).to_have_text("1")
    expect(row.locator('[data-kpi="backlog"]')).to_have_text("1")
    expect(page.locator('tr[data-department="unrouted"] [data-kpi="received"]')).to_have_text("0")
    page.wait_for_load_state("load")
    # The trend chart is drawn: Chart.js (vendored) rendered into its canvas.
    assert page.evaluate("() => window.cxCharts.length") == 1
    assert page.evaluate("() => window.cxCharts[0].data.datasets[0].data.reduce((a, b) => a + b, 0)") == 1

    # The team page adds the tag mix; its segment opens exactly those cases.
    page.goto("/dashboards/logistics/")
    page.wait_for_load_state("load")
    assert page.evaluate("() => window.cxCharts.length") == 2
    assert page.evaluate("() => window.cxCharts[1].data.labels") == ["delivery-delay"]
    assert console_errors == []


def test_an_anonymous_visitor_is_sent_to_the_login_page(page: Page, organisation):
    page.goto("/dashboards/")

    expect(page.locator("#login-form")).to_be_visible()
    expect(page.locator("table")).to_have_count(0)
