"""Each worker keeps its compiled rules until any rule changes anywhere."""

from unittest import mock

import pytest
from django.core.cache import cache

from routing.config import (
    RULESET_VERSION_KEY,
    active_ruleset,
    forget_compiled_ruleset,
    ruleset,
    ruleset_changed,
)
from routing.models import Tag
from routing.rules import Facts

from ..factories import RuleConditionFactory, RuleFactory, TagFactory


@pytest.fixture
def rule(organisation):
    rule = RuleFactory(name="Late", order=10, set_department=organisation["logistics"])
    rule.add_tags.set(Tag.objects.filter(slug="delivery-delay"))
    RuleConditionFactory(rule=rule, field="message", operator="contains_any", value="retraso")
    return rule


def tags_for(message: str) -> list[str]:
    return active_ruleset().evaluate(Facts(message=message)).tags


class TestActiveRuleset:
    def test_an_unchanged_rule_set_costs_no_query(self, rule, django_assert_num_queries):
        first = active_ruleset()
        with django_assert_num_queries(0):
            assert active_ruleset() is first

    def test_editing_a_condition_is_seen_on_the_next_call(self, rule):
        assert tags_for("retraso") == ["delivery-delay"]
        condition = rule.conditions.get()
        condition.value = "demora"
        condition.save()

        assert tags_for("retraso") == []
        assert tags_for("demora") == ["delivery-delay"]

    def test_disabling_or_deleting_a_rule_is_seen_on_the_next_call(self, rule):
        assert len(active_ruleset()) == 1
        rule.enabled = False
        rule.save()
        assert len(active_ruleset()) == 0
        rule.enabled = True
        rule.save()
        assert len(active_ruleset()) == 1
        rule.delete()
        assert len(active_ruleset()) == 0

    def test_changing_a_rules_tags_is_seen_on_the_next_call(self, rule):
        assert tags_for("retraso") == ["delivery-delay"]
        rule.add_tags.add(TagFactory(slug="late"))

        assert tags_for("retraso") == ["delivery-delay", "late"]

    def test_renaming_a_department_slug_is_seen_on_the_next_call(self, rule, organisation):
        logistics = organisation["logistics"]
        logistics.slug = "supply-chain"
        logistics.save()

        assert active_ruleset().evaluate(Facts(message="retraso")).department == "supply-chain"

    def test_a_change_made_by_another_process_is_seen_after_its_bump(self, rule):
        """Another process commits an edit (no signal here) and bumps the version."""
        assert tags_for("retraso") == ["delivery-delay"]
        rule.conditions.update(value="demora")
        assert tags_for("demora") == [], "no bump yet: this worker keeps its compiled rules"

        ruleset_changed()

        assert tags_for("demora") == ["delivery-delay"]

    def test_a_fresh_worker_compiles_the_current_rules(self, rule):
        before = active_ruleset()
        forget_compiled_ruleset()

        after = active_ruleset()
        assert after is not before
        assert len(after) == 1

    def test_the_version_is_bumped_again_after_commit(self, rule, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            rule.name = "Late delivery"
            rule.save()
            during = cache.get(RULESET_VERSION_KEY)

        assert ruleset_changed in callbacks
        assert cache.get(RULESET_VERSION_KEY) != during


class TestCacheOutage:
    def test_an_unreachable_cache_falls_back_to_the_database(self, rule):
        with mock.patch.object(ruleset.cache, "get", side_effect=ConnectionError("redis down")):
            assert tags_for("retraso") == ["delivery-delay"]
            rule.conditions.update(value="demora")
            rule.save()  # bumps updated_at, which the database check sees
            assert tags_for("demora") == ["delivery-delay"]

    def test_saving_a_rule_works_while_the_cache_is_down(self, rule):
        with mock.patch.object(ruleset.cache, "set", side_effect=ConnectionError("redis down")):
            rule.name = "Still saved"
            rule.save()

        rule.refresh_from_db()
        assert rule.name == "Still saved"
