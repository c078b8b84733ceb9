"""The demo rules on a labelled sample: how often they tag and route correctly.

The sample (tests/data/labelled_messages.json) is written by hand, half in
Spanish and half in English; its ``about`` notes say how it is labelled.
"""

from pathlib import Path

import pytest

from routing import demo
from routing.quality import demo_ruleset, evaluate, format_table, load_labelled

# Agreed quality bar for the demo rules. Below it, a demo gives a wrong idea
# of what keyword rules can do; above it we would be fitting the sample.
PRECISION = 0.85
RECALL = 0.80
DEPARTMENT_ACCURACY = 0.85

# Where keywords cannot separate a topic from the words a customer uses for
# something else, the bar is lower and says why.
PRECISION_BY_TAG = {
    # "no funciona" / "not working" is said of the shop's card reader or a
    # web page as often as of a product: the words cannot tell what broke.
    "product-defect": 0.80,
    # Customers name the store to say where something happened ("returned it
    # in store", "wrong price at the till"): the place is not always the topic.
    "store-experience": 0.80,
}

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "labelled_messages.json"
RULE_TAGS = [tag for rule in demo.RULES for tag in rule[4]]
DEPARTMENT_BY_TAG = {tag: rule[5] for rule in sorted(demo.RULES, key=lambda r: r[1]) for tag in rule[4]}


@pytest.fixture(scope="module")
def items():
    return load_labelled(SAMPLE)


@pytest.fixture(scope="module")
def report(items):
    return evaluate(demo_ruleset(), items)


class TestTheSample:
    def test_it_is_large_and_in_both_languages(self, items):
        languages = [item["language"] for item in items]
        assert len(items) >= 300
        assert languages.count("es") >= 0.4 * len(items)
        assert languages.count("en") >= 0.4 * len(items)

    def test_it_covers_every_demo_tag_several_times(self, items):
        for tag in RULE_TAGS:
            assert sum(tag in item["expected_tags"] for item in items) >= 15, tag

    def test_it_has_messages_for_the_fallback(self, items):
        assert sum(not item["expected_tags"] for item in items) >= 40

    def test_labels_name_demo_tags_and_no_rule_adds_other(self, items):
        known = {slug for slug, _name in demo.TAGS} - {"other"}
        for item in items:
            assert set(item["expected_tags"]) <= known, item["id"]

    def test_the_expected_department_follows_rule_order(self, items):
        # The first matching rule that sets a department wins; none -> fallback.
        for item in items:
            ordered = sorted(item["expected_tags"], key=RULE_TAGS.index)
            departments = [DEPARTMENT_BY_TAG[tag] for tag in ordered if DEPARTMENT_BY_TAG[tag]]
            expected = departments[0] if departments else demo.FALLBACK
            assert item["expected_department"] == expected, item["id"]

    def test_ids_are_unique(self, items):
        ids = [item["id"] for item in items]
        assert len(ids) == len(set(ids))


class TestDemoRuleQuality:
    @pytest.mark.parametrize("tag", RULE_TAGS)
    def test_each_tag_is_precise_enough(self, report, tag):
        wanted = PRECISION_BY_TAG.get(tag, PRECISION)
        assert report.tags[tag].precision >= wanted, format_table(report, misses=True)

    @pytest.mark.parametrize("tag", RULE_TAGS)
    def test_each_tag_finds_enough_of_its_messages(self, report, tag):
        assert report.tags[tag].recall >= RECALL, format_table(report, misses=True)

    def test_cases_reach_the_right_department(self, report):
        assert report.department_accuracy >= DEPARTMENT_ACCURACY, format_table(report, misses=True)

    def test_the_table_lists_every_tag_and_the_department_accuracy(self, report):
        table = format_table(report)
        assert all(tag in table for tag in RULE_TAGS)
        assert "department accuracy" in table
