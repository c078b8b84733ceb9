"""Rule history: every change keeps the previous version, and any version can be restored."""

import pytest
from django.conf import settings
from django.test import Client

from cxportal.errors import ApplicationError
from routing.models import Priority, Rule, RuleVersion
from routing.rulefile import rule_to_dict
from routing.transfer import rule_restore
from routing.versions import rule_changes, rule_save_version, rule_set_enabled

from ..factories import RuleConditionFactory, RuleFactory, TagFactory, UserFactory


@pytest.fixture
def rule(db) -> Rule:
    rule = RuleFactory(name="Late delivery", order=10, set_priority=Priority.HIGH)
    RuleConditionFactory(rule=rule, value="retras*")
    return rule


@pytest.fixture
def client(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def form_data(rule: Rule, **overrides) -> dict:
    """The rule's change form as the browser posts it, unchanged unless overridden."""
    conditions = list(rule.conditions.all())
    data = {
        "name": rule.name,
        "order": rule.order,
        "add_tags": [t.pk for t in rule.add_tags.all()],
        "set_priority": rule.set_priority,
        "set_department": "",
        "conditions-TOTAL_FORMS": len(conditions),
        "conditions-INITIAL_FORMS": len(conditions),
        "conditions-MIN_NUM_FORMS": 0,
        "conditions-MAX_NUM_FORMS": 1000,
    }
    if rule.enabled:
        data["enabled"] = "on"
    for i, c in enumerate(conditions):
        for name in ("id", "group", "field", "operator", "value"):
            data[f"conditions-{i}-{name}"] = getattr(c, name)
        data[f"conditions-{i}-rule"] = rule.pk
    return data | overrides


class TestSaveVersion:
    def test_it_keeps_the_previous_state_and_says_what_changed(self, rule, admin_user):
        before = rule_to_dict(rule)
        rule.set_priority = Priority.URGENT
        rule.save()
        RuleConditionFactory(rule=rule, value="tarde*")

        version = rule_save_version(rule=rule, actor=admin_user, before=before)

        assert version.version == 1
        assert version.snapshot == before
        assert version.changed_by == admin_user
        assert version.summary == "conditions: +1 \N{MINUS SIGN}0; set_priority: high → urgent"
        rule.refresh_from_db()
        assert rule.version == 2

    def test_nothing_changed_keeps_the_version(self, rule, admin_user):
        before = rule_to_dict(rule)
        rule.save()

        assert rule_save_version(rule=rule, actor=admin_user, before=before) is None
        rule.refresh_from_db()
        assert rule.version == 1
        assert not RuleVersion.objects.exists()

    def test_the_summary_lists_added_and_removed_tags(self):
        before = {"add_tags": ["refund"], "conditions": []}
        after = {"add_tags": ["billing-error"], "conditions": []}

        assert rule_changes(before, after) == "add_tags: +billing-error \N{MINUS SIGN}refund"


class TestAdminEdit:
    def test_editing_a_rule_stores_the_previous_version(self, client, rule, admin_user):
        response = client.post(
            f"/admin/routing/rule/{rule.pk}/change/", form_data(rule, set_priority=Priority.URGENT)
        )

        assert response.status_code == 302
        version = RuleVersion.objects.get()
        assert version.version == 1
        assert version.snapshot["set_priority"] == "high"
        assert version.snapshot["conditions"] == [
            {"group": "any", "field": "text", "operator": "contains_any", "value": "retras*"}
        ]
        assert version.changed_by == admin_user
        assert version.summary == "set_priority: high → urgent"
        rule.refresh_from_db()
        assert rule.version == 2

    def test_adding_a_condition_is_summarised(self, client, rule):
        data = form_data(rule)
        data |= {
            "conditions-TOTAL_FORMS": 2,
            "conditions-1-group": "any",
            "conditions-1-field": "text",
            "conditions-1-operator": "contains_any",
            "conditions-1-value": "late",
        }

        client.post(f"/admin/routing/rule/{rule.pk}/change/", data)

        assert RuleVersion.objects.get().summary == "conditions: +1 \N{MINUS SIGN}0"

    def test_the_change_page_lists_previous_versions_with_a_restore_button(self, client, rule, admin_user):
        before = rule_to_dict(rule)
        rule.set_priority = Priority.URGENT
        rule.save()
        version = rule_save_version(rule=rule, actor=admin_user, before=before)

        response = client.get(f"/admin/routing/rule/{rule.pk}/change/")

        assert "set_priority: high → urgent" in response.text
        assert f"/admin/routing/rule/{rule.pk}/versions/{version.pk}/restore/" in response.text
        assert "Restore this version" in response.text


class TestRestore:
    @pytest.fixture
    def edited(self, rule, admin_user) -> RuleVersion:
        before = rule_to_dict(rule)
        rule.set_priority = Priority.URGENT
        rule.add_tags.add(TagFactory(slug="delivery-delay"))
        rule.save()
        return rule_save_version(rule=rule, actor=admin_user, before=before)

    def test_restoring_brings_the_old_rule_back_as_a_new_version(self, rule, edited, admin_user):
        rule_restore(version=edited, actor=admin_user)

        rule.refresh_from_db()
        assert rule.set_priority == Priority.HIGH
        assert list(rule.add_tags.all()) == []
        assert rule.version == 3
        newest = rule.versions.first()
        assert newest.version == 2
        assert newest.snapshot["set_priority"] == "urgent"
        assert newest.summary.startswith("restored version 1; ")

    def test_the_restore_view_asks_then_restores(self, client, rule, edited):
        url = f"/admin/routing/rule/{rule.pk}/versions/{edited.pk}/restore/"

        page = client.get(url)
        assert page.status_code == 200
        assert "set_priority: urgent → high" in page.text
        rule.refresh_from_db()
        assert rule.set_priority == Priority.URGENT

        response = client.post(url)

        assert response.status_code == 302
        rule.refresh_from_db()
        assert rule.set_priority == Priority.HIGH
        assert rule.version == 3

    def test_a_version_naming_a_deleted_user_is_refused_and_changes_nothing(self, rule, admin_user):
        watcher = UserFactory(username="gone")
        rule.add_watchers.add(watcher)
        before = rule_to_dict(rule)
        rule.add_watchers.clear()
        version = rule_save_version(rule=rule, actor=admin_user, before=before)
        watcher.delete()

        with pytest.raises(ApplicationError) as error:
            rule_restore(version=version, actor=admin_user)

        assert error.value.code == "unknown_user"
        rule.refresh_from_db()
        assert rule.version == 2


def test_switching_a_rule_off_is_a_version(rule, admin_user):
    assert rule_set_enabled(rule=rule, enabled=False, actor=admin_user)

    rule.refresh_from_db()
    assert not rule.enabled
    assert rule.version == 2
    assert rule.versions.get().summary == "enabled: True → False"
