"""The README's triage figures, held so they cannot silently drop.

The demo rules and the starter model, as a new installation gets them, on
the held-out set ``tests/data/triage_heldout``: 480 messages written apart
from the starter corpus, which neither the rules nor the model were tuned
on (``manage.py evaluate_triage --demo`` prints the whole table).
"""

import pytest

from routing.learning import starter_model
from routing.management.commands.evaluate_triage import HELDOUT
from routing.quality import demo_ruleset
from routing.rules.text import normalize
from routing.triage.corpus import problems, read_folder, starter_corpus
from routing.triage.evaluation import HYBRID, MODEL, RULES, compare

LANGUAGES = ("es", "en")
# Measured: rules alone 68.1 %, hybrid tag macro-F1 0.86 (README); a little room for noise.
RULES_FLOOR = 0.65
TAG_F1_FLOOR = 0.80


@pytest.fixture(scope="module")
def heldout() -> list[dict]:
    return read_folder(HELDOUT)


@pytest.fixture(scope="module")
def report(heldout):
    return compare(heldout, ruleset=demo_ruleset(), model=starter_model(), fallback="customer-service")


def test_the_held_out_set_is_apart_from_the_starter_corpus(heldout):
    def key(item: dict) -> str:
        return " ".join(normalize(f"{item.get('subject', '')} {item['message']}").split())

    corpus = starter_corpus()

    assert len(heldout) >= 400
    assert problems(heldout) == []
    assert {key(i) for i in heldout}.isdisjoint({key(i) for i in corpus})
    assert {i["id"] for i in heldout}.isdisjoint({i["id"] for i in corpus})
    for language in LANGUAGES:
        departments = {i["department"] for i in heldout if i["language"] == language}
        assert len(departments) == 6, language


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_hybrid_routes_nine_messages_in_ten_in_each_language(report, language):
    assert report.scores[HYBRID].accuracy(language) >= 0.90


def test_the_hybrid_serves_small_departments_as_well_as_big_ones(report):
    assert report.scores[HYBRID].balanced_accuracy() >= 0.85
    for department in report.departments:
        assert report.scores[HYBRID].accuracy(department=department) >= 0.80, department


def test_rules_alone_route_far_more_than_the_old_rules(report):
    # The rules before the learned model: 39.8 % on this set.
    assert report.scores[RULES].accuracy() >= RULES_FLOOR


def test_the_model_is_right_about_as_often_as_it_says(report):
    assert report.scores[MODEL].accuracy() >= 0.90
    assert report.calibration_error() <= 0.06


def test_tags_are_found_in_both_languages(report):
    assert report.scores[HYBRID].tag_macro_f1() >= TAG_F1_FLOOR
