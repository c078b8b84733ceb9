import numpy as np
import pytest
from django.core.cache import cache
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from feedback.models import CaseEvent, Status
from routing import learning
from routing.config import triage_settings
from routing.learning import forget_loaded_models, live_triage, triage_promote, triage_train
from routing.models import TriageVersion
from routing.rules import Facts
from routing.services import case_reroute, case_route
from routing.triage import TriageModel, examples_from, starter_corpus
from routing.triage.features import char_grams, fit_chars, fit_words
from routing.triage.text import prepare
from routing.triage.training import _meta
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

    def test_its_tf_idf_is_scikit_learns(self, starter_model):
        corpus = examples_from(starter_corpus())
        texts = [prepare(e.subject, e.message) for e in corpus]
        chars = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True, dtype=np.float32
        ).fit(texts)
        words = TfidfVectorizer(
            analyzer="word",
            token_pattern=r"(?u)\b\w+\b",
            lowercase=False,
            ngram_range=(1, 2),
            sublinear_tf=True,
            dtype=np.float32,
        ).fit([t + _meta(e) for t, e in zip(texts, corpus, strict=True)])
        # Messages from the corpus, and with nothing, or nothing the model knows, in them.
        items = [Facts(subject=e.subject, message=e.message) for e in corpus[:300]]
        items += [Facts(message=""), Facts(message="¡¡!!"), Facts(message="qqqqzx", subject="wvvvk")]
        asked = [prepare(i.subject, i.message) for i in items]
        expected = sparse.hstack(
            [
                chars.transform(asked),
                words.transform([t + _meta(i) for t, i in zip(asked, items, strict=True)]),
            ],
            format="csr",
        )

        assert starter_model.chars.vocabulary_ == chars.vocabulary_
        assert starter_model.words.vocabulary_ == words.vocabulary_
        assert abs(starter_model._features(items) - expected).max() < 1e-6

    def test_a_fit_set_aside_the_most_recent_examples_to_judge_on(self):
        corpus = examples_from(starter_corpus())

        model = TriageModel.train(corpus, judge_on=300)

        assert 0.8 < model.judged <= 1
        assert model.temperature != 1.0


class TestFeatures:
    @pytest.mark.parametrize("word", ["a", "ab", "abc", "abcd", "envío", "d'accord", "x" * 12])
    def test_a_word_is_cut_as_scikit_learn_cuts_it(self, word):
        analyse = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5)).build_analyzer()

        assert char_grams(word) == analyse(word)

    def test_past_the_limit_the_most_frequent_grams_are_kept_ties_in_alphabetical_order(self):
        vocabulary, rows = fit_words(["b a c", "c b", "c a"], max_features=2)

        # c: 3 times; a and b: twice each, a first.
        assert vocabulary.vocabulary_ == {"a": 0, "c": 1}
        assert rows.shape == (3, 2)

    def test_a_gram_in_one_text_only_is_left_out_of_the_char_features(self):
        vocabulary, _ = fit_chars(["pedido", "pedido roto"])

        assert " pe" in vocabulary.vocabulary_
        assert " ro" not in vocabulary.vocabulary_


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

    def test_thresholds_are_read_once_per_worker_until_a_department_changes(
        self, organisation, logistics, django_assert_num_queries
    ):
        triage_settings()
        with django_assert_num_queries(0):
            assert triage_settings().thresholds["logistics"] == 0.5

        logistics.triage_threshold = 0.9
        logistics.save()

        assert triage_settings().thresholds["logistics"] == 0.9

    def test_a_model_worse_on_the_most_recent_cases_is_kept_rejected(self, organisation, logistics, billing):
        # Older cases teach one thing; the 30 most recent (the part judged on) another,
        # which the live model learnt and the new one's twin, fitted without them, cannot know.
        for n in range(120):
            CaseFactory(
                subject="", message=f"zorblax wrangle {n}", department=logistics, status=Status.RESOLVED
            )
        for n in range(30):
            CaseFactory(
                subject="", message=f"quintuple frobnication {n}", department=billing, status=Status.RESOLVED
            )
        first = triage_train()

        second = triage_train()

        assert second.status == TriageVersion.Status.REJECTED
        assert second.evaluation["holdout"] == 30
        assert second.evaluation["candidate_accuracy"] < second.evaluation["live_accuracy"] == 1.0
        first.refresh_from_db()
        assert first.status == TriageVersion.Status.LIVE

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
        assert second.status == TriageVersion.Status.LIVE
        assert live.version == second.version > first.version
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
