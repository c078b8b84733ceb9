"""Editing rules in the admin: invalid rules are refused with the engine's message."""

import pytest
from django.conf import settings
from django.test import Client

from routing.models import Rule, RuleCondition, Tag

from ..factories import RuleConditionFactory, RuleFactory, TagFactory, UserFactory

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
        assert '<option value="contains_any">contains any of</option>' in response.text

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
