"""REST API v1: intake for integrations, case reads for the staff who may see them."""

import base64
import json
import re
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.utils import timezone, translation
from rest_framework.fields import ChoiceField
from rest_framework.test import APIClient

from feedback.api import IntakeThrottle
from feedback.models import Case, Channel, Status
from routing.models import Tag

from ..factories import (
    FAR_DATES,
    CaseFactory,
    CustomerFactory,
    RuleConditionFactory,
    RuleFactory,
    TagFactory,
    UserFactory,
    email_of_length,
)

CASES = "/api/v1/cases/"


def detail_url(case: Case) -> str:
    return f"{CASES}{case.reference}/"


def intake(**overrides) -> dict:
    data = {
        "customer": {"name": "Ana García", "email": "ana@example.com"},
        "kind": "complaint",
        "channel": "chat",
        "subject": "Pedido 12345",
        "message": "Mi pedido no ha llegado, lleva 5 días de retraso",
        "language": "es",
        "order_reference": "12345",
    }
    return data | overrides


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    # Throttle counters live in the (in-memory) cache, which outlives a test.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def chatbot(db):
    """The account a chat integration submits with: staff allowed to add cases, nothing more."""
    user = UserFactory(username="chatbot")
    user.user_permissions.add(Permission.objects.get(codename="add_case"))
    return user


@pytest.fixture
def late_delivery_rule(organisation):
    rule = RuleFactory(name="Late delivery", order=10, set_department=organisation["logistics"])
    rule.add_tags.set(Tag.objects.filter(slug="delivery-delay"))
    RuleConditionFactory(rule=rule, field="text", operator="contains_any", value="retras*, no ha llegado")
    return rule


@pytest.fixture
def readers(organisation, laura, bruno, elena, staff_permissions):
    """Department staff with their admin permissions; elena sees every department."""
    staff_permissions(laura)
    staff_permissions(bruno)
    return {"laura": laura, "bruno": bruno, "elena": elena}


@pytest.fixture
def logistics_case(organisation, laura):
    return CaseFactory(
        department=organisation["logistics"],
        owner=laura,
        status=Status.ROUTED,
        customer=CustomerFactory(name="Ana García", email="ana@example.com"),
    )


@pytest.fixture
def billing_case(organisation, bruno):
    return CaseFactory(department=organisation["billing"], owner=bruno, status=Status.ROUTED)


def references(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["reference"] for row in response.json()["results"]}


class TestIntake:
    def test_it_stores_the_case_and_answers_with_its_reference(self, api, chatbot, organisation):
        api.force_login(chatbot)

        response = api.post(CASES, intake(), format="json")

        case = Case.objects.get()
        body = response.json()
        assert response.status_code == 201
        assert re.fullmatch(r"CX-\d{4}-\d{6}", body["reference"])
        assert body["reference"] == case.reference
        assert body["status"] == Status.NEW
        # The fallback department's first-response target (8 hours in the fixture SLA).
        assert body["promised_first_response_hours"] == 8
        assert response["Location"] == f"http://testserver{detail_url(case)}"
        assert body["url"] == response["Location"]
        assert (case.channel, case.language, case.order_reference) == (Channel.CHAT, "es", "12345")
        assert (case.customer.name, case.customer.email) == ("Ana García", "ana@example.com")
        assert case.events.get().actor == chatbot

    def test_the_new_case_is_routed_to_the_accountable_owner(
        self, api, chatbot, late_delivery_rule, laura, django_capture_on_commit_callbacks
    ):
        api.force_login(chatbot)

        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = api.post(CASES, intake(), format="json")

        assert response.status_code == 201
        assert callbacks
        case = Case.objects.get(reference=response.json()["reference"])
        assert (case.status, case.department.slug, case.owner) == (Status.ROUTED, "logistics", laura)
        assert list(case.tags.values_list("slug", flat=True)) == ["delivery-delay"]

    def test_the_tracking_token_is_never_in_the_answer(self, api, chatbot, organisation):
        api.force_login(chatbot)

        response = api.post(CASES, intake(), format="json")

        assert "tracking_token" not in response.json()
        assert Case.objects.get().tracking_token not in response.content.decode()

    def test_the_channel_defaults_to_api(self, api, chatbot, organisation):
        api.force_login(chatbot)
        data = intake()
        del data["channel"]

        assert api.post(CASES, data, format="json").status_code == 201
        assert Case.objects.get().channel == Channel.API

    def test_integrations_can_authenticate_with_basic_auth(self, api, chatbot, organisation):
        credentials = base64.b64encode(b"chatbot:pw").decode()

        response = api.post(CASES, intake(), format="json", HTTP_AUTHORIZATION=f"Basic {credentials}")

        assert response.status_code == 201

    def test_a_missing_contact_is_a_400_with_the_domain_code(self, api, chatbot, organisation):
        api.force_login(chatbot)

        response = api.post(CASES, intake(customer={"name": "Ana", "email": "", "phone": ""}), format="json")

        assert response.status_code == 400
        assert response.json()["code"] == "no_contact"
        with translation.override("es"):
            assert response.json()["detail"] == translation.gettext(
                "Give an email address or a phone number so we can answer you."
            )
        assert not Case.objects.exists()

    def test_an_unknown_kind_is_a_translated_field_error(self, api, chatbot, organisation):
        api.force_login(chatbot)

        response = api.post(CASES, intake(kind="rant"), format="json")

        assert response.status_code == 400
        with translation.override("es"):
            expected = str(ChoiceField.default_error_messages["invalid_choice"]).format(input="rant")
        assert expected != '"rant" is not a valid choice.'
        assert response.json() == {"kind": [expected]}
        assert not Case.objects.exists()

    def test_the_web_channel_is_kept_for_the_web_form(self, api, chatbot, organisation):
        api.force_login(chatbot)

        response = api.post(CASES, intake(channel="web"), format="json")

        assert response.status_code == 400
        assert set(response.json()) == {"channel"}

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"customer": "Ana García"}, "customer"),
            ({"customer": {"email": "ana@example.com"}}, "customer"),
            ({"customer": {"name": "Ana", "email": "ana@example"}}, "customer"),
            ({"customer": {"name": "Ana", "phone": "12"}}, "customer"),
            ({"order_date": "yesterday"}, "order_date"),
            ({"order_date": str(timezone.localdate() + timedelta(days=2))}, "order_date"),
            ({"order_date": "2026-03-05", "promised_delivery_date": "2026-03-01"}, "promised_delivery_date"),
            ({"language": "fr"}, "language"),
            ({"message": ""}, "message"),
            ({"subject": ["a", "b"]}, "subject"),
        ],
    )
    def test_invalid_fields_are_400_field_errors(self, api, chatbot, organisation, overrides, field):
        api.force_login(chatbot)

        response = api.post(CASES, intake(**overrides), format="json")

        assert response.status_code == 400
        assert field in response.json()
        assert not Case.objects.exists()

    @pytest.mark.parametrize("length", [255, 320])
    def test_an_email_longer_than_its_column_is_a_field_error_and_stores_nothing(
        self, api, chatbot, organisation, length
    ):
        api.force_login(chatbot)

        response = api.post(
            CASES, intake(customer={"name": "Ana", "email": email_of_length(length)}), format="json"
        )

        assert response.status_code == 400
        assert list(response.json()) == ["customer"]
        assert list(response.json()["customer"]) == ["email"]
        assert not Case.objects.exists()

    def test_an_email_as_long_as_its_column_is_stored(self, api, chatbot, organisation):
        api.force_login(chatbot)
        email = email_of_length(254)

        response = api.post(CASES, intake(customer={"name": "Ana", "email": email}), format="json")

        assert response.status_code == 201
        assert Case.objects.get().customer.email == email

    def test_an_email_that_lowercasing_would_lengthen_past_its_column_is_a_field_error(
        self, api, chatbot, organisation
    ):
        api.force_login(chatbot)
        # "İ" lower-cases to two characters: 254 as typed, 318 as stored.
        email = email_of_length(254, letter="İ")

        response = api.post(
            f"{CASES}?lang=en", intake(customer={"name": "Ana", "email": email}), format="json"
        )

        assert response.status_code == 400
        assert response.json() == {"customer": {"email": ["This email address is too long."]}}
        assert not Case.objects.exists()

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("subject", "s" * 200),
            ("order_reference", "r" * 60),
            ("product", "p" * 200),
            ("store", "t" * 200),
            ("customer.name", "n" * 200),
            ("customer.phone", "+34 600" + " " * 26 + "000 000"),
            ("customer.customer_number", "c" * 40),
        ],
    )
    def test_a_text_longer_than_its_column_is_a_field_error_and_one_as_long_is_stored(
        self, api, chatbot, organisation, field, value
    ):
        api.force_login(chatbot)

        def body(text: str) -> dict:
            if field.startswith("customer."):
                return intake(customer={"name": "Ana", "email": "ana@example.com", field[9:]: text})
            return intake(**{field: text})

        too_long = api.post(CASES, body(value + "x"), format="json")
        assert too_long.status_code == 400
        errors = too_long.json()
        for part in field.split("."):
            errors = errors[part]
        assert errors
        assert not Case.objects.exists()

        assert api.post(CASES, body(value), format="json").status_code == 201
        assert Case.objects.count() == 1

    def test_every_text_field_is_as_long_as_its_column(self):
        from rest_framework.fields import CharField

        from feedback.models import Case, Customer
        from feedback.serializers import CaseIntakeSerializer, IntakeCustomerSerializer

        for serializer, model in ((CaseIntakeSerializer(), Case), (IntakeCustomerSerializer(), Customer)):
            for name, field in serializer.fields.items():
                column = next((f for f in model._meta.fields if f.name == name), None)
                if column is not None and column.max_length and isinstance(field, CharField):
                    assert field.max_length == column.max_length, name

    @pytest.mark.parametrize(
        ("field", "value"),
        FAR_DATES,
    )
    def test_a_date_outside_the_window_is_a_translated_field_error(
        self, api, chatbot, organisation, field, value
    ):
        api.force_login(chatbot)

        response = api.post(f"{CASES}?lang=en", intake(**{field: value}), format="json")

        assert response.status_code == 400
        [message] = response.json()[field]
        assert message.startswith("Enter a date between")
        assert not Case.objects.exists()

    def test_dates_on_the_edges_of_the_window_are_stored_and_one_day_beyond_refused(
        self, api, chatbot, organisation
    ):
        from feedback.limits import intake_date_window

        api.force_login(chatbot)
        earliest, latest = intake_date_window(timezone.localdate())

        too_early = api.post(CASES, intake(order_date=str(earliest - timedelta(days=1))), format="json")
        too_late = api.post(
            CASES, intake(promised_delivery_date=str(latest + timedelta(days=1))), format="json"
        )
        edges = api.post(
            CASES, intake(order_date=str(earliest), promised_delivery_date=str(latest)), format="json"
        )

        assert (too_early.status_code, list(too_early.json())) == (400, ["order_date"])
        assert (too_late.status_code, list(too_late.json())) == (400, ["promised_delivery_date"])
        assert edges.status_code == 201
        case = Case.objects.get()
        assert (case.order_date, case.promised_delivery_date) == (earliest, latest)

    def test_malformed_json_is_a_400(self, api, chatbot, organisation):
        api.force_login(chatbot)

        response = api.post(CASES, '{"kind": "complaint",', content_type="application/json")

        assert response.status_code == 400
        assert "detail" in response.json()

    def test_a_form_encoded_body_is_refused(self, api, chatbot, organisation):
        api.force_login(chatbot)

        response = api.post(CASES, {"kind": "complaint"})

        assert response.status_code == 415

    def test_anonymous_callers_are_refused(self, api, organisation):
        response = api.post(CASES, intake(), format="json")

        assert response.status_code in (401, 403)
        assert not Case.objects.exists()

    def test_staff_without_the_add_permission_are_forbidden(
        self, api, bruno, organisation, staff_permissions
    ):
        staff_permissions(bruno)
        api.force_login(bruno)

        response = api.post(CASES, intake(), format="json")

        assert response.status_code == 403
        assert not Case.objects.exists()

    def test_non_staff_accounts_are_forbidden_even_with_the_permission(self, api, chatbot, organisation):
        chatbot.is_staff = False
        chatbot.save()
        api.force_login(chatbot)

        assert api.post(CASES, intake(), format="json").status_code == 403
        assert not Case.objects.exists()

    def test_submissions_are_throttled_but_reads_are_not(self, api, chatbot, organisation):
        chatbot.user_permissions.add(Permission.objects.get(codename="view_case"))
        api.force_login(chatbot)

        with mock.patch.object(IntakeThrottle, "THROTTLE_RATES", {"intake": "2/min"}):
            statuses = [api.post(CASES, intake(), format="json").status_code for _ in range(3)]
            reads = [api.get(CASES).status_code for _ in range(3)]

        assert statuses == [201, 201, 429]
        assert reads == [200, 200, 200]
        assert Case.objects.count() == 2

    def test_a_cache_outage_does_not_lose_the_case(self, api, chatbot, organisation):
        api.force_login(chatbot)
        broken = mock.Mock(**{"get.side_effect": ConnectionError("redis is down")})

        with mock.patch.object(IntakeThrottle, "cache", broken):
            response = api.post(CASES, intake(), format="json")

        assert response.status_code == 201
        assert Case.objects.count() == 1


class TestVisibility:
    def test_a_department_member_reads_its_cases_with_the_customer(self, api, readers, logistics_case):
        api.force_login(readers["laura"])

        response = api.get(detail_url(logistics_case))

        body = response.json()
        assert response.status_code == 200
        assert body["reference"] == logistics_case.reference
        assert (body["department"], body["owner"], body["status"]) == ("logistics", "laura", "routed")
        assert body["customer"] == {"name": "Ana García", "email": "ana@example.com"}
        assert "tracking_token" not in body
        assert logistics_case.tracking_token not in response.content.decode()

    def test_another_department_cannot_fetch_the_case(self, api, readers, logistics_case):
        api.force_login(readers["bruno"])

        response = api.get(detail_url(logistics_case))

        assert response.status_code == 404
        assert "Ana" not in response.content.decode()

    def test_another_department_does_not_see_the_case_in_the_list(
        self, api, readers, logistics_case, billing_case
    ):
        api.force_login(readers["bruno"])

        assert references(api.get(CASES)) == {billing_case.reference}

    def test_an_executive_sees_every_department(self, api, readers, logistics_case, billing_case):
        unrouted = CaseFactory()
        api.force_login(readers["elena"])

        assert references(api.get(CASES)) == {
            logistics_case.reference,
            billing_case.reference,
            unrouted.reference,
        }
        assert api.get(detail_url(logistics_case)).status_code == 200

    def test_unrouted_cases_are_hidden_from_departments(self, api, readers):
        unrouted = CaseFactory()
        api.force_login(readers["laura"])

        assert references(api.get(CASES)) == set()
        assert api.get(detail_url(unrouted)).status_code == 404

    def test_anonymous_callers_are_refused(self, api, logistics_case):
        assert api.get(CASES).status_code in (401, 403)
        assert api.get(detail_url(logistics_case)).status_code in (401, 403)

    def test_staff_without_the_view_permission_are_forbidden(self, api, luis, logistics_case):
        api.force_login(luis)

        assert api.get(CASES).status_code == 403
        assert api.get(detail_url(logistics_case)).status_code == 403

    def test_an_intake_account_cannot_read_cases(self, api, chatbot, logistics_case):
        api.force_login(chatbot)

        assert api.get(CASES).status_code == 403


class TestMalformedInput:
    def test_a_nul_byte_in_a_case_reference_is_a_400(self, api, readers, logistics_case):
        api.force_login(readers["laura"])

        assert api.get(f"{CASES}%00/").status_code == 400

    def test_a_reference_no_case_could_have_is_a_404(self, api, readers, logistics_case):
        api.force_login(readers["laura"])

        assert api.get(f"{CASES}CX-2026%20000001/").status_code == 404
        assert api.get(f"{CASES}{'X' * 33}/").status_code == 404

    @pytest.mark.parametrize("depth", [100_000, 5_000])
    def test_deeply_nested_json_is_a_400_with_a_clear_message(self, api, chatbot, organisation, depth):
        api.force_login(chatbot)

        body = "[" * depth + "]" * depth
        response = api.post(CASES, body, content_type="application/json")

        assert response.status_code == 400
        with translation.override("es"):
            expected = translation.gettext("The JSON body is nested too deeply.")
        assert response.json() == {"detail": expected}
        assert not Case.objects.exists()

    @pytest.mark.parametrize("field", ["kind", "channel", "language", "subject", "unknown"])
    def test_a_lone_surrogate_is_a_400_not_a_500(self, api, chatbot, organisation, field):
        # Found by tests/fuzz: the choice error echoed "\ud800", which UTF-8 cannot encode.
        api.force_login(chatbot)

        body = json.dumps(intake(**{field: "a\ud800b"}))  # ensure_ascii: the JSON spells "\ud800"
        response = api.post(CASES, body, content_type="application/json")

        assert response.status_code == 400
        with translation.override("es"):
            expected = translation.gettext("The JSON body holds text that is not valid Unicode.")
        assert response.json() == {"detail": expected}
        assert not Case.objects.exists()

    def test_nesting_inside_a_field_is_refused_the_same_way(self, api, chatbot, organisation):
        api.force_login(chatbot)

        body = '{"customer": ' + "[" * 100_000 + "]" * 100_000 + "}"
        response = api.post(CASES, body, content_type="application/json")

        assert response.status_code == 400
        assert not Case.objects.exists()


class TestFilters:
    @pytest.fixture
    def cases(self, organisation, laura, bruno):
        now = timezone.now()
        late = CaseFactory(
            department=organisation["logistics"],
            owner=laura,
            status=Status.ROUTED,
            priority="high",
            channel=Channel.CHAT,
            created_at=now - timedelta(days=10),
            first_response_due_at=now - timedelta(days=9),
            resolution_due_at=now - timedelta(days=7),
        )
        late.tags.add(Tag.objects.get(slug="delivery-delay"))
        answered = CaseFactory(
            department=organisation["logistics"],
            owner=laura,
            status=Status.IN_PROGRESS,
            kind="claim",
            created_at=now - timedelta(days=2),
            first_response_due_at=now - timedelta(days=1),
            first_response_at=now - timedelta(days=1, hours=2),
            resolution_due_at=now + timedelta(days=1),
        )
        resolved_late = CaseFactory(
            department=organisation["billing"],
            owner=bruno,
            status=Status.RESOLVED,
            kind="praise",
            created_at=now - timedelta(days=20),
            resolution_due_at=now - timedelta(days=15),
        )
        return {"late": late, "answered": answered, "resolved_late": resolved_late}

    @pytest.fixture
    def elena_api(self, api, readers):
        api.force_login(readers["elena"])
        return api

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ({"status": "routed"}, {"late"}),
            ({"department": "logistics"}, {"late", "answered"}),
            ({"department": "billing"}, {"resolved_late"}),
            ({"priority": "high"}, {"late"}),
            ({"kind": "claim"}, {"answered"}),
            ({"channel": "chat"}, {"late"}),
            ({"tag": "delivery-delay"}, {"late"}),
            ({"tag": "refund"}, set()),
            ({"overdue": "true"}, {"late"}),
            ({"overdue": "false"}, {"answered", "resolved_late"}),
            ({"department": "logistics", "overdue": "false"}, {"answered"}),
        ],
    )
    def test_it_filters_the_list(self, elena_api, cases, query, expected):
        response = elena_api.get(CASES, query)

        assert references(response) == {cases[name].reference for name in expected}

    def test_it_filters_by_submission_date(self, elena_api, cases):
        after = (timezone.now() - timedelta(days=15)).isoformat()
        before = (timezone.now() - timedelta(days=5)).isoformat()

        response = elena_api.get(CASES, {"created_after": after, "created_before": before})

        assert references(response) == {cases["late"].reference}

    def test_newest_cases_come_first_unless_asked_otherwise(self, elena_api, cases):
        newest_first = [row["reference"] for row in elena_api.get(CASES).json()["results"]]
        oldest_first = [
            row["reference"] for row in elena_api.get(CASES, {"ordering": "created_at"}).json()["results"]
        ]

        expected = [cases[name].reference for name in ("answered", "late", "resolved_late")]
        assert newest_first == expected
        assert oldest_first == expected[::-1]

    @pytest.mark.parametrize("query", [{"status": "lost"}, {"kind": "rant"}, {"created_after": "soon"}])
    def test_an_invalid_filter_value_is_a_400(self, elena_api, cases, query):
        response = elena_api.get(CASES, query)

        assert response.status_code == 400
        assert set(response.json()) == set(query)

    @pytest.mark.parametrize(
        "query",
        [
            {"tag": "\x00"},
            {"department": "logistics\x00"},
            {"status": "\x00"},
            {"created_after": "\x00"},
            {"ordering": "\x00"},
        ],
    )
    def test_a_nul_byte_in_a_filter_is_a_400(self, elena_api, cases, query):
        # PostgreSQL text cannot hold NUL: no filter value with one may reach a query.
        response = elena_api.get(CASES, query)

        assert response.status_code == 400

    @pytest.mark.parametrize(
        "query",
        [
            {"created_after": "0001-01-01T00:00:00+14:00"},
            {"created_before": "0001-01-01T00:00:00+14:00"},
            {"created_after": "9999-12-31T23:59:59-14:00"},
        ],
    )
    def test_a_date_outside_the_representable_range_is_a_400_field_error(self, elena_api, cases, query):
        # In UTC these fall before year 1 or after year 9999, which no datetime can hold.
        response = elena_api.get(CASES, query)

        assert response.status_code == 400
        assert set(response.json()) == set(query)
        with translation.override("es"):
            expected = translation.gettext("Enter a date and time between the years 1 and 9999 in UTC.")
        assert response.json()[next(iter(query))] == [expected]

    @pytest.mark.parametrize("offset", ["+23:00", "-23:59", "+16:00"])
    def test_an_offset_postgresql_cannot_store_is_the_same_instant_in_utc(self, elena_api, cases, offset):
        # Found by tests/fuzz: PostgreSQL refused "+23:00" ("time zone displacement out of range", a 500).
        created = cases["late"].created_at
        hours, minutes = int(offset[1:3]), int(offset[4:])
        sign = -1 if offset[0] == "-" else 1
        local = created.astimezone(timezone.get_fixed_timezone(sign * (hours * 60 + minutes)))
        assert local.isoformat().endswith(offset)

        response = elena_api.get(
            CASES,
            {
                "created_after": local.isoformat(),
                "created_before": (local + timedelta(seconds=1)).isoformat(),
            },
        )

        assert references(response) == {cases["late"].reference}

    def test_filters_do_not_widen_what_a_department_sees(self, api, readers, cases):
        api.force_login(readers["bruno"])

        assert references(api.get(CASES, {"department": "logistics"})) == set()


class TestQueries:
    def test_the_list_runs_a_bounded_number_of_queries(
        self, api, readers, organisation, django_assert_max_num_queries
    ):
        tags = [TagFactory(slug=slug) for slug in ("delivery-delay", "refund", "damaged-item")]
        for i in range(40):
            case = CaseFactory(department=organisation["logistics"], owner=readers["laura"])
            case.tags.add(*tags[: i % 3 + 1])
        api.force_login(readers["laura"])

        # Session, user, two permission lookups, count, page, tags: never one per case.
        with django_assert_max_num_queries(7):
            response = api.get(CASES)

        assert response.status_code == 200
        assert response.json()["count"] == 40
        assert len(response.json()["results"]) == 40


class TestSchemaAndDocs:
    def test_the_schema_is_served(self, client, db):
        response = client.get("/api/schema/")

        assert response.status_code == 200
        assert b"/api/v1/cases/{reference}/" in response.content

    def test_the_docs_page_loads_nothing_from_a_cdn(self, client, db):
        response = client.get("/api/docs/")

        html = response.content.decode().lower()
        assert response.status_code == 200
        assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
        for host in ("cdn", "unpkg", "jsdelivr"):
            assert host not in html
