"""The Content-Security-Policy allows everything the pages need and nothing inline.

Chromium reports each blocked script, style or image as a console error, so
a page that still needed an inline script or style fails here.
"""

import pytest
from playwright.sync_api import Page, expect

from feedback.models import Case

from .pages import submit_feedback

pytestmark = pytest.mark.browser


def test_the_public_form_and_tracking_page_run_under_the_policy(page: Page, delivery_rule, console_errors):
    response = page.goto("/feedback/new/")
    assert "script-src 'self'" in response.headers["content-security-policy"]

    reference = submit_feedback(page)
    page.goto(f"/track/{Case.objects.get(reference=reference).tracking_token}/")
    expect(page.locator("h1")).to_contain_text(reference)

    assert console_errors == []


def test_the_admin_runs_under_the_policy(page: Page, delivery_rule, admin_user, console_errors):
    page.goto("/admin/login/?next=/admin/routing/rule/")
    page.locator("#id_username").fill(admin_user.username)
    page.locator("#id_password").fill("password")
    page.locator("#login-form [type=submit]").click()
    expect(page.locator("#result_list")).to_be_visible()

    page.goto("/admin/routing/rule/add/")
    # The conditions inline's "Add another" link is added by the admin's script.
    expect(page.locator(".add-row a")).to_be_visible()

    assert console_errors == []


def test_the_api_docs_render_under_the_policy(page: Page, db, console_errors):
    page.goto("/api/docs/")

    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    assert console_errors == []
