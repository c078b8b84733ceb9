"""The triage model in the admin: the case page explains it, its suggestion is one click, versions are managed."""

from dataclasses import replace

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.test import Client

from feedback.models import Case, CaseEvent, Status
from routing import tasks
from routing.learning import forget_loaded_models, live_triage
from routing.models import TriageVersion
from routing.services import case_route
from routing.triage import TriageModel, examples_from
from routing.triage.corpus import starter_corpus
from tests.factories import CaseFactory

LATE_PARCEL = "still no parcel after 2 weeks, tracking hasn't moved"
SCRIPT = "<script>alert(1)</script>"
VERSIONS = "/admin/routing/triageversion/"


def client_for(user) -> Client:
    """A logged-in admin client that reads English, so messages can be asserted."""
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture(scope="module")
def starter_blob() -> bytes:
    """One real model for the whole module: training takes seconds."""
    return TriageModel.train(examples_from(starter_corpus())).to_bytes()


@pytest.fixture(scope="module")
def confused_blob() -> bytes:
    """A small model that learnt every delivery problem as billing's: it disagrees with the starter model."""
    examples = examples_from(starter_corpus())[::15]
    return TriageModel.train(
        [replace(e, department="billing") if e.department == "logistics" else e for e in examples]
    ).to_bytes()


@pytest.fixture(autouse=True)
def _fresh_model_cache():
    forget_loaded_models()
    cache.clear()
    yield
    forget_loaded_models()


def store(blob: bytes, version: int, status: str = TriageVersion.Status.LIVE, **fields) -> TriageVersion:
    return TriageVersion.objects.create(version=version, status=status, blob=blob, **fields)


def versions_url(version: TriageVersion, page: str = "change") -> str:
    return f"{VERSIONS}{version.pk}/{page}/"


def change_url(case: Case) -> str:
    return f"/admin/feedback/case/{case.pk}/change/"


def accept_url(case: Case) -> str:
    return f"/admin/feedback/case/{case.pk}/accept-suggestion/"


@pytest.fixture
def case_staff(organisation, carmen, laura, bruno, staff_permissions):
    """The fallback department's owner, and the owners of logistics and billing."""
    for user in (carmen, laura, bruno):
        staff_permissions(user)
    return carmen


@pytest.fixture
def suggested_case(organisation, logistics, starter_blob, case_staff) -> Case:
    """A late parcel the model was not sure enough about: in customer service, suggesting logistics."""
    logistics.triage_threshold = 1.0
    logistics.save()
    store(starter_blob, 1)
    case = CaseFactory(subject="", message=LATE_PARCEL)
    case_route(case_id=case.pk)
    case.refresh_from_db()
    assert case.department.slug == "customer-service"
    assert case.decision["triage"]["suggestion"] == "logistics"
    return case


def triage_decision(**triage) -> dict:
    """A routing decision as case_route stores it, with the model's part overridden by ``triage``."""
    return {
        "tags": [],
        "priority": "",
        "department": "",
        "department_rule_id": None,
        "matches": [],
        "triage": {
            "decided_by": "model",
            "department": "logistics",
            "suggestion": "",
            "threshold": 0.5,
            "version": 7,
            "model_tags": ["delivery-delay"],
            "prediction": {
                "department": "logistics",
                "confidence": 0.72,
                "probabilities": {"logistics": 0.72, "billing": 0.2, "customer-service": 0.08},
                "tags": ["delivery-delay"],
                "tag_probabilities": {"delivery-delay": 0.9},
                "words": ["parcel", "tracking"],
            },
            **triage,
        },
    }


class TestCasePage:
    def test_it_explains_the_models_suggestion_and_names_the_version(self, suggested_case, carmen):
        response = client_for(carmen).get(change_url(suggested_case))

        assert response.status_code == 200
        text = response.text
        assert "Fallback department: no rule set a department and the model was not sure enough." in text
        assert "Model v1: probably Logistics, " in text
        assert "Next best: " in text
        assert "Words that weighed most: " in text
        assert "Confidence needed to route to Logistics: 100 %." in text
        assert "Suggestion: Logistics." in text
        assert "Accept suggestion: Logistics" in text
        assert f'action="{accept_url(suggested_case)}"' in text

    def test_a_case_the_model_routed_says_so_with_its_confidence(self, organisation, laura, case_staff):
        case = CaseFactory(
            department=organisation["logistics"],
            owner=laura,
            decision=triage_decision(),
            status=Status.ROUTED,
        )

        text = client_for(laura).get(change_url(case)).text

        assert "Decided by the triage model: no rule set a department." in text
        assert "Model v7: probably Logistics, 72 %." in text
        assert "Next best: Billing, 20 %." in text
        assert "Words that weighed most: parcel, tracking." in text
        assert "Confidence needed to route to Logistics: 50 %." in text
        assert "Tags added by the model: delivery-delay." in text
        assert "Accept suggestion" not in text

    def test_a_rule_that_set_the_department_is_named(self, organisation, laura, case_staff):
        decision = triage_decision(decided_by="rule")
        decision |= {
            "department_rule_id": 3,
            "matches": [{"rule_id": 3, "name": "Late delivery", "version": 2, "conditions": []}],
        }
        case = CaseFactory(department=organisation["logistics"], owner=laura, decision=decision)

        text = client_for(laura).get(change_url(case)).text

        assert "Decided by the rule “Late delivery”." in text
        assert "<strong>Late delivery</strong> (version 2)" in text

    def test_when_rules_only_tagged_the_model_is_named_as_setting_the_department(
        self, organisation, laura, case_staff
    ):
        decision = triage_decision()
        decision["matches"] = [{"rule_id": 4, "name": "Tag refunds", "version": 1, "conditions": []}]
        case = CaseFactory(department=organisation["logistics"], owner=laura, decision=decision)

        text = client_for(laura).get(change_url(case)).text

        assert "Department set by: the triage model" in text
        assert "<strong>Tag refunds</strong> (version 1)" in text

    def test_a_case_routed_before_the_model_existed_is_explained_as_before(
        self, organisation, laura, case_staff
    ):
        case = CaseFactory(department=organisation["logistics"], owner=laura, decision={"matches": []})

        text = client_for(laura).get(change_url(case)).text

        assert "No rule matched: the case went to the fallback department." in text
        assert "Model v" not in text

    def test_customer_text_in_the_explanation_is_escaped(self, organisation, carmen, case_staff):
        decision = triage_decision(decided_by="fallback", department="customer-service", suggestion="billing")
        decision["triage"]["prediction"]["words"] = [SCRIPT]
        case = CaseFactory(
            department=organisation["customer-service"],
            owner=carmen,
            message=f"Mi pedido {SCRIPT}",
            decision=decision,
        )

        response = client_for(carmen).get(change_url(case))

        assert response.status_code == 200
        assert SCRIPT not in response.text
        assert "Words that weighed most: &lt;script&gt;alert(1)&lt;/script&gt;." in response.text
        assert "Accept suggestion: Billing" in response.text

    def test_the_executive_sees_the_explanation_but_no_button(self, suggested_case, elena):
        text = client_for(elena).get(change_url(suggested_case)).text

        assert "Suggestion: Logistics." in text
        assert "Accept suggestion" not in text


class TestAcceptSuggestion:
    def test_it_reroutes_the_case_to_the_suggested_department(self, suggested_case, carmen, laura):
        response = client_for(carmen).post(accept_url(suggested_case), follow=True)

        suggested_case.refresh_from_db()
        assert (suggested_case.department.slug, suggested_case.owner) == ("logistics", laura)
        event = suggested_case.events.filter(kind=CaseEvent.Kind.ROUTED).latest("pk")
        assert event.data["rerouted"] is True
        assert event.actor == carmen
        assert "Re-routed to Logistics." in messages_of(response)
        # Out of customer service's sight now: back to the list, not to a page that says it does not exist.
        assert response.redirect_chain[-1][0] == "/admin/feedback/case/"

    def test_someone_who_still_sees_the_case_goes_back_to_its_page(self, suggested_case, admin_user):
        response = client_for(admin_user).post(accept_url(suggested_case))

        assert response.status_code == 302
        assert response.url == change_url(suggested_case)
        suggested_case.refresh_from_db()
        assert suggested_case.department.slug == "logistics"

    def test_get_changes_nothing(self, suggested_case, carmen):
        response = client_for(carmen).get(accept_url(suggested_case))

        assert response.status_code == 405
        suggested_case.refresh_from_db()
        assert suggested_case.department.slug == "customer-service"

    def test_a_manager_of_another_department_gets_404(self, suggested_case, bruno):
        response = client_for(bruno).post(accept_url(suggested_case))

        assert response.status_code == 404
        suggested_case.refresh_from_db()
        assert suggested_case.department.slug == "customer-service"

    def test_the_executive_may_not_accept(self, suggested_case, elena):
        response = client_for(elena).post(accept_url(suggested_case))

        assert response.status_code == 403
        suggested_case.refresh_from_db()
        assert suggested_case.department.slug == "customer-service"

    def test_a_case_that_already_left_the_fallback_is_not_moved_again(
        self, suggested_case, admin_user, billing
    ):
        client = client_for(admin_user)
        page = client.get(change_url(suggested_case)).text
        assert "Accept suggestion" in page
        Case.objects.filter(pk=suggested_case.pk).update(department=billing)

        response = client.post(accept_url(suggested_case), follow=True)

        suggested_case.refresh_from_db()
        assert suggested_case.department.slug == "billing"
        assert "The case has already left the fallback department." in messages_of(response)
        assert "Accept suggestion" not in response.text


@pytest.fixture
def two_versions(organisation, starter_blob):
    """v1 retired, v2 live (the same model: what they are is not the point here)."""
    first = store(starter_blob, 1, TriageVersion.Status.RETIRED, evaluation={"holdout": 0})
    second = store(
        starter_blob,
        2,
        TriageVersion.Status.LIVE,
        evaluation={"holdout": 120, "candidate_accuracy": 0.8125, "live_accuracy": 0.79, "live_version": 1},
        note="Right on 81.2 % of the 120 most recent cases.",
    )
    return first, second


class TestVersionsAdmin:
    def test_the_list_shows_status_examples_and_accuracy(self, two_versions, admin_user):
        response = client_for(admin_user).get(VERSIONS)

        assert response.status_code == 200
        assert "81.2 %" in response.text
        assert "Live" in response.text
        assert "Retired" in response.text
        assert "Train a new model now" in response.text
        assert "Add triage model" not in response.text

    def test_the_page_shows_the_evaluation_readably_and_never_the_model(self, two_versions, admin_user):
        _first, second = two_versions

        response = client_for(admin_user).get(versions_url(second))

        assert response.status_code == 200
        assert "Right on 81.2 % of the 120 most recent settled cases (not learnt from)." in response.text
        assert "The live model then, v1: 79.0 %." in response.text
        assert 'name="blob"' not in response.text
        assert "Make live" not in response.text  # it is live already
        assert "Try on past cases" in response.text

    def test_only_the_note_is_saved(self, two_versions, admin_user):
        first, _second = two_versions

        client_for(admin_user).post(versions_url(first), {"note": "Before the holiday season."})

        first.refresh_from_db()
        assert first.note == "Before the holiday season."
        assert first.status == TriageVersion.Status.RETIRED

    def test_making_an_older_version_live_rolls_back(
        self, two_versions, admin_user, django_capture_on_commit_callbacks
    ):
        first, second = two_versions
        client = client_for(admin_user)
        confirmation = client.get(versions_url(first, "make-live"))
        assert confirmation.status_code == 200
        assert "instead of version 2" in confirmation.text
        first.refresh_from_db()
        assert first.status == TriageVersion.Status.RETIRED  # asking changes nothing

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(versions_url(first, "make-live"), follow=True)

        first.refresh_from_db()
        second.refresh_from_db()
        assert (first.status, second.status) == (TriageVersion.Status.LIVE, TriageVersion.Status.RETIRED)
        assert first.promoted_by == admin_user
        assert live_triage().version == 1
        assert "Version 1 is live: new cases are routed with it." in messages_of(response)

    def test_the_action_asks_for_the_same_confirmation(self, two_versions, admin_user):
        first, _second = two_versions

        response = client_for(admin_user).post(
            VERSIONS, {"action": "make_live", "_selected_action": [first.pk]}
        )

        assert response.status_code == 302
        assert response.url == versions_url(first, "make-live")
        first.refresh_from_db()
        assert first.status == TriageVersion.Status.RETIRED

    def test_a_rejected_version_is_made_live_only_after_a_warning(
        self, organisation, starter_blob, admin_user
    ):
        store(starter_blob, 1)
        rejected = store(starter_blob, 2, TriageVersion.Status.REJECTED)
        client = client_for(admin_user)

        page = client.get(versions_url(rejected, "make-live")).text
        assert "This version was rejected when it was trained" in page
        assert "Make this rejected version live" in page

        client.post(versions_url(rejected, "make-live"))
        rejected.refresh_from_db()
        assert rejected.status == TriageVersion.Status.LIVE

    def test_a_manager_without_the_permission_cannot_make_a_version_live(self, two_versions, laura):
        first, second = two_versions
        laura.user_permissions.add(Permission.objects.get(codename="view_triageversion"))
        client = client_for(laura)

        assert "Make live" not in client.get(versions_url(first)).text
        assert client.post(versions_url(first, "make-live")).status_code == 403
        response = client.post(VERSIONS, {"action": "make_live", "_selected_action": [first.pk]})
        assert response.status_code == 200  # the action is not offered: nothing happens
        assert client.post(f"{VERSIONS}train/").status_code == 403
        first.refresh_from_db()
        second.refresh_from_db()
        assert (first.status, second.status) == (TriageVersion.Status.RETIRED, TriageVersion.Status.LIVE)

    def test_someone_given_the_permission_may(self, two_versions, laura, django_capture_on_commit_callbacks):
        first, _second = two_versions
        laura.user_permissions.add(
            *Permission.objects.filter(codename__in=["view_triageversion", "change_triageversion"])
        )

        with django_capture_on_commit_callbacks(execute=True):
            client_for(laura).post(versions_url(first, "make-live"))

        assert live_triage().version == 1

    def test_staff_without_any_permission_do_not_see_the_versions(self, two_versions, laura):
        assert client_for(laura).get(VERSIONS).status_code == 403

    def test_train_now_queues_the_training(
        self, two_versions, admin_user, monkeypatch, django_capture_on_commit_callbacks
    ):
        queued = []
        monkeypatch.setattr(tasks.retrain_triage, "delay", lambda *args: queued.append(args))
        client = client_for(admin_user)

        assert client.get(f"{VERSIONS}train/").status_code == 405
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"{VERSIONS}train/", follow=True)

        assert queued == [()]
        assert any("Training a new model has been queued." in m for m in messages_of(response))

    def test_versions_can_be_neither_added_nor_deleted(self, two_versions, admin_user):
        client = client_for(admin_user)
        first, _second = two_versions

        assert client.get(f"{VERSIONS}add/").status_code == 403
        assert client.get(versions_url(first, "delete")).status_code == 403


class TestCompare:
    @pytest.fixture
    def settled(self, organisation, laura, bruno):
        """Resolved cases: four late parcels in logistics, two double charges in billing."""
        late = [
            "my parcel never arrived",
            "the delivery is two weeks late",
            "still waiting for my order, tracking has not moved",
            "courier lost my package",
        ]
        cases = [
            CaseFactory(subject="", message=m, department=organisation["logistics"], owner=laura)
            for m in late
        ]
        cases += [
            CaseFactory(subject="", message=m, department=organisation["billing"], owner=bruno)
            for m in ("you charged my card twice", "I want a refund of the double charge")
        ]
        Case.objects.filter(pk__in=[c.pk for c in cases]).update(status=Status.RESOLVED)
        return cases

    def test_it_compares_a_version_with_the_live_one(self, settled, starter_blob, confused_blob, admin_user):
        store(starter_blob, 1)
        confused = store(confused_blob, 2, TriageVersion.Status.REJECTED)

        response = client_for(admin_user).get(versions_url(confused, "compare"))

        assert response.status_code == 200
        comparison = response.context["comparison"]
        assert (comparison.cases, comparison.version, comparison.live_version) == (6, 2, 1)
        logistics = next(s for s in comparison.departments if s.name == "Logistics")
        assert logistics.cases == 4
        assert logistics.right == 0
        assert logistics.live_right >= 3
        assert comparison.live_right > comparison.right
        assert comparison.disagreeing >= 3
        row = next(r for r in comparison.disagreements if r.expected == "Logistics")
        assert row.this != "Logistics"
        assert f'href="{change_url(Case.objects.get(pk=row.case_id))}"' in response.text
        assert "By department" in response.text

    def test_it_is_refused_to_a_department_manager(self, settled, starter_blob, laura):
        version = store(starter_blob, 1)
        laura.user_permissions.add(
            *Permission.objects.filter(codename__in=["view_triageversion", "change_triageversion"])
        )
        client = client_for(laura)

        assert client.get(versions_url(version, "compare")).status_code == 403
        assert "Try on past cases" not in client.get(versions_url(version)).text


def test_the_department_threshold_is_editable_with_help(organisation, admin_user):
    response = client_for(admin_user).get(f"/admin/routing/department/{organisation['logistics'].pk}/change/")

    assert 'name="triage_threshold"' in response.text
    assert "0.5 means one chance in two, 0.8 four in five." in response.text
