"""Fuzzing every operation of the API's OpenAPI schema, in process, as a real integration would call it.

Schemathesis reads /api/schema/ through the WSGI application and calls each
operation with data generated from the schema, valid and invalid. Whatever
it sends, no answer is a server error; an intake answered 201 left a case
that is stored, routed as the rules decide and readable at its Location.
"""

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
import schemathesis
from django.contrib.auth.models import Permission
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import TestCase
from hypothesis import event, given
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from feedback.models import Case, Status

from ..factories import CaseFactory, UserFactory
from .properties import assert_routed_as_the_rules_decide, rolled_back

PASSWORD = "fuzz-Password-1"
# Correct credentials on every call: a wrong password would count towards a lockout.
AUTHORIZATION = "Basic " + base64.b64encode(f"integration:{PASSWORD}".encode()).decode()


@pytest.fixture
def integration(routing_rules):
    """Staff allowed to submit cases, relay messages and read every department's cases and customers."""
    user = UserFactory(username="integration", password=PASSWORD)
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["add_case", "change_case", "view_case", "view_all_cases", "view_customer"]
        )
    )
    return user


@pytest.fixture
def some_cases(routing_rules, laura, bruno):
    """Cases in several states, so the list and detail operations have rows to show.

    Their references are not of the intake's PREFIX-year-pk form: the factory's
    sequence would sooner or later give one the reference a new case's pk makes.
    """
    return [
        CaseFactory(
            reference="SEED-1", department=routing_rules["logistics"], owner=laura, status=Status.ROUTED
        ),
        CaseFactory(
            reference="SEED-2", department=routing_rules["billing"], owner=bruno, status=Status.RESOLVED
        ),
        CaseFactory(reference="SEED-3"),  # not routed yet
    ]


@contextmanager
def in_process() -> Iterator[None]:
    """Keep the test's database connection open across a request made through the WSGI handler.

    The handler closes "old" connections when a request starts and ends; in
    a test, that is the connection holding the test's transaction. Django's
    test client disconnects the same receiver around each of its requests,
    and connects it again after: so this wraps each call, not the test.
    Routing and its emails run eagerly once the request's transaction would commit.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with TestCase.captureOnCommitCallbacks(execute=True):
            yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


# Loaded when the module is collected (no database is needed to describe the
# API): ``schemathesis.pytest.from_fixture`` would load it per test, but
# schemathesis 4.32.5 renames the test through ``Function._nodeid``, which
# pytest 9 no longer has (AttributeError before the first call).
schema = schemathesis.openapi.from_wsgi("/api/schema/", WSGIHandler())


@schema.parametrize()
def test_no_operation_is_a_server_error(case, integration, some_cases, client):
    with rolled_back():
        with in_process():
            response = case.call(headers={"Authorization": AUTHORIZATION})

        event(f"{case.method} {case.path} {response.status_code}")
        case.validate_response(response, checks=[not_a_server_error])
        if (case.method, case.path, response.status_code) == ("POST", "/api/v1/cases/", 201):
            body = response.json()
            stored = Case.objects.get(reference=body["reference"])
            assert_routed_as_the_rules_decide(stored)
            assert stored.events.get(kind="created").actor == integration
            detail = client.get(
                urlsplit(response.headers["location"][0]).path, HTTP_AUTHORIZATION=AUTHORIZATION
            )
            assert detail.status_code == 200
            assert (detail.json()["department"], detail.json()["owner"]) == (
                stored.department.slug,
                stored.owner.username,
            )


intake = schema["/api/v1/cases/"]["POST"]


@given(
    case=intake.as_strategy(),
    # Bodies the schema allows mostly break a rule it cannot state (a contact
    # is needed, dates fall in a window): mended most of the time, so that
    # accepted intakes are common enough to check.
    contact=st.sampled_from([None, {"email": "ana@example.com"}, {"phone": "+34 600 000 000"}]),
    mend_dates=st.booleans(),
)
def test_an_accepted_intake_is_stored_and_routed(integration, case, contact, mend_dates):
    body = case.body
    if contact and isinstance(body.get("customer"), dict):
        body["customer"] = {**body["customer"], "email": "", "phone": "", **contact}
    if mend_dates:
        body.pop("order_date", None)
        body.pop("promised_delivery_date", None)
    headers = {**(case.headers or {}), "Authorization": AUTHORIZATION}
    with rolled_back():
        with in_process():
            response = case.call(headers=headers)

        event(f"intake {response.status_code}")
        assert response.status_code in (201, 400), response.text
        if response.status_code == 400:
            assert not Case.objects.exists()
            return
        stored = Case.objects.get()
        assert stored.reference == response.json()["reference"]
        assert (stored.subject, stored.message) == (body["subject"].strip(), body["message"].strip())
        assert stored.customer.name == body["customer"]["name"].strip()
        assert_routed_as_the_rules_decide(stored)
        if "Idempotency-Key" in headers:
            # A retry with the same key and body gets the same case, not a second one.
            with in_process():
                again = case.call(headers=headers)
            assert again.status_code == 200
            assert again.json()["reference"] == stored.reference
            assert Case.objects.count() == 1
