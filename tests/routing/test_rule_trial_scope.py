"""What-if results show each viewer only their own teams' cases: the list, the counts, the progress."""

import pytest
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.test import Client

from routing.management.commands.seed_demo import ROLE_PERMISSIONS
from routing.models import Priority, RuleTrial
from routing.whatif import rule_trial_results, rule_trial_run

from ..factories import CaseFactory

ADD_TRY_URL = "/admin/routing/rule/try/"


def trial_url(trial: RuleTrial) -> str:
    return f"/admin/routing/rule/trials/{trial.pk}/"


def as_manager(user) -> Client:
    """``user`` in the demo's Managers group (rule drafting included), logged in."""
    group, _ = Group.objects.get_or_create(name="Managers")
    codenames = [name.split(".", 1)[1] for name in ROLE_PERMISSIONS["Managers"]]
    group.permissions.set(Permission.objects.filter(codename__in=codenames))
    user.groups.add(group)
    client = Client()
    client.force_login(user)
    return client


def draft(**overrides) -> dict:
    """A draft in ``rule_to_dict`` format: mark cases that mention a delay as urgent."""
    return {
        "name": "Urgent delays",
        "order": 100,
        "enabled": False,
        "stop_processing": False,
        "add_tags": [],
        "set_priority": Priority.URGENT,
        "set_department": None,
        "override_department": False,
        "set_sla_policy": None,
        "add_watchers": [],
        "notify_users": [],
        "conditions": [{"group": "any", "field": "text", "operator": "contains_any", "value": "retraso"}],
    } | overrides


@pytest.fixture
def cases(organisation) -> dict:
    return {
        "logistics": CaseFactory(
            message="Hay un retraso en la entrega", department=organisation["logistics"]
        ),
        "billing": CaseFactory(
            message="Retraso del reembolso; factura secreta 4242", department=organisation["billing"]
        ),
        "unrouted": CaseFactory(message="Otro retraso", department=None),
    }


def run_trial(**overrides) -> RuleTrial:
    trial = RuleTrial.objects.create(draft=draft(**overrides), days=90)
    rule_trial_run(trial_id=trial.pk)
    trial.refresh_from_db()
    return trial


def listed(response) -> set[str]:
    return {change["reference"] for change in response.context["results"].changes}


def test_a_manager_sees_only_the_cases_and_counts_of_their_department(cases, laura):
    trial = run_trial()

    response = as_manager(laura).get(trial_url(trial))

    assert response.status_code == 200
    assert listed(response) == {cases["logistics"].reference}
    assert response.context["results"].summary == {
        "cases": 1,
        "tags_changed": 0,
        "department_changed": 0,
        "priority_changed": 1,
    }
    for hidden in ("billing", "unrouted"):
        assert cases[hidden].reference not in response.text
    assert f'<progress max="{trial.total}"' not in response.text


def test_another_manager_opening_the_same_trial_sees_only_their_own(cases, laura, bruno):
    # laura started it; who opens it decides what is shown.
    trial = RuleTrial.objects.create(draft=draft(), days=90, requested_by=laura)
    rule_trial_run(trial_id=trial.pk)

    response = as_manager(bruno).get(trial_url(trial))

    assert listed(response) == {cases["billing"].reference}
    assert response.context["results"].summary["cases"] == 1
    assert cases["logistics"].reference not in response.text


def test_an_administrator_sees_every_case_unrouted_ones_included(cases, admin_client):
    trial = run_trial()

    response = admin_client.get(trial_url(trial))

    assert listed(response) == {case.reference for case in cases.values()}
    assert response.context["results"].summary == {
        "cases": 3,
        "tags_changed": 0,
        "department_changed": 0,
        "priority_changed": 3,
    }


def test_an_executive_who_may_try_rules_sees_every_case(cases, elena, staff_permissions):
    staff_permissions(elena, "view_rule", "change_rule")
    trial = run_trial()
    client = Client()
    client.force_login(elena)

    response = client.get(trial_url(trial))

    assert listed(response) == {case.reference for case in cases.values()}
    assert response.context["results"].summary["cases"] == 3


def test_a_regular_expression_on_another_teams_text_reveals_nothing(
    cases, laura, django_capture_on_commit_callbacks
):
    client = as_manager(laura)

    def try_regex(value: str) -> RuleTrial:
        data = {
            "name": "Oracle",
            "order": 100,
            "set_priority": Priority.URGENT,
            "set_department": "",
            "trial_days": 90,
            "conditions-TOTAL_FORMS": 1,
            "conditions-INITIAL_FORMS": 0,
            "conditions-MIN_NUM_FORMS": 0,
            "conditions-MAX_NUM_FORMS": 1000,
            "conditions-0-group": "all",
            "conditions-0-field": "text",
            "conditions-0-operator": "regex",
            "conditions-0-value": value,
        }
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(ADD_TRY_URL, data).status_code == 302
        return RuleTrial.objects.latest("pk")

    guessed, wrong = try_regex(r"factura secreta 42\d\d"), try_regex(r"factura secreta 99\d\d")

    shown = [client.get(trial_url(trial)) for trial in (guessed, wrong)]
    assert guessed.summary["priority_changed"] == 1  # it did match the other team's case…
    assert shown[0].context["results"] == shown[1].context["results"]  # …but laura cannot tell.
    assert not shown[0].context["results"].changes
    assert cases["billing"].reference not in shown[0].text


def test_a_running_trial_gives_a_manager_a_percentage_not_the_number_of_cases(organisation, laura):
    trial = RuleTrial.objects.create(draft=draft(), status=RuleTrial.Status.RUNNING, total=200, processed=50)

    response = as_manager(laura).get(trial_url(trial))

    assert '<progress id="trial-progress" max="100" value="25"' in response.text
    assert 'max="200"' not in response.text
    assert ">50 / 200<" not in response.text


def test_an_old_trial_without_counts_per_department_shows_managers_no_counts(
    organisation, laura, admin_client
):
    summary = {"cases": 7, "tags_changed": 0, "department_changed": 0, "priority_changed": 7}
    trial = RuleTrial.objects.create(draft=draft(), status=RuleTrial.Status.DONE, summary=summary)

    mine = as_manager(laura).get(trial_url(trial))
    theirs = admin_client.get(trial_url(trial))

    assert mine.context["results"].summary is None
    assert 'id="trial-summary"' not in mine.text
    assert theirs.context["results"].summary == summary


def test_one_busy_team_cannot_push_another_teams_cases_off_the_list(cases, organisation, laura, monkeypatch):
    monkeypatch.setattr("routing.whatif.MAX_CHANGES", 1)
    CaseFactory(message="Más retraso", department=organisation["billing"])
    trial = run_trial()

    results = rule_trial_results(trial=trial, viewer=laura)

    assert [change["reference"] for change in results.changes] == [cases["logistics"].reference]
    assert not results.truncated


def test_nobody_logged_in_sees_nothing(cases):
    results = rule_trial_results(trial=run_trial(), viewer=AnonymousUser())

    assert results.changes == []
    assert results.summary == {"cases": 0, "tags_changed": 0, "department_changed": 0, "priority_changed": 0}
