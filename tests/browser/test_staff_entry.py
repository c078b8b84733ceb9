"""An agent on the phone enters a case for a known customer, in a real Chromium."""

import re

import pytest
from playwright.sync_api import Page, expect

from feedback.models import Case, CaseEvent, Channel, Status

from ..factories import CaseFactory, CustomerFactory
from .test_dashboards import log_in

pytestmark = pytest.mark.browser


def open_entry_form(page: Page, live_server, username: str) -> None:
    """Log in (reading English) and wait for the entry form's script before typing."""
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    log_in(page, username, next_url="/admin/feedback/case/add/")
    expect(page).to_have_url(f"{live_server.url}/admin/feedback/case/add/")
    page.wait_for_load_state("load")


@pytest.fixture
def carmen_enters(organisation, carmen, staff_permissions):
    staff_permissions(carmen, "view_case", "change_case", "view_caseevent", "view_customer", "add_case")
    return carmen


def test_typing_a_phone_finds_the_customer_and_the_case_lands_on_them(
    page: Page, live_server, carmen_enters, customer_service, console_errors
):
    ana = CustomerFactory(name="Ana García", email="ana@example.com", phone="+34600112233")
    CaseFactory(customer=ana, department=customer_service)
    open_entry_form(page, live_server, "carmen")

    page.locator("#id_phone").press_sequentially("600 11 22")
    match = page.locator(f'.cx-match[data-customer="{ana.pk}"]')
    expect(match).to_contain_text("Ana García · ana@example.com · +34600112233")
    match.click()

    expect(page.locator("#id_name")).to_have_value("Ana García")
    expect(page.locator("#id_email")).to_have_value("ana@example.com")
    expect(page.locator("#id_phone")).to_have_value("+34600112233")
    expect(page.locator("[data-picked]")).to_contain_text("Ana García")
    expect(page.locator(".cx-match")).to_have_count(0)
    page.locator("#id_subject").fill("Cobro duplicado")
    page.locator("#id_message").fill("Llama porque le hemos cobrado dos veces.")
    page.locator("#staff-entry-form [type=submit]").click()

    expect(page).to_have_url(re.compile(r"/admin/feedback/case/\d+/change/$"))
    case = Case.objects.get(channel=Channel.PHONE)
    expect(page.locator(".messagelist")).to_contain_text(f"Case {case.reference} entered.")
    assert page.url.endswith(f"/admin/feedback/case/{case.pk}/change/")
    assert case.customer == ana
    assert case.status == Status.ROUTED
    assert case.events.get(kind=CaseEvent.Kind.CREATED).actor == carmen_enters
    expect(page.locator("#events-group")).to_contain_text("Entered by Carmen (Phone)")
    assert console_errors == []


def test_a_customer_of_another_department_is_named_but_not_shown(
    page: Page, live_server, carmen_enters, logistics, console_errors
):
    other = CustomerFactory(name="Otro Cliente", email="otro@example.com")
    CaseFactory(customer=other, department=logistics)
    open_entry_form(page, live_server, "carmen")

    page.locator("#id_email").press_sequentially("otro@example.com")

    expect(page.locator("[data-known-elsewhere]")).to_be_visible()
    expect(page.locator(".cx-match")).to_have_count(0)
    assert "Otro Cliente" not in page.content()
    assert console_errors == []


def test_staff_without_the_permission_cannot_open_the_form(
    page: Page, organisation, laura, staff_permissions
):
    staff_permissions(laura)
    log_in(page, "laura", next_url="/admin/feedback/case/add/")

    expect(page.locator("#staff-entry-form")).to_have_count(0)
    expect(page.locator("#customer-lookup")).to_have_count(0)
