"""Managers draft rules; only administrators (``routing.publish_rule``) put them live.

Any enabled rule can divert any team's cases, so enabling, disabling,
changing or deleting a live rule and importing rules are refused to the
demo's Managers — in the admin and in the services behind it.
"""

import io
import json

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.test import Client

from routing.management.commands.seed_demo import ROLE_PERMISSIONS
from routing.models import Rule, RuleTrial
from routing.rulefile import rule_to_dict
from routing.transfer import rule_restore, rules_export, rules_import_by
from routing.versions import rule_set_enabled

from ..factories import RuleConditionFactory, RuleFactory
from .test_rule_trial_scope import as_manager

CHANGELIST_URL = "/admin/routing/rule/"
ADD_URL = "/admin/routing/rule/add/"
IMPORT_URL = "/admin/routing/rule/import/"


def change_url(rule: Rule) -> str:
    return f"/admin/routing/rule/{rule.pk}/change/"


def form_data(rule: Rule | None = None, **overrides) -> dict:
    """The rule form as the browser posts it: ``rule`` unchanged, or a new rule."""
    conditions = list(rule.conditions.all()) if rule else []
    data = {
        "name": rule.name if rule else "Late delivery to billing",
        "order": rule.order if rule else 1,
        "set_priority": rule.set_priority if rule else "high",
        "set_department": "",
        "conditions-TOTAL_FORMS": len(conditions) or 1,
        "conditions-INITIAL_FORMS": len(conditions),
        "conditions-MIN_NUM_FORMS": 0,
        "conditions-MAX_NUM_FORMS": 1000,
    }
    if rule and rule.enabled:
        data["enabled"] = "on"
    for i, c in enumerate(conditions):
        for name in ("id", "group", "field", "operator", "value"):
            data[f"conditions-{i}-{name}"] = getattr(c, name)
        data[f"conditions-{i}-rule"] = rule.pk
    if not conditions:
        data |= {
            "conditions-0-group": "any",
            "conditions-0-field": "text",
            "conditions-0-operator": "contains_any",
            "conditions-0-value": "retraso",
        }
    return data | overrides


def rules_file(rule: Rule, name: str = "Imported") -> dict:
    """An exported rules file holding a live copy of ``rule`` named ``name``."""
    data = rules_export()
    data["rules"] = [rule_to_dict(rule) | {"name": name, "enabled": True}]
    return data


def upload(data: dict) -> io.BytesIO:
    file = io.BytesIO(json.dumps(data).encode())
    file.name = "rules.json"
    return file


def rule_with_condition(**fields) -> Rule:
    rule = RuleFactory(name=fields.pop("name", "Late delivery"), set_priority="high", **fields)
    RuleConditionFactory(rule=rule, value="retraso")
    return rule


@pytest.fixture
def manager(organisation, bruno) -> Client:
    """bruno, billing's owner, with the demo Managers' permissions (and deleting rules, to test it)."""
    client = as_manager(bruno)
    bruno.user_permissions.add(Permission.objects.get(codename="delete_rule"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def live(db) -> Rule:
    return rule_with_condition(name="Late delivery", enabled=True)


@pytest.fixture
def draft(db) -> Rule:
    return rule_with_condition(name="Billing draft", enabled=False)


def test_no_demo_group_may_publish_rules():
    assert not any("routing.publish_rule" in perms for perms in ROLE_PERMISSIONS.values())


class TestManagersDraft:
    def test_a_new_rule_is_saved_disabled_even_when_enabled_is_posted(self, manager):
        response = manager.post(ADD_URL, form_data(enabled="on", override_department="on"))

        assert response.status_code == 302
        assert Rule.objects.get().enabled is False

    def test_the_add_form_shows_enabled_off_and_locked(self, manager):
        field = manager.get(ADD_URL).context["adminform"].form.fields["enabled"]

        assert field.disabled

    def test_a_draft_can_be_edited_but_not_switched_on(self, manager, draft):
        response = manager.post(change_url(draft), form_data(draft, name="Billing draft v2", enabled="on"))

        assert response.status_code == 302
        draft.refresh_from_db()
        assert (draft.name, draft.enabled, draft.version) == ("Billing draft v2", False, 2)

    def test_a_draft_can_be_tried_on_past_cases(self, manager, draft):
        response = manager.post(f"/admin/routing/rule/{draft.pk}/try/", form_data(draft, trial_days=30))

        assert response.status_code == 302
        assert RuleTrial.objects.get().rule == draft

    def test_a_draft_can_be_deleted(self, manager, draft):
        manager.post(f"/admin/routing/rule/{draft.pk}/delete/", {"post": "yes"})

        assert not Rule.objects.exists()


class TestManagersCannotTouchLiveRules:
    def test_a_live_rule_is_read_only(self, manager, live):
        page = manager.get(change_url(live))
        response = manager.post(change_url(live), form_data(live, override_department="on", order=1))

        assert page.status_code == 200
        assert 'name="_save"' not in page.text
        assert response.status_code == 403
        live.refresh_from_db()
        assert (live.order, live.override_department, live.version) == (100, False, 1)

    def test_a_live_rule_cannot_be_deleted(self, manager, live):
        response = manager.post(f"/admin/routing/rule/{live.pk}/delete/", {"post": "yes"})
        bulk = manager.post(
            CHANGELIST_URL, {"action": "delete_selected", "_selected_action": [live.pk], "post": "yes"}
        )

        assert response.status_code == 403
        assert bulk.status_code == 403
        assert Rule.objects.filter(pk=live.pk).exists()

    @pytest.mark.parametrize("action", ["enable_rules", "disable_rules"])
    def test_the_bulk_switches_are_refused(self, manager, live, draft, action):
        manager.post(CHANGELIST_URL, {"action": action, "_selected_action": [live.pk, draft.pk]})

        assert list(Rule.objects.order_by("pk").values_list("enabled", flat=True)) == [True, False]

    def test_the_bulk_switches_are_not_offered(self, manager, live):
        actions = manager.get(CHANGELIST_URL).context["action_form"].fields["action"].choices

        assert {"enable_rules", "disable_rules"}.isdisjoint(name for name, _label in actions)

    def test_a_live_rule_cannot_be_reordered_from_the_list(self, manager, live, draft):
        data = {
            "form-TOTAL_FORMS": 2,
            "form-INITIAL_FORMS": 2,
            "form-MIN_NUM_FORMS": 0,
            "form-MAX_NUM_FORMS": 1000,
            "form-0-id": live.pk,
            "form-0-order": 1,
            "form-1-id": draft.pk,
            "form-1-order": 5,
            "_save": "Save",
        }

        manager.post(CHANGELIST_URL, data)

        live.refresh_from_db()
        draft.refresh_from_db()
        assert (live.order, draft.order) == (100, 5)

    def test_a_version_that_was_live_cannot_be_restored(self, manager, live, admin_user):
        rule_set_enabled(rule=live, enabled=False, actor=admin_user)
        version = live.versions.get()

        response = manager.post(f"/admin/routing/rule/{live.pk}/versions/{version.pk}/restore/")

        assert response.status_code == 403
        live.refresh_from_db()
        assert not live.enabled

    def test_rules_cannot_be_imported(self, manager, live):
        assert manager.get(IMPORT_URL).status_code == 403
        assert (
            manager.post(IMPORT_URL, {"file": upload(rules_file(live)), "replace": "on"}).status_code == 403
        )
        assert list(Rule.objects.values_list("name", flat=True)) == ["Late delivery"]
        assert IMPORT_URL not in manager.get(CHANGELIST_URL).text


class TestTheServicesRefuseManagersToo:
    def test_switching_a_rule(self, organisation, bruno, live, draft):
        as_manager(bruno)

        for rule, enabled in ((draft, True), (live, False)):
            with pytest.raises(PermissionDenied):
                rule_set_enabled(rule=rule, enabled=enabled, actor=bruno)

        assert list(Rule.objects.order_by("pk").values_list("enabled", flat=True)) == [True, False]

    def test_importing(self, organisation, bruno, live):
        as_manager(bruno)

        with pytest.raises(PermissionDenied):
            rules_import_by(actor=bruno, data=rules_file(live), replace=True)

        assert list(Rule.objects.values_list("name", flat=True)) == ["Late delivery"]

    def test_restoring_a_live_version(self, organisation, bruno, live, admin_user):
        as_manager(bruno)
        rule_set_enabled(rule=live, enabled=False, actor=admin_user)

        with pytest.raises(PermissionDenied):
            rule_restore(version=live.versions.get(), actor=bruno)


class TestAdministratorsPublish:
    @pytest.fixture
    def administrator(self, organisation, luis) -> Client:
        """Not a superuser: a manager who was given ``publish_rule``."""
        client = as_manager(luis)
        luis.user_permissions.add(Permission.objects.get(codename="publish_rule"))
        return client

    def test_an_administrator_can_switch_a_draft_on_in_the_form(self, administrator, draft):
        response = administrator.post(change_url(draft), form_data(draft, enabled="on"))

        assert response.status_code == 302
        draft.refresh_from_db()
        assert draft.enabled

    def test_an_administrator_can_edit_a_live_rule(self, administrator, live):
        response = administrator.post(change_url(live), form_data(live, order=1))

        assert response.status_code == 302
        live.refresh_from_db()
        assert (live.order, live.enabled, live.version) == (1, True, 2)

    def test_the_superuser_can_enable_in_bulk_and_import(self, admin_client, draft):
        admin_client.post(CHANGELIST_URL, {"action": "enable_rules", "_selected_action": [draft.pk]})
        draft.refresh_from_db()

        response = admin_client.post(IMPORT_URL, {"file": upload(rules_file(draft))})

        assert draft.enabled
        assert response.status_code == 302
        assert Rule.objects.get(name="Imported").enabled
        assert IMPORT_URL in admin_client.get(CHANGELIST_URL).text

    def test_an_administrator_can_disable_in_bulk(self, administrator, live):
        administrator.post(CHANGELIST_URL, {"action": "disable_rules", "_selected_action": [live.pk]})

        live.refresh_from_db()
        assert not live.enabled
