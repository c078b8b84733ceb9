"""Exporting and importing the rule set as JSON: all of a file or nothing."""

import json

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import translation

from cxportal.errors import ApplicationError
from routing.models import Priority, Rule, RuleVersion
from routing.rulefile import rule_to_dict, spec_from_dict
from routing.selectors import rule_spec
from routing.transfer import rule_clone, rules_export, rules_import

from ..factories import RuleConditionFactory, RuleFactory, SLAPolicyFactory, TagFactory, UserFactory


@pytest.fixture
def rules(organisation, laura, carmen):
    """Two rules that use every kind of reference the format has."""
    late = RuleFactory(
        name="Late delivery",
        order=10,
        set_priority=Priority.HIGH,
        set_department=organisation["logistics"],
        set_sla_policy=SLAPolicyFactory(name="express", first_response_hours=2, resolution_hours=24),
        stop_processing=True,
    )
    late.add_tags.add(TagFactory(slug="delivery-delay"))
    late.add_watchers.add(carmen)
    late.notify_users.add(laura)
    RuleConditionFactory(rule=late, group="any", value="retras*, late")
    RuleConditionFactory(rule=late, group="all", field="days_late", operator="gt", value="2")
    refund = RuleFactory(name="Refund", order=20, set_department=organisation["billing"], enabled=False)
    RuleConditionFactory(rule=refund, value="reembolso")
    return [late, refund]


def exported() -> dict:
    # Through JSON, as a file would carry it.
    return json.loads(json.dumps(rules_export()))


def test_the_export_names_references_by_slug_name_and_username(rules):
    data = exported()

    assert data["format"] == "cx-portal-rules"
    assert [r["name"] for r in data["rules"]] == ["Late delivery", "Refund"]
    late = data["rules"][0]
    assert late == {
        "name": "Late delivery",
        "order": 10,
        "enabled": True,
        "stop_processing": True,
        "conditions": [
            {"group": "any", "field": "text", "operator": "contains_any", "value": "retras*, late"},
            {"group": "all", "field": "days_late", "operator": "gt", "value": "2"},
        ],
        "add_tags": ["delivery-delay"],
        "set_priority": "high",
        "set_department": "logistics",
        "override_department": False,
        "set_sla_policy": "express",
        "add_watchers": ["carmen"],
        "notify_users": ["laura"],
    }


def test_export_then_replace_import_gives_back_the_same_rules(rules):
    data = exported()
    Rule.objects.all().delete()

    result = rules_import(data=data, replace=True)

    assert sorted(result.created) == ["Late delivery", "Refund"]
    assert exported() == data


def test_none_of_conditions_survive_export_and_import(db):
    rule = RuleFactory(name="Missing item", order=30, set_priority=Priority.HIGH)
    RuleConditionFactory(rule=rule, group="any", value="falta el, faltan")
    RuleConditionFactory(rule=rule, group="none", value="falta el ticket, hace falta")
    RuleConditionFactory(rule=rule, group="none", field="subject", operator="regex", value=r"^re:")
    data = exported()
    Rule.objects.all().delete()

    rules_import(data=data, replace=True)

    assert exported() == data
    spec = rule_spec(Rule.objects.get(name="Missing item"))
    assert spec.any_of == (("text", "contains_any", "falta el, faltan"),)
    assert spec.none_of == (
        ("text", "contains_any", "falta el ticket, hace falta"),
        ("subject", "regex", "^re:"),
    )
    assert spec_from_dict(data["rules"][0]).none_of == spec.none_of


def test_a_file_without_none_of_conditions_reads_as_before(rules):
    data = exported()

    spec = spec_from_dict(data["rules"][0])

    assert spec.none_of == ()
    assert spec.all_of == (("days_late", "gt", "2"),)


def test_an_invalid_none_of_condition_is_refused_by_name(rules):
    data = exported()
    data["rules"][1]["conditions"].append(
        {"group": "none", "field": "message", "operator": "regex", "value": "(ticket"}
    )

    with translation.override("en"), pytest.raises(ApplicationError) as error:
        rules_import(data=data)

    assert error.value.code == "bad_regex"
    assert str(error.value.message).startswith("Rule “Refund”: Invalid regular expression: ")


def test_importing_the_same_file_again_changes_nothing(rules):
    data = exported()

    result = rules_import(data=data)

    assert sorted(result.unchanged) == ["Late delivery", "Refund"]
    assert not RuleVersion.objects.exists()
    assert Rule.objects.get(name="Late delivery").version == 1


def test_merge_updates_rules_by_name_and_keeps_their_history(rules):
    data = exported()
    data["rules"][0]["set_priority"] = "urgent"
    data["rules"] = [*data["rules"][:1], {**data["rules"][1], "name": "Refund v2"}]

    result = rules_import(data=data)

    assert result.updated == ["Late delivery"]
    assert result.created == ["Refund v2"]
    late = Rule.objects.get(name="Late delivery")
    assert late.set_priority == "urgent"
    assert late.versions.get().summary == "set_priority: high → urgent"
    # Merge keeps rules the file does not name.
    assert Rule.objects.filter(name="Refund").exists()


def test_replace_deletes_rules_the_file_does_not_name(rules):
    data = exported()
    data["rules"] = data["rules"][:1]

    result = rules_import(data=data, replace=True)

    assert result.deleted == ["Refund"]
    assert list(Rule.objects.values_list("name", flat=True)) == ["Late delivery"]


@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        ({"set_department": "warehouse"}, "unknown_department", "unknown department “warehouse”."),
        ({"add_tags": ["nope"]}, "unknown_tag", "unknown tag “nope”."),
        ({"notify_users": ["ghost"]}, "unknown_user", "unknown user “ghost”."),
        ({"set_sla_policy": "gold"}, "unknown_sla_policy", "unknown SLA policy “gold”."),
        (
            {"conditions": [{"group": "any", "field": "colour", "operator": "equals", "value": "red"}]},
            "unknown_field",
            "Unknown field “colour”.",
        ),
        (
            {
                "add_tags": [],
                "set_priority": "",
                "set_department": None,
                "add_watchers": [],
                "notify_users": [],
            },
            "no_actions",
            "A rule must do something",
        ),
    ],
)
def test_an_invalid_rule_changes_nothing_and_the_error_names_it(rules, change, code, message):
    data = exported()
    data["rules"][0]["set_priority"] = "urgent"  # a valid change that must not land either
    data["rules"][1] |= change
    before = exported()

    with translation.override("en"), pytest.raises(ApplicationError) as error:
        rules_import(data=data, replace=True)

    assert error.value.code == code
    assert str(error.value.message).startswith("Rule “Refund”: ")
    assert message in str(error.value.message)
    assert exported() == before
    assert not RuleVersion.objects.exists()


def test_errors_are_translated(rules):
    data = exported()
    data["rules"][1]["set_department"] = "warehouse"

    with translation.override("es"), pytest.raises(ApplicationError) as error:
        rules_import(data=data)

    assert "warehouse" in str(error.value.message)
    assert "Refund" in str(error.value.message)


def test_a_file_that_is_not_a_rules_file_is_refused(db):
    with pytest.raises(ApplicationError) as error:
        rules_import(data={"rules": "no"})

    assert error.value.code == "bad_format"


def test_two_rules_with_the_same_name_are_refused(rules):
    data = exported()
    data["rules"][1]["name"] = "Late delivery"

    with pytest.raises(ApplicationError) as error:
        rules_import(data=data)

    assert error.value.code == "duplicate_name"


def test_a_clone_is_a_disabled_copy_with_conditions_and_actions(rules):
    late = rules[0]

    with translation.override("en"):
        copy = rule_clone(rule=late)

    assert copy.pk != late.pk
    assert copy.name == "Late delivery (copy)"
    assert not copy.enabled
    assert copy.version == 1
    assert rule_to_dict(copy) == rule_to_dict(late) | {"name": "Late delivery (copy)", "enabled": False}


class TestCommands:
    def test_export_rules_writes_a_file_that_import_rules_reads(self, rules, tmp_path):
        path = tmp_path / "rules.json"
        call_command("export_rules", "--output", str(path))
        data = json.loads(path.read_text())
        Rule.objects.all().delete()

        call_command("import_rules", str(path), "--replace")

        assert exported() == data

    def test_export_rules_writes_to_stdout_by_default(self, rules, capsys):
        call_command("export_rules")

        assert json.loads(capsys.readouterr().out)["rules"][0]["name"] == "Late delivery"

    def test_import_rules_fails_with_the_rule_and_problem(self, rules, tmp_path):
        data = exported()
        data["rules"][0]["add_watchers"] = ["ghost"]
        path = tmp_path / "rules.json"
        path.write_text(json.dumps(data))

        with (
            translation.override("en"),
            pytest.raises(CommandError, match="Rule “Late delivery”: unknown user"),
        ):
            call_command("import_rules", str(path))

        assert Rule.objects.get(name="Late delivery").add_watchers.get().username == "carmen"

    def test_import_rules_refuses_a_deeply_nested_file(self, rules, tmp_path):
        path = tmp_path / "rules.json"
        path.write_text("[" * 100_000 + "]" * 100_000)

        with pytest.raises(CommandError, match="Cannot read"):
            call_command("import_rules", str(path))


class TestAdmin:
    @pytest.fixture
    def client(self, admin_user) -> Client:
        client = Client()
        client.force_login(admin_user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    def test_the_export_button_downloads_the_rule_set(self, client, rules):
        response = client.get("/admin/routing/rule/export/")

        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        assert json.loads(response.content) == exported()

    def test_the_import_form_imports_an_uploaded_file(self, client, rules):
        data = exported()
        data["rules"][0]["set_priority"] = "urgent"
        upload = SimpleUploadedFile("rules.json", json.dumps(data).encode(), "application/json")

        response = client.post("/admin/routing/rule/import/", {"file": upload})

        assert response.status_code == 302
        assert Rule.objects.get(name="Late delivery").set_priority == "urgent"

    def test_the_import_form_shows_what_is_wrong_and_imports_nothing(self, client, rules):
        data = exported()
        data["rules"][0]["set_priority"] = "urgent"
        data["rules"][1]["set_department"] = "warehouse"
        upload = SimpleUploadedFile("rules.json", json.dumps(data).encode(), "application/json")

        response = client.post("/admin/routing/rule/import/", {"file": upload})

        assert response.status_code == 200
        assert "Rule “Refund”: unknown department “warehouse”." in response.text
        assert Rule.objects.get(name="Late delivery").set_priority == "high"

    def test_a_deeply_nested_file_is_refused_with_a_clear_message(self, client, rules):
        nested = ("[" * 100_000 + "]" * 100_000).encode()
        upload = SimpleUploadedFile("rules.json", nested, "application/json")

        response = client.post("/admin/routing/rule/import/", {"file": upload})

        assert response.status_code == 200
        assert "The file is nested too deeply to read." in response.text
        assert Rule.objects.get(name="Late delivery").set_priority == "high"

    def test_someone_who_may_only_read_rules_cannot_import(self, rules, staff_permissions):
        reader = UserFactory(username="reader")
        staff_permissions(reader, "view_rule")
        client = Client()
        client.force_login(reader)

        assert client.get("/admin/routing/rule/import/").status_code == 403
        assert client.get("/admin/routing/rule/export/").status_code == 200


def test_the_copy_of_a_long_name_still_fits(db):
    rule = RuleFactory(name="x" * 200, set_priority=Priority.HIGH)

    with translation.override("en"):
        copy = rule_clone(rule=rule)

    assert len(copy.name) == 200
    assert copy.name.endswith("x… (copy)")
