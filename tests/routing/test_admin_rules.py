"""Editing rules in the admin: invalid rules are refused with the engine's message."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from routing.models import Rule, RuleCondition, RuleTrial, Tag
from routing.rulefile import rule_to_dict
from routing.selectors import rule_spec
from routing.versions import rule_set_enabled

from ..factories import CaseFactory, RuleConditionFactory, RuleFactory, TagFactory, UserFactory

ADD_URL = "/admin/routing/rule/add/"


def change_url(rule: Rule) -> str:
    return f"/admin/routing/rule/{rule.pk}/change/"


@pytest.fixture
def client(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def delivery_delay(db) -> Tag:
    return TagFactory(slug="delivery-delay")


def rule_data(*conditions: dict, initial: int = 0, **overrides) -> dict:
    """The rule form as the browser posts it, with its conditions inline."""
    data = {
        "name": "Late delivery",
        "order": 10,
        "enabled": "on",
        "add_tags": [],
        "set_priority": "high",
        "set_department": "",
        "conditions-TOTAL_FORMS": len(conditions),
        "conditions-INITIAL_FORMS": initial,
        "conditions-MIN_NUM_FORMS": 0,
        "conditions-MAX_NUM_FORMS": 1000,
    }
    for i, condition in enumerate(conditions):
        for name, value in condition.items():
            data[f"conditions-{i}-{name}"] = value
    return data | overrides


def condition(**overrides) -> dict:
    return {"group": "any", "field": "text", "operator": "contains_any", "value": "retras*, late"} | overrides


def existing(rule: Rule) -> list[dict]:
    return [
        {
            "id": c.pk,
            "rule": rule.pk,
            "group": c.group,
            "field": c.field,
            "operator": c.operator,
            "value": c.value,
        }
        for c in rule.conditions.all()
    ]


def condition_errors(response) -> dict:
    formset = response.context["inline_admin_formsets"][0].formset
    return {
        field: [(e.code, str(e.message)) for e in errors.as_data()]
        for form in formset.forms
        for field, errors in form.errors.items()
    }


class TestConditionValidation:
    def test_a_valid_rule_is_saved_at_version_one(self, client):
        response = client.post(ADD_URL, rule_data(condition()))

        assert response.status_code == 302
        rule = Rule.objects.get()
        assert rule.version == 1
        assert list(rule.conditions.values_list("field", "operator", "value")) == [
            ("text", "contains_any", "retras*, late")
        ]

    def test_a_none_of_condition_is_saved_with_its_group(self, client):
        response = client.post(
            ADD_URL,
            rule_data(
                condition(value="falta el, faltan"),
                condition(group="none", value="falta el ticket, hace falta"),
            ),
        )

        assert response.status_code == 302
        rule = Rule.objects.get()
        assert list(rule.conditions.values_list("group", "value")) == [
            ("any", "falta el, faltan"),
            ("none", "falta el ticket, hace falta"),
        ]
        assert rule_spec(rule).none_of == (("text", "contains_any", "falta el ticket, hace falta"),)

    def test_the_none_of_group_is_offered(self, client):
        response = client.get(ADD_URL)

        assert '<option value="none">None of</option>' in response.text

    def test_it_refuses_a_none_of_condition_with_a_bad_regular_expression(self, client):
        response = client.post(
            ADD_URL, rule_data(condition(), condition(group="none", operator="regex", value="(ticket"))
        )

        assert response.status_code == 200
        [(code, message)] = condition_errors(response)["value"]
        assert code == "bad_regex"
        assert message.startswith("Invalid regular expression: ")
        assert message in response.text
        assert not Rule.objects.exists()

    def test_it_refuses_an_unknown_field(self, client):
        response = client.post(ADD_URL, rule_data(condition(field="colour")))

        assert response.status_code == 200
        assert condition_errors(response) == {"field": [("unknown_field", "Unknown field “colour”.")]}
        assert "Unknown field “colour”." in response.text
        assert not Rule.objects.exists()

    def test_it_refuses_an_operator_that_does_not_fit_the_field(self, client):
        response = client.post(ADD_URL, rule_data(condition(field="days_late", operator="contains_any")))

        message = "“contains any of” cannot be used with Days late (versus the promised delivery date)."
        assert condition_errors(response) == {"operator": [("bad_operator", message)]}
        assert message in response.text
        assert not Rule.objects.exists()

    def test_it_refuses_a_bad_regular_expression(self, client):
        response = client.post(ADD_URL, rule_data(condition(operator="regex", value="(retraso")))

        [(code, message)] = condition_errors(response)["value"]
        assert code == "bad_regex"
        assert message.startswith("Invalid regular expression: ")
        assert "Invalid regular expression: " in response.text
        assert not Rule.objects.exists()

    def test_it_refuses_a_value_that_is_not_a_number(self, client):
        response = client.post(ADD_URL, rule_data(condition(field="days_late", operator="gt", value="tres")))

        assert condition_errors(response) == {"value": [("bad_number", "“tres” is not a number.")]}

    def test_it_refuses_a_rule_without_actions(self, client):
        response = client.post(ADD_URL, rule_data(condition(), set_priority=""))

        assert response.status_code == 200
        errors = response.context["adminform"].form.non_field_errors().as_data()
        assert [e.code for e in errors] == ["no_actions"]
        assert "A rule must do something: add tags, set a priority or a department." in response.text
        assert not Rule.objects.exists()

    def test_tags_alone_are_an_action(self, client, delivery_delay):
        response = client.post(ADD_URL, rule_data(condition(), set_priority="", add_tags=[delivery_delay.pk]))

        assert response.status_code == 302
        assert list(Rule.objects.get().add_tags.all()) == [delivery_delay]

    def test_fields_and_operators_are_offered_as_choices(self, client):
        response = client.get(ADD_URL)

        assert (
            '<option value="days_late">Days late (versus the promised delivery date)</option>'
            in response.text
        )
        assert '<option value="contains_any" selected>contains any of</option>' in response.text

    def test_a_stored_unknown_field_is_shown_not_replaced(self, client):
        rule = RuleFactory(set_priority="high")
        RuleConditionFactory(rule=rule, field="colour")

        response = client.get(change_url(rule))

        assert '<option value="colour" selected>colour</option>' in response.text


class TestVersion:
    @pytest.fixture
    def rule(self, db) -> Rule:
        rule = RuleFactory(name="Late delivery", order=10, set_priority="high")
        RuleConditionFactory(rule=rule, value="retras*")
        return rule

    def test_editing_a_condition_increments_the_version(self, client, rule):
        [cond] = existing(rule)

        response = client.post(change_url(rule), rule_data(cond | {"value": "retras*, tarde*"}, initial=1))

        assert response.status_code == 302
        rule.refresh_from_db()
        assert rule.version == 2
        assert rule.conditions.get().value == "retras*, tarde*"

    def test_editing_the_rule_increments_the_version(self, client, rule):
        client.post(change_url(rule), rule_data(*existing(rule), initial=1, set_priority="urgent"))

        rule.refresh_from_db()
        assert rule.version == 2
        assert rule.set_priority == "urgent"

    def test_deleting_a_condition_increments_the_version(self, client, rule):
        [cond] = existing(rule)

        client.post(change_url(rule), rule_data(cond | {"DELETE": "on"}, initial=1))

        rule.refresh_from_db()
        assert rule.version == 2
        assert not RuleCondition.objects.exists()

    def test_an_untouched_blank_condition_row_is_ignored(self, client, rule):
        # What a browser posts for the inline's extra row: its selects' first options.
        blank = {"rule": rule.pk, "group": "all", "field": "text", "operator": "contains_any", "value": ""}
        response = client.post(change_url(rule), rule_data(*existing(rule), blank, initial=1))

        assert response.status_code == 302
        assert rule.conditions.count() == 1

    def test_saving_without_changes_keeps_the_version(self, client, rule):
        response = client.post(change_url(rule), rule_data(*existing(rule), initial=1))

        assert response.status_code == 302
        rule.refresh_from_db()
        assert rule.version == 1

    def test_a_refused_edit_keeps_the_version(self, client, rule):
        [cond] = existing(rule)

        response = client.post(change_url(rule), rule_data(cond | {"operator": "gt"}, initial=1))

        assert response.status_code == 200
        rule.refresh_from_db()
        assert rule.version == 1
        assert rule.conditions.get().operator == "contains_any"


def test_a_manager_may_read_rules_but_not_change_them(rule_reader):
    rule = RuleFactory(name="Late delivery", set_priority="high")

    response = rule_reader.post(change_url(rule), rule_data(name="Renamed"))

    assert response.status_code == 403
    rule.refresh_from_db()
    assert rule.name == "Late delivery"
    assert rule_reader.get(change_url(rule)).status_code == 200


@pytest.fixture
def rule_reader(db, staff_permissions) -> Client:
    user = UserFactory(username="laura")
    staff_permissions(user, "view_rule")
    client = Client()
    client.force_login(user)
    return client


CHANGELIST_URL = "/admin/routing/rule/"


class TestRuleList:
    @pytest.fixture
    def rules(self, db) -> list[Rule]:
        return [
            RuleFactory(name="Late delivery", order=10, set_priority="high"),
            RuleFactory(name="Refund", order=20, set_priority="urgent", enabled=False),
        ]

    def test_it_shows_hits_and_when_a_rule_last_matched(self, client, rules):
        Rule.objects.filter(pk=rules[0].pk).update(hit_count=42, last_matched_at=timezone.now())

        response = client.get(CHANGELIST_URL)

        assert response.status_code == 200
        assert '<td class="field-hit_count">42</td>' in response.text
        assert "never" in response.text

    def test_enable_and_disable_actions_switch_rules_and_keep_versions(self, client, rules):
        late, refund = rules

        client.post(CHANGELIST_URL, {"action": "disable_rules", "_selected_action": [late.pk]})
        client.post(CHANGELIST_URL, {"action": "enable_rules", "_selected_action": [refund.pk]})

        late.refresh_from_db()
        refund.refresh_from_db()
        assert (late.enabled, refund.enabled) == (False, True)
        assert (late.version, refund.version) == (2, 2)
        assert late.versions.get().summary == "enabled: True → False"

    def test_clone_copies_conditions_and_actions_into_a_disabled_rule(self, client, rules, delivery_delay):
        late = rules[0]
        late.add_tags.add(delivery_delay)
        RuleConditionFactory(rule=late, value="retras*")

        response = client.post(CHANGELIST_URL, {"action": "clone_rules", "_selected_action": [late.pk]})

        assert response.status_code == 302
        copy = Rule.objects.get(name="Late delivery (copy)")
        assert not copy.enabled
        assert copy.set_priority == "high"
        assert list(copy.add_tags.all()) == [delivery_delay]
        assert list(copy.conditions.values_list("value", flat=True)) == ["retras*"]
        assert late.conditions.count() == 1

    def test_order_is_editable_in_the_list_and_keeps_a_version(self, client, rules):
        late, refund = rules
        data = {
            "form-TOTAL_FORMS": 2,
            "form-INITIAL_FORMS": 2,
            "form-MIN_NUM_FORMS": 0,
            "form-MAX_NUM_FORMS": 1000,
            "form-0-id": late.pk,
            "form-0-order": 30,
            "form-1-id": refund.pk,
            "form-1-order": 20,
            "_save": "Save",
        }

        response = client.post(CHANGELIST_URL, data)

        assert response.status_code == 302
        late.refresh_from_db()
        assert late.order == 30
        assert late.versions.get().summary == "order: 10 → 30"
        refund.refresh_from_db()
        assert refund.version == 1

    def test_rules_unused_for_30_days_are_flagged_and_filtered(self, client):
        now = timezone.now()
        stale = RuleFactory(name="Stale", set_priority="high")
        never = RuleFactory(name="Never matched", set_priority="high")
        RuleFactory(name="Busy", set_priority="high")
        RuleFactory(name="Brand new", set_priority="high")
        Rule.objects.filter(name="Stale").update(last_matched_at=now - timedelta(days=40))
        Rule.objects.filter(name="Busy").update(last_matched_at=now - timedelta(days=1))
        Rule.objects.filter(name="Never matched").update(updated_at=now - timedelta(days=31))

        unused = client.get(CHANGELIST_URL, {"unused": "yes"})
        everything = client.get(CHANGELIST_URL)

        assert {rule.name for rule in unused.context["cl"].result_list} == {stale.name, never.name}
        assert everything.text.count("unused for 30 days") == 2


class TestRestoreAndWhatIfPermissions:
    @pytest.fixture
    def rule(self, db) -> Rule:
        rule = RuleFactory(name="Late delivery", set_priority="high")
        RuleConditionFactory(rule=rule, value="retras*")
        return rule

    def test_a_reader_cannot_restore_a_version(self, rule_reader, rule, admin_user):
        rule_set_enabled(rule=rule, enabled=False, actor=admin_user)
        version = rule.versions.get()
        url = f"/admin/routing/rule/{rule.pk}/versions/{version.pk}/restore/"

        assert rule_reader.get(url).status_code == 403
        assert rule_reader.post(url).status_code == 403
        rule.refresh_from_db()
        assert not rule.enabled

    def test_a_reader_cannot_start_or_see_a_trial(self, rule_reader, rule):
        trial = RuleTrial.objects.create(rule=rule, draft=rule_to_dict(rule))

        start = rule_reader.post(f"/admin/routing/rule/{rule.pk}/try/", rule_data(trial_days=90))

        assert start.status_code == 403
        assert RuleTrial.objects.count() == 1
        assert rule_reader.get(f"/admin/routing/rule/trials/{trial.pk}/").status_code == 403


class TestWhatIf:
    @pytest.fixture
    def rule(self, organisation) -> Rule:
        rule = RuleFactory(name="Late delivery", order=10, enabled=False, set_priority="high")
        RuleConditionFactory(rule=rule, value="retraso")
        return rule

    def test_the_change_page_offers_to_try_the_rule(self, client, rule):
        response = client.get(change_url(rule))

        assert f'formaction="/admin/routing/rule/{rule.pk}/try/"' in response.text
        assert 'name="trial_days"' in response.text

    def test_trying_posts_the_form_as_edited_without_saving_it(
        self, client, rule, django_capture_on_commit_callbacks
    ):
        CaseFactory(message="Otro retraso más")
        data = rule_data(*existing(rule), initial=1, set_priority="urgent", trial_days=30)
        data.pop("enabled")  # the draft stays disabled

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/admin/routing/rule/{rule.pk}/try/", data)

        trial = RuleTrial.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"/admin/routing/rule/trials/{trial.pk}/"
        assert trial.days == 30
        assert trial.draft["set_priority"] == "urgent"
        assert trial.summary == {
            "cases": 1,
            "tags_changed": 0,
            "department_changed": 0,
            "priority_changed": 1,
        }
        rule.refresh_from_db()
        assert (rule.set_priority, rule.version) == ("high", 1)

    def test_an_unsaved_draft_can_be_tried_from_the_add_page(self, client, db):
        response = client.post("/admin/routing/rule/try/", rule_data(condition(), trial_days=90))

        trial = RuleTrial.objects.get()
        assert response.status_code == 302
        assert trial.rule is None
        assert trial.draft["name"] == "Late delivery"
        assert not Rule.objects.exists()

    def test_an_invalid_draft_is_not_tried(self, client, rule):
        data = rule_data(condition(operator="regex", value="(retraso"), trial_days=90)

        response = client.post(f"/admin/routing/rule/{rule.pk}/try/", data)

        assert response.status_code == 302
        assert response["Location"] == change_url(rule)
        assert not RuleTrial.objects.exists()

    def test_a_running_trial_shows_progress_and_refreshes(self, client, rule):
        trial = RuleTrial.objects.create(
            rule=rule, draft=rule_to_dict(rule), status=RuleTrial.Status.RUNNING, total=200, processed=50
        )

        response = client.get(f"/admin/routing/rule/trials/{trial.pk}/")

        assert response.status_code == 200
        assert '<meta http-equiv="refresh" content="2">' in response.text
        assert '<progress id="trial-progress" max="200" value="50"' in response.text

    def test_results_list_only_the_cases_the_user_may_see(self, rule, organisation, laura, staff_permissions):
        staff_permissions(laura, "view_rule", "change_rule", "view_case")
        mine = CaseFactory(department=organisation["logistics"])
        theirs = CaseFactory(department=organisation["billing"])
        change = {"before": {"tags": [], "department": "", "priority": ""}}
        change["after"] = change["before"] | {"priority": "high"}
        trial = RuleTrial.objects.create(
            rule=rule,
            draft=rule_to_dict(rule),
            status=RuleTrial.Status.DONE,
            summary={"cases": 2, "tags_changed": 0, "department_changed": 0, "priority_changed": 2},
            changes=[change | {"case_id": case.pk, "reference": case.reference} for case in (mine, theirs)],
        )
        client = Client()
        client.force_login(laura)

        response = client.get(f"/admin/routing/rule/trials/{trial.pk}/")

        assert response.status_code == 200
        assert "<meta http-equiv" not in response.text
        assert f"/admin/feedback/case/{mine.pk}/change/" in response.text
        assert f"/admin/feedback/case/{theirs.pk}/change/" not in response.text
        # Another team's case is not even named: its reference was a leak.
        assert theirs.reference not in response.text


def test_the_rule_list_does_not_query_per_rule(client, django_assert_num_queries):
    for i in range(2):
        RuleFactory(name=f"Rule {i}", set_priority="high")
    with CaptureQueriesContext(connection) as few:
        client.get(CHANGELIST_URL)
    for i in range(2, 8):
        RuleFactory(name=f"Rule {i}", set_priority="high")

    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(CHANGELIST_URL)

    assert len(response.context["cl"].result_list) == 8
