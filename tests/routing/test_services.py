"""Routing a case and notifying its owner."""

from datetime import datetime, timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone, translation
from django.utils.translation import gettext

from feedback.models import CaseEvent, Status
from notifications.models import Notification
from routing.rules import RuleSet, RuleSpec
from routing.selectors import facts_for_case, rule_spec
from routing.services import case_route

from ..factories import CaseFactory, RuleConditionFactory, RuleFactory, SLAPolicyFactory, UserFactory

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=timezone.get_fixed_timezone(0))


class TestCaseRoute:
    def test_it_routes_late_delivery_to_logistics_owner(self, late_case, laura):
        assert case_route(case_id=late_case.pk, now=NOW) is True

        late_case.refresh_from_db()
        assert late_case.department.slug == "logistics"
        assert late_case.owner == laura
        assert late_case.status == Status.ROUTED
        assert late_case.priority == "high"
        assert list(late_case.tags.values_list("slug", flat=True)) == ["delivery-delay"]
        assert late_case.routing_attempts == 1

    def test_due_dates_come_from_the_department_sla(self, late_case):
        case_route(case_id=late_case.pk, now=NOW)

        late_case.refresh_from_db()
        assert late_case.routed_at == NOW
        assert late_case.first_response_due_at == NOW + timedelta(hours=8)
        assert late_case.resolution_due_at == NOW + timedelta(hours=72)

    def test_it_records_which_rule_and_version_matched(self, late_case, late_delivery_rule, laura):
        case_route(case_id=late_case.pk, now=NOW)

        matched = late_case.events.get(kind=CaseEvent.Kind.RULE_MATCHED)
        assert matched.text == "Late delivery"
        assert matched.data["rule_id"] == late_delivery_rule.pk
        assert matched.data["version"] == late_delivery_rule.version
        # The words as found in the message, in the order the rule lists its terms.
        assert matched.data["conditions"][0]["matched"] == ["retraso", "no ha llegado"]
        assert not matched.is_public
        routed = late_case.events.get(kind=CaseEvent.Kind.ROUTED)
        assert routed.data == {
            "department": "logistics",
            "owner_id": laura.pk,
            "assignment": "owner",
            "fallback": False,
            "sla_policy": "standard",
            "business_hours": False,
        }
        assert routed.at == NOW
        late_case.refresh_from_db()
        assert late_case.decision["department_rule_id"] == late_delivery_rule.pk

    def test_it_records_one_notification_for_the_owner(self, late_case, laura):
        case_route(case_id=late_case.pk, now=NOW)

        notification = Notification.objects.get()
        assert notification.case == late_case
        assert notification.recipient == laura
        assert notification.event == "routed"
        assert notification.key == f"case:{late_case.pk}:routed:user:{laura.pk}"

    def test_the_owner_is_emailed_after_commit(self, late_case, laura, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            case_route(case_id=late_case.pk, now=NOW)

        assert [m.to for m in mail.outbox] == [[laura.email]]
        assert Notification.objects.get().status == Notification.Status.SENT
        assert late_case.events.filter(kind=CaseEvent.Kind.NOTIFIED).count() == 1

    def test_routing_twice_changes_nothing_and_notifies_once(
        self, late_case, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            assert case_route(case_id=late_case.pk, now=NOW) is True
        with django_capture_on_commit_callbacks(execute=True):
            assert case_route(case_id=late_case.pk, now=NOW + timedelta(hours=1)) is False

        late_case.refresh_from_db()
        assert late_case.routed_at == NOW
        assert late_case.routing_attempts == 1
        assert Notification.objects.count() == 1
        assert len(mail.outbox) == 1
        assert late_case.events.filter(kind=CaseEvent.Kind.ROUTED).count() == 1

    def test_a_claim_lost_to_another_worker_does_nothing(self, late_case):
        # Another worker routes the case between our read and our claim.
        from routing import services

        real_setup = services.routing_setup

        def route_meanwhile():
            type(late_case).objects.filter(pk=late_case.pk).update(routed_at=NOW)
            return real_setup()

        with mock.patch.object(services, "routing_setup", side_effect=route_meanwhile):
            assert case_route(case_id=late_case.pk, now=NOW) is False

        assert Notification.objects.count() == 0
        assert not late_case.events.filter(kind=CaseEvent.Kind.ROUTED).exists()

    def test_an_unmatched_case_goes_to_the_fallback_department(self, organisation, carmen):
        case = CaseFactory(subject="Hola", message="Quería saber el horario de la tienda")

        assert case_route(case_id=case.pk, now=NOW) is True

        case.refresh_from_db()
        assert case.department.slug == "customer-service"
        assert case.owner == carmen
        assert case.priority == "normal"
        assert not case.tags.exists()
        assert not case.events.filter(kind=CaseEvent.Kind.RULE_MATCHED).exists()
        assert case.events.get(kind=CaseEvent.Kind.ROUTED).data["fallback"] is True
        assert Notification.objects.get().recipient == carmen

    def test_a_decision_for_a_missing_department_falls_back(self, organisation, carmen):
        case = CaseFactory(message="Mi pedido no ha llegado")
        ruleset = RuleSet([RuleSpec(id=1, name="Gone", add_tags=("x",), set_department="warehouse")])

        with mock.patch("routing.config.setup.RuleSet", return_value=ruleset):
            case_route(case_id=case.pk, now=NOW)

        case.refresh_from_db()
        assert case.owner == carmen
        assert case.events.get(kind=CaseEvent.Kind.ROUTED).data["fallback"] is True

    def test_disabled_rules_are_ignored(self, late_case, late_delivery_rule, carmen):
        late_delivery_rule.enabled = False
        late_delivery_rule.save()

        case_route(case_id=late_case.pk, now=NOW)

        late_case.refresh_from_db()
        assert late_case.owner == carmen

    def test_a_case_already_in_progress_keeps_its_status(self, late_case):
        type(late_case).objects.filter(pk=late_case.pk).update(status=Status.IN_PROGRESS)

        case_route(case_id=late_case.pk, now=NOW)

        late_case.refresh_from_db()
        assert late_case.status == Status.IN_PROGRESS
        assert late_case.department.slug == "logistics"

    def test_a_missing_case_is_not_routed(self, organisation):
        assert case_route(case_id=999_999, now=NOW) is False


class TestRuleActions:
    """SLA policy, watchers and extra notifications set by rules."""

    @pytest.fixture
    def vip_rule(self, organisation, luis, bruno, laura):
        rule = RuleFactory(
            name="VIP",
            order=20,
            set_sla_policy=SLAPolicyFactory(name="vip", first_response_hours=1, resolution_hours=8),
        )
        RuleConditionFactory(rule=rule, group="all", field="text", operator="contains_any", value="retraso")
        rule.add_watchers.set([luis, bruno])
        # laura owns logistics, bruno is already a watcher: neither is told twice.
        rule.notify_users.set([bruno, laura, UserFactory(username="elisa")])
        return rule

    def route(self, case) -> None:
        case_route(case_id=case.pk, now=NOW)
        case.refresh_from_db()

    def test_a_rule_sla_policy_replaces_the_department_one(self, late_case, vip_rule):
        self.route(late_case)

        assert late_case.department.slug == "logistics"
        assert late_case.first_response_due_at == NOW + timedelta(hours=1)
        assert late_case.resolution_due_at == NOW + timedelta(hours=8)
        assert late_case.decision["sla_policy_rule_id"] == vip_rule.pk

    def test_an_unknown_sla_policy_keeps_the_department_one(self, late_case):
        # A policy deleted since the rule set was compiled.
        ruleset = RuleSet([RuleSpec(id=1, name="Gone", set_department="logistics", set_sla_policy="gone")])
        with mock.patch("routing.config.setup.RuleSet", return_value=ruleset):
            self.route(late_case)

        assert late_case.first_response_due_at == NOW + timedelta(hours=8)

    def test_rule_watchers_are_added_to_the_case(self, late_case, vip_rule, luis, bruno):
        self.route(late_case)

        assert set(late_case.watchers.all()) == {luis, bruno}

    def test_everyone_involved_is_notified_exactly_once(self, late_case, vip_rule, laura, luis, bruno):
        self.route(late_case)

        sent = sorted((n.recipient.username, n.event) for n in Notification.objects.all())
        assert sent == [
            ("bruno", "watching"),
            ("elisa", "rule_notify"),
            ("laura", "routed"),
            ("luis", "watching"),
        ]

    def test_routing_twice_notifies_watchers_once(self, late_case, vip_rule):
        self.route(late_case)
        # Even a second claim (say, staff re-run routing) tells nobody twice.
        type(late_case).objects.filter(pk=late_case.pk).update(routed_at=None)
        case_route(case_id=late_case.pk, now=NOW)

        assert Notification.objects.count() == 4

    def test_inactive_people_are_neither_watchers_nor_notified(self, late_case, vip_rule, luis):
        luis.is_active = False
        luis.save()
        self.route(late_case)

        assert luis not in late_case.watchers.all()
        assert not Notification.objects.filter(recipient=luis).exists()

    def test_watchers_and_notified_people_are_emailed(
        self, late_case, vip_rule, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            self.route(late_case)

        by_recipient = {m.to[0]: m for m in mail.outbox}
        assert len(mail.outbox) == 4
        watching = by_recipient["luis@cx.example"]
        assert late_case.reference in watching.subject
        # In the site's language (Spanish by default): "added as a watcher".
        with translation.override(settings.LANGUAGE_CODE):
            expected = gettext(
                "You have been added as a watcher of case %(reference)s, routed to %(department)s."
            )
        assert expected % {"reference": late_case.reference, "department": "Logistics"} in watching.body
        notified = by_recipient["elisa@cx.example"]
        assert "VIP" in notified.body
        assert "Late delivery" in notified.body
        assert late_case.message in notified.body

    def test_matched_rules_count_their_hits(self, late_case, late_delivery_rule, vip_rule):
        untouched = RuleFactory(name="Other", set_priority="low")
        RuleConditionFactory(rule=untouched, value="factura")

        self.route(late_case)
        self.route(CaseFactory(message="otro retraso"))

        late_delivery_rule.refresh_from_db()
        vip_rule.refresh_from_db()
        untouched.refresh_from_db()
        assert (late_delivery_rule.hit_count, late_delivery_rule.last_matched_at) == (2, NOW)
        assert (vip_rule.hit_count, vip_rule.last_matched_at) == (2, NOW)
        assert (untouched.hit_count, untouched.last_matched_at) == (0, None)

    def test_hits_are_counted_once_when_routing_runs_twice(self, late_case, late_delivery_rule):
        self.route(late_case)
        case_route(case_id=late_case.pk, now=NOW)

        late_delivery_rule.refresh_from_db()
        assert late_delivery_rule.hit_count == 1


class TestRuleSpecAndFacts:
    def test_a_rule_spec_carries_the_sla_policy_watchers_and_people_to_notify(
        self, organisation, luis, bruno
    ):
        rule = RuleFactory(
            set_sla_policy=SLAPolicyFactory(name="vip", first_response_hours=1, resolution_hours=8)
        )
        rule.add_watchers.set([bruno, luis])
        rule.notify_users.set([luis])

        spec = rule_spec(rule)
        assert spec.set_sla_policy == "vip"
        assert spec.add_watchers == tuple(sorted([bruno.pk, luis.pk]))
        assert spec.notify_users == (luis.pk,)

    def test_facts_count_the_customers_earlier_cases_over_30_and_90_days(self, organisation):
        case = CaseFactory(created_at=NOW)
        for days in (3, 29, 45, 89, 120):
            CaseFactory(customer=case.customer, created_at=NOW - timedelta(days=days))
        CaseFactory(created_at=NOW - timedelta(days=2))  # someone else

        facts = facts_for_case(case, today=NOW.date())
        assert (facts.previous_cases, facts.previous_cases_30_days) == (4, 2)


class TestRuleEmailsEscapeCustomerText:
    def test_the_html_parts_escape_customer_html(
        self, organisation, luis, django_capture_on_commit_callbacks
    ):
        rule = RuleFactory(name="Watch all", order=1)
        RuleConditionFactory(rule=rule, field="kind", operator="equals", value="complaint")
        rule.add_watchers.set([luis])
        rule.notify_users.set([UserFactory(username="nina")])
        case = CaseFactory(subject="<b>hi</b>", message="<script>alert(1)</script>")
        with django_capture_on_commit_callbacks(execute=True):
            case_route(case_id=case.pk, now=NOW)

        assert len(mail.outbox) == 3
        for message in mail.outbox:
            html = message.alternatives[0].content
            assert "<script>" not in html
            assert "<b>hi</b>" not in html
            assert "&lt;script&gt;" in html
            assert "<script>alert(1)</script>" in message.body


class TestRoutedEmail:
    @pytest.fixture
    def email(self, late_case, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            case_route(case_id=late_case.pk, now=NOW)
        (message,) = mail.outbox
        return message

    def test_it_names_the_reference_in_the_subject_and_body(self, email, late_case):
        assert late_case.reference in email.subject
        assert late_case.reference in email.body
        assert late_case.reference in email.alternatives[0].content

    def test_it_links_to_the_case_in_the_admin(self, email, late_case):
        url = f"{settings.SITE_URL}/admin/feedback/case/{late_case.pk}/change/"
        assert url in email.body
        assert f'href="{url}"' in email.alternatives[0].content

    def test_it_shows_the_tags_and_the_message(self, email, late_case):
        assert "delivery-delay" in email.body
        assert late_case.message in email.body


class TestCustomerTextInEmails:
    @pytest.fixture
    def email(self, organisation, django_capture_on_commit_callbacks):
        case = CaseFactory(
            subject="Tom & Jerry's <b>order</b>",
            message='<script>alert(1)</script> & <a href="http://evil.example">click</a>',
        )
        with django_capture_on_commit_callbacks(execute=True):
            case_route(case_id=case.pk, now=NOW)
        (message,) = mail.outbox
        return message

    def test_the_html_part_escapes_customer_html(self, email):
        (html, mimetype) = email.alternatives[0]
        assert mimetype == "text/html"
        assert "<script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert '<a href="http://evil.example">' not in html
        assert "<b>order</b>" not in html

    def test_the_plain_text_part_and_subject_keep_the_text_as_written(self, email):
        # Plain text is never rendered as HTML: escaping would only garble it.
        assert "<script>alert(1)</script> &" in email.body
        assert email.subject.endswith("Tom & Jerry's <b>order</b>")
