"""What integrations do through the API: retries, their own ids, reading back their cases,
relaying messages, finding customers; and what neither a key nor another department reaches."""

import threading

import pytest
import yaml
from django.contrib.auth.models import Permission
from django.db import connection
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from feedback.models import Case, CaseEvent, IntakeKey, Status
from feedback.services import idempotency

from ..factories import CaseFactory, CustomerFactory, UserFactory
from .test_api import CASES, detail_url, intake
from .test_api_keys import _fresh_throttle_counts, key_client, make_key  # noqa: F401

CUSTOMERS = "/api/v1/customers/"


@pytest.fixture
def app(db):
    """The mobile app's key: may submit and read its own cases."""
    return make_key("Mobile app", "mobile-app")


@pytest.fixture
def shop(db):
    """Another integration, with its own source."""
    return make_key("Web shop", "web-shop")


def post(secret: str, data: dict, key: str | None = None):
    headers = {} if key is None else {"Idempotency-Key": key}
    return key_client(secret).post(CASES, data, format="json", headers=headers)


def timeline_url(case: Case) -> str:
    return f"{detail_url(case)}timeline/"


def messages_url(case: Case) -> str:
    return f"{detail_url(case)}messages/"


def references(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["reference"] for row in response.json()["results"]}


class TestIdempotencyPerKey:
    def test_three_retries_make_one_case_201_then_200s(self, app, organisation):
        _key, secret = app

        answers = [post(secret, intake(), "order-77") for _ in range(4)]

        assert [answer.status_code for answer in answers] == [201, 200, 200, 200]
        assert [answer.has_header("Idempotent-Replayed") for answer in answers] == [False, True, True, True]
        assert len({answer.json()["reference"] for answer in answers}) == 1
        assert Case.objects.count() == 1
        assert IntakeKey.objects.get().api_key == app[0]

    def test_the_same_key_with_another_body_is_a_409(self, app, organisation):
        _key, secret = app
        post(secret, intake(), "order-78")

        response = post(secret, intake(subject="Otra cosa"), "order-78")

        assert response.status_code == 409
        assert response.json()["code"] == "idempotency_key_reused"
        assert Case.objects.count() == 1

    def test_the_same_idempotency_key_from_two_api_keys_makes_two_cases(self, app, shop, organisation):
        first = post(app[1], intake(), "shared-key")
        second = post(shop[1], intake(), "shared-key")

        assert (first.status_code, second.status_code) == (201, 201)
        assert first.json()["reference"] != second.json()["reference"]
        assert Case.objects.count() == 2


class TestExternalIds:
    def test_the_case_keeps_its_source_and_external_id(self, app, organisation):
        response = post(app[1], intake(external_id="conv-1"))

        case = Case.objects.get(reference=response.json()["reference"])
        assert (case.source, case.external_id) == ("mobile-app", "conv-1")
        assert key_client(app[1]).get(detail_url(case)).json()["external_id"] == "conv-1"

    def test_an_external_id_sent_again_is_a_409_naming_the_case(self, app, organisation):
        first = post(app[1], intake(external_id="conv-2"))

        again = post(app[1], intake(external_id="conv-2", subject="Reenviado"))

        body = again.json()
        assert again.status_code == 409
        assert body["code"] == "duplicate_external_id"
        assert body["reference"] == first.json()["reference"]
        assert body["url"] == first["Location"]
        assert Case.objects.count() == 1

    def test_an_idempotent_replay_with_an_external_id_is_not_a_duplicate(self, app, organisation):
        post(app[1], intake(external_id="conv-3"), "k-3")

        again = post(app[1], intake(external_id="conv-3"), "k-3")

        assert again.status_code == 200
        assert again["Idempotent-Replayed"] == "true"

    def test_a_new_idempotency_key_does_not_get_round_the_external_id(self, app, organisation):
        post(app[1], intake(external_id="conv-4"), "k-4")

        assert post(app[1], intake(external_id="conv-4"), "k-5").json()["code"] == "duplicate_external_id"

    def test_the_same_external_id_in_two_sources_is_two_cases(self, app, shop, organisation):
        assert post(app[1], intake(external_id="42")).status_code == 201
        assert post(shop[1], intake(external_id="42")).status_code == 201

    def test_staff_submissions_have_the_api_source(self, api_staff, organisation, staff_permissions):
        first = api_staff.post(CASES, intake(external_id="ticket-9"), format="json")
        again = api_staff.post(CASES, intake(external_id="ticket-9"), format="json")

        assert Case.objects.get().source == "api"
        assert first.status_code == 201
        # Not routed to a department of theirs (yet): the case is not named to them.
        assert again.status_code == 409
        assert "reference" not in again.json()
        chatbot = UserFactory._meta.model.objects.get(username="chatbot")
        staff_permissions(chatbot, "view_case", "view_all_cases")
        api_staff.force_authenticate(UserFactory._meta.model.objects.get(pk=chatbot.pk))  # fresh permissions
        seen = api_staff.post(CASES, intake(external_id="ticket-9"), format="json")
        assert (seen.status_code, seen.json()["reference"]) == (409, first.json()["reference"])

    def test_an_external_id_longer_than_its_column_is_a_field_error(self, app, organisation):
        response = post(app[1], intake(external_id="x" * 101))

        assert response.status_code == 400
        assert "external_id" in response.json()

    def test_the_list_filters_by_source_and_external_id(self, app, organisation):
        post(app[1], intake(external_id="conv-5"))
        post(app[1], intake(external_id="conv-6"))

        found = key_client(app[1]).get(CASES, {"source": "mobile-app", "external_id": "conv-6"})

        assert [row["external_id"] for row in found.json()["results"]] == ["conv-6"]

    @pytest.mark.django_db(transaction=True)
    def test_two_requests_racing_with_one_external_id_make_one_case(self, app, organisation, monkeypatch):
        """Both pass the look-up before either has stored its case: the constraint decides."""
        both_looked = threading.Barrier(2, timeout=10)
        look_up = idempotency._refuse_duplicate_external_id
        calls = []

        def look_up_then_wait_for_the_other(**kwargs):
            calls.append(kwargs)
            look_up(**kwargs)
            if len(calls) <= 2:  # the first look-ups, not the loser's second one
                both_looked.wait()

        monkeypatch.setattr(idempotency, "_refuse_duplicate_external_id", look_up_then_wait_for_the_other)
        answers = []

        def submit(subject: str):
            try:
                answers.append(post(app[1], intake(external_id="racing", subject=subject)))
            finally:
                connection.close()

        threads = [threading.Thread(target=submit, args=(subject,)) for subject in ("A", "B")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        answers.sort(key=lambda answer: answer.status_code)
        assert [answer.status_code for answer in answers] == [201, 409]
        assert answers[1].json()["code"] == "duplicate_external_id"
        assert answers[1].json()["reference"] == answers[0].json()["reference"]
        assert Case.objects.count() == 1


@pytest.fixture
def api_staff(db, staff_permissions):
    user = UserFactory(username="chatbot")
    staff_permissions(user, "add_case")
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.fixture
def app_case(organisation, laura):
    """A case the mobile app submitted, routed to logistics."""
    return CaseFactory(
        source="mobile-app",
        external_id="conv-100",
        department=organisation["logistics"],
        owner=laura,
        status=Status.ROUTED,
        customer=CustomerFactory(name="Ana García", email="ana@example.com", phone="+34600112233"),
    )


@pytest.fixture
def shop_case(organisation, bruno):
    return CaseFactory(
        source="web-shop",
        department=organisation["billing"],
        owner=bruno,
        status=Status.ROUTED,
        customer=CustomerFactory(name="Bea López", email="bea@example.com"),
    )


def test_staff_are_not_told_another_departments_case_by_its_external_id(
    organisation, bruno, laura, staff_permissions
):
    CaseFactory(source="api", external_id="T-1", department=organisation["billing"], owner=bruno)
    staff_permissions(laura, "add_case", "view_case")
    api = APIClient()
    api.force_authenticate(laura)

    answer = api.post(CASES, intake(external_id="T-1"), format="json")

    assert answer.status_code == 409
    assert answer.json()["code"] == "duplicate_external_id"
    assert "reference" not in answer.json()
    assert "url" not in answer.json()
    assert "CX-" not in answer.content.decode()


def test_an_erased_case_takes_no_more_messages(app, app_case):
    from feedback.privacy import customer_erase

    customer_erase(customer=app_case.customer)

    answer = key_client(app[1]).post(messages_url(app_case), {"text": "Hola otra vez"}, format="json")

    assert (answer.status_code, answer.json()["code"]) == (400, "case_erased")
    assert not app_case.events.filter(kind="customer_message").exists()


def events_of(case: Case, laura) -> None:
    CaseEvent.objects.create(case=case, kind="created", text="Chat", is_public=True)
    CaseEvent.objects.create(case=case, kind="routed", text="Logistics → Laura", is_public=True)
    CaseEvent.objects.create(case=case, kind="note", text="Cliente VIP, ojo", actor=laura)
    CaseEvent.objects.create(case=case, kind="reply", text="Sale hoy", actor=laura, is_public=True)


class TestScoping:
    def test_a_key_reads_only_its_sources_cases(self, app, app_case, shop_case):
        api = key_client(app[1])

        assert references(api.get(CASES)) == {app_case.reference}
        assert api.get(detail_url(app_case)).status_code == 200
        assert api.get(detail_url(shop_case)).status_code == 404
        assert api.get(timeline_url(shop_case)).status_code == 404
        assert api.post(messages_url(shop_case), {"text": "Hola"}, format="json").status_code == 404
        assert not shop_case.events.exists()

    def test_a_filter_does_not_widen_what_a_key_reads(self, app, app_case, shop_case):
        assert references(key_client(app[1]).get(CASES, {"source": "web-shop"})) == set()

    def test_a_key_reads_only_the_customers_of_its_sources_cases(self, app, app_case, shop_case):
        rows = key_client(app[1]).get(CUSTOMERS).json()["results"]

        assert [(row["name"], row["cases"]) for row in rows] == [("Ana García", [app_case.reference])]

    def test_a_shared_customer_shows_only_the_keys_cases(self, app, app_case, organisation):
        other = CaseFactory(source="web-shop", customer=app_case.customer)

        rows = key_client(app[1]).get(CUSTOMERS).json()["results"]

        assert rows[0]["cases"] == [app_case.reference]
        assert other.reference not in str(rows)

    def test_another_department_reaches_the_case_through_no_endpoint(
        self, app_case, bruno, staff_permissions
    ):
        staff_permissions(bruno)
        api = APIClient()
        api.force_login(bruno)

        assert references(api.get(CASES)) == set()
        assert api.get(detail_url(app_case)).status_code == 404
        assert api.get(timeline_url(app_case)).status_code == 404
        assert api.post(messages_url(app_case), {"text": "Hola"}, format="json").status_code == 404
        assert api.get(CUSTOMERS).json()["results"] == []
        assert api.get(CUSTOMERS, {"email": "ana@example.com"}).json()["results"] == []

    def test_an_executive_sees_every_customer(self, app_case, shop_case, elena):
        elena.user_permissions.add(Permission.objects.get(codename="view_customer"))
        api = APIClient()
        api.force_login(elena)

        names = {row["name"] for row in api.get(CUSTOMERS).json()["results"]}

        assert names == {"Ana García", "Bea López"}

    def test_anonymous_callers_reach_nothing(self, app_case):
        api = APIClient()

        for response in (api.get(timeline_url(app_case)), api.get(CUSTOMERS)):
            assert response.status_code in (401, 403)


class TestTimeline:
    def test_a_key_sees_only_public_events_without_staff_names(self, app, app_case, laura):
        events_of(app_case, laura)

        rows = key_client(app[1]).get(timeline_url(app_case)).json()

        assert [row["kind"] for row in rows] == ["created", "routed", "reply"]
        assert rows[-1] == {"kind": "reply", "at": rows[-1]["at"], "text": "Sale hoy"}
        assert "Laura" not in str(rows)
        assert "VIP" not in str(rows)

    def test_staff_see_every_event_with_who_did_it(self, app_case, laura, staff_permissions):
        events_of(app_case, laura)
        staff_permissions(laura)
        api = APIClient()
        api.force_login(laura)

        rows = api.get(timeline_url(app_case)).json()

        note = next(row for row in rows if row["kind"] == "note")
        assert (note["text"], note["actor"], note["is_public"]) == ("Cliente VIP, ojo", "laura", False)


class TestMessages:
    def test_a_key_relays_the_customers_message_and_reopens_the_case(self, app, app_case):
        Case.objects.filter(pk=app_case.pk).update(status=Status.RESOLVED)

        response = key_client(app[1]).post(messages_url(app_case), {"text": " ¿Y mi pedido? "}, format="json")

        assert response.status_code == 201
        assert response.json()["kind"] == "customer_message"
        assert response.json()["text"] == "¿Y mi pedido?"
        app_case.refresh_from_db()
        assert app_case.status == Status.IN_PROGRESS
        assert app_case.events.filter(kind="customer_message", text="¿Y mi pedido?").exists()

    def test_an_empty_message_is_a_400(self, app, app_case):
        response = key_client(app[1]).post(messages_url(app_case), {"text": "  "}, format="json")

        assert response.status_code == 400
        assert not app_case.events.filter(kind="customer_message").exists()

    def test_a_read_only_key_cannot_add_messages(self, app_case):
        _key, secret = make_key("Reader", "mobile-app", can_intake=False)

        response = key_client(secret).post(messages_url(app_case), {"text": "Hola"}, format="json")

        assert response.json()["code"] == "api_key_scope"

    def test_a_message_retried_with_its_key_is_stored_once(self, app, app_case):
        def send():
            return key_client(app[1]).post(
                messages_url(app_case),
                {"text": "¿Y mi pedido?"},
                format="json",
                headers={"Idempotency-Key": "m-1"},
            )

        answers = [send() for _ in range(4)]

        assert [answer.status_code for answer in answers] == [201, 200, 200, 200]
        assert [answer.has_header("Idempotent-Replayed") for answer in answers] == [False, True, True, True]
        assert len({answer.json()["at"] for answer in answers}) == 1
        assert app_case.events.filter(kind="customer_message").count() == 1

    def test_the_same_key_with_another_text_or_case_is_a_409(self, app, app_case, organisation):
        other = CaseFactory(source="mobile-app", department=app_case.department)
        api = key_client(app[1])
        headers = {"Idempotency-Key": "m-2"}
        assert (
            api.post(messages_url(app_case), {"text": "Hola"}, format="json", headers=headers).status_code
            == 201
        )

        another_text = api.post(messages_url(app_case), {"text": "Adiós"}, format="json", headers=headers)
        another_case = api.post(messages_url(other), {"text": "Hola"}, format="json", headers=headers)

        assert (another_text.status_code, another_text.json()["code"]) == (409, "idempotency_key_reused")
        assert (another_case.status_code, another_case.json()["code"]) == (409, "idempotency_key_reused")
        assert Case.objects.get(pk=other.pk).events.filter(kind="customer_message").count() == 0

    def test_a_key_that_made_a_case_is_not_a_message_key(self, app, app_case):
        assert post(app[1], intake(), key="k-case").status_code == 201

        response = key_client(app[1]).post(
            messages_url(app_case), {"text": "Hola"}, format="json", headers={"Idempotency-Key": "k-case"}
        )

        assert response.status_code == 409

    def test_staff_need_the_change_permission(self, app_case, laura, elena, staff_permissions):
        staff_permissions(laura)
        api = APIClient()
        api.force_login(elena)  # sees every case, may change none
        assert api.post(messages_url(app_case), {"text": "Hola"}, format="json").status_code == 403

        api.force_login(laura)
        assert api.post(messages_url(app_case), {"text": "Hola"}, format="json").status_code == 201


class TestCustomers:
    @pytest.mark.parametrize(
        "query",
        [
            {"phone": "+34 600 11 22 33"},
            {"phone": "600112233"},
            {"phone": "0034 600-11-22-33"},
            {"email": "ANA@Example.com "},
            {"email": "ana@example.com", "phone": "600112233"},
        ],
    )
    def test_a_contact_matches_however_it_is_written(self, app, app_case, query):
        rows = key_client(app[1]).get(CUSTOMERS, query).json()["results"]

        assert [row["name"] for row in rows] == ["Ana García"]

    def test_an_identity_added_later_matches_too(self, app, app_case, organisation):
        # The customer writes again from another email: intake adds it to their identities.
        post(app[1], intake(customer={"name": "Ana", "email": "ana@work.example", "phone": "600112233"}))

        rows = key_client(app[1]).get(CUSTOMERS, {"email": "ana@work.example"}).json()["results"]

        assert [row["name"] for row in rows] == ["Ana García"]
        assert len(rows[0]["cases"]) == 2

    def test_no_match_is_an_empty_list(self, app, app_case):
        assert key_client(app[1]).get(CUSTOMERS, {"phone": "611000000"}).json()["results"] == []

    def test_the_list_runs_a_bounded_number_of_queries(
        self, app, organisation, django_assert_max_num_queries
    ):
        for _ in range(20):
            CaseFactory(source="mobile-app")
        api = key_client(app[1])

        # Key, last-used update, count, page, cases of the page: never one per customer.
        with django_assert_max_num_queries(5):
            response = api.get(CUSTOMERS)

        assert response.json()["count"] == 20


class TestSchema:
    @pytest.fixture
    def schema(self, client, db) -> dict:
        response = client.get("/api/schema/")
        assert response.status_code == 200
        return yaml.safe_load(response.content)

    def test_it_validates_as_openapi_3_1(self, schema):
        assert schema["openapi"].startswith("3.1")
        validate_schema(schema)

    def test_it_documents_every_new_operation_with_examples(self, schema):
        paths = schema["paths"]
        assert "examples" in paths["/api/v1/cases/"]["post"]["requestBody"]["content"]["application/json"]
        conflict = paths["/api/v1/cases/"]["post"]["responses"]["409"]["content"]["application/json"]
        assert "DuplicateExternalId" in conflict["examples"]
        assert "get" in paths["/api/v1/cases/{reference}/timeline/"]
        assert "post" in paths["/api/v1/cases/{reference}/messages/"]
        customers = paths["/api/v1/customers/"]["get"]
        assert {p["name"] for p in customers["parameters"]} >= {"email", "phone", "customer_number"}

    def test_it_documents_the_api_key_scheme_and_the_webhook(self, schema):
        scheme = schema["components"]["securitySchemes"]["apiKeyAuth"]
        assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Authorization")
        webhook = schema["webhooks"]["caseEvent"]["post"]
        assert "X-CX-Signature" in webhook["description"]
        assert "Routed" in webhook["requestBody"]["content"]["application/json"]["examples"]
