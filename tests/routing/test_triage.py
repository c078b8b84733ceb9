import pytest
from django.core.cache import cache
from scipy import sparse

from feedback.models import CaseEvent
from routing import learning
from routing.learning import forget_loaded_models, live_triage, triage_promote, triage_train
from routing.models import TriageVersion
from routing.rules import Facts
from routing.services import case_reroute, case_route
from routing.triage import TriageModel, starter_corpus
from routing.triage.model import _meta
from tests.factories import CaseFactory


@pytest.fixture(scope="module")
def starter_model() -> TriageModel:
    return learning.starter_model()


@pytest.fixture(autouse=True)
def _fresh_model_cache():
    forget_loaded_models()
    cache.clear()
    yield
    forget_loaded_models()


class TestModel:
    @pytest.mark.parametrize(
        ("message", "department"),
        [
            ("not dlvd after 1 wk", "logistics"),
            ("aún no tengo mi paquete después de 12 días", "logistics"),
            ("NO HACEN LA DEVOLUCIÓN", "billing"),
            ("me cobraron 2 veces el mismo pedido", "billing"),
        ],
    )
    def test_it_understands_messages_written_as_customers_write(self, starter_model, message, department):
        prediction = starter_model.predict_one(Facts(message=message, language="es"))

        assert prediction.department == department
        assert 0 < prediction.confidence <= 1
        assert prediction.words

    def test_a_stored_model_predicts_the_same(self, starter_model):
        facts = Facts(message="the app crashes every time I try to pay")
        loaded = TriageModel.from_bytes(starter_model.to_bytes())

        assert loaded.predict_one(facts).probabilities == starter_model.predict_one(facts).probabilities

    def test_its_own_tf_idf_equals_the_fitted_vectorisers(self, starter_model):
        items = [Facts(subject=i["subject"], message=i["message"]) for i in starter_corpus()[:300]]
        texts, features = starter_model._features(items)
        with_meta = [t + _meta(i) for t, i in zip(texts, items, strict=True)]
        expected = sparse.hstack(
            [starter_model.chars.transform(texts), starter_model.words.transform(with_meta)], format="csr"
        )

        assert abs(features - expected).max() < 1e-6


class TestRouting:
    def test_with_no_rule_the_live_model_routes_and_the_timeline_says_why(self, organisation, laura):
        triage_train()
        case = CaseFactory(subject="", message="still no parcel after 2 weeks, tracking hasn't moved")

        case_route(case_id=case.pk)

        case.refresh_from_db()
        assert case.department.slug == "logistics"
        assert case.owner == laura
        assert case.decision["triage"]["decided_by"] == "model"
        event = case.events.get(kind=CaseEvent.Kind.TRIAGED)
        assert "logistics" in event.text

    def test_below_the_threshold_the_case_goes_to_the_fallback_with_the_suggestion(
        self, organisation, logistics, carmen
    ):
        logistics.triage_threshold = 1.0
        logistics.save()
        triage_train()
        case = CaseFactory(subject="", message="still no parcel after 2 weeks, tracking hasn't moved")

        case_route(case_id=case.pk)

        case.refresh_from_db()
        assert case.owner == carmen
        assert case.decision["triage"]["suggestion"] == "logistics"

    def test_a_reroute_is_learnt_by_the_next_model(
        self, organisation, billing, laura, django_capture_on_commit_callbacks
    ):
        first = triage_train()
        text = "zorblax quintuple frobnication at the wibble desk"
        cases = [CaseFactory(subject="", message=f"{text} {n}") for n in range(3)]
        for case in cases:
            case_route(case_id=case.pk)
            case.refresh_from_db()
            case_reroute(case=case, department=billing, actor=laura)
        before = live_triage().model.predict_one(Facts(message=text)).probabilities["billing"]

        with django_capture_on_commit_callbacks(execute=True):
            second = triage_train()

        forget_loaded_models()
        live = live_triage()
        assert second.status == TriageVersion.Status.LIVE and live.version == second.version > first.version
        assert second.corrections == 3
        assert live.model.predict_one(Facts(message=text)).probabilities["billing"] > before

    def test_an_older_version_can_be_made_live_again(self, organisation, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            first = triage_train()
            second = triage_train()
            triage_promote(version=first)

        first.refresh_from_db()
        second.refresh_from_db()
        assert (first.status, second.status) == (TriageVersion.Status.LIVE, TriageVersion.Status.RETIRED)
        assert live_triage().version == first.version
