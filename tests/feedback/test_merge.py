"""Two records of one person become one: the merge service and the admin action."""

import pytest

from cxportal.errors import ApplicationError
from feedback.identity import customer_resolve, customers_merge, merge_preview
from feedback.models import Case, Channel, Consent, Customer, CustomerMerge, SurveyResponse
from feedback.privacy import customer_erase
from feedback.services import case_create, consent_update
from tests.factories import CaseFactory, CustomerFactory
from tests.test_admin import client_for, messages_of

CHANGELIST = "/admin/feedback/customer/"


@pytest.fixture
def ana(customer_service):
    """Ana as the web form knows her."""
    ana = customer_resolve(name="Ana García", email="ana@example.com")
    CaseFactory(customer=ana, department=customer_service)
    return ana


@pytest.fixture
def ana_by_phone(customer_service):
    """Ana again, from a phone call, before anyone knew she was the same person."""
    twin = customer_resolve(name="Ana G.", phone="600112233", customer_number="C-42")
    case = CaseFactory(customer=twin, department=customer_service, channel=Channel.PHONE)
    SurveyResponse.objects.create(case=case, csat=5, nps=10, ces=1)
    consent_update(customer=twin, choices={"sms": True}, source="phone")
    return twin


@pytest.fixture
def carmen_merges(organisation, carmen, staff_permissions):
    staff_permissions(carmen, "view_case", "change_case", "view_caseevent", "view_customer", "merge_customer")
    return client_for(carmen)


def merge_action(client, *customers: Customer, **extra):
    data = {"action": "merge", "_selected_action": [c.pk for c in customers], **extra}
    return client.post(CHANGELIST, data, follow=True)


class TestService:
    def test_cases_consents_and_identities_move_and_the_twin_goes(self, ana, ana_by_phone, carmen):
        twin_id = ana_by_phone.pk

        (merge,) = customers_merge(target=ana, sources=[ana_by_phone], actor=carmen)

        assert not Customer.objects.filter(pk=twin_id).exists()
        assert Case.objects.filter(customer=ana).count() == 2
        assert Consent.objects.get().customer == ana
        assert set(ana.identities.values_list("kind", "value")) == {
            ("email", "ana@example.com"),
            ("phone", "+34600112233"),
            ("number", "C-42"),
        }
        ana.refresh_from_db()
        # Blanks filled; what was known stays.
        assert (ana.name, ana.phone, ana.customer_number) == ("Ana García", "+34600112233", "C-42")
        assert merge.source_id == twin_id
        assert merge.actor == carmen
        assert merge.source["name"] == "Ana G."
        assert merge.moved == {"cases": 1, "merges": 0, "consents": 1, "identities": 2}

    def test_the_preview_counts_what_would_move(self, ana, ana_by_phone):
        assert merge_preview(target=ana, sources=[ana_by_phone]) == {
            "cases": 1,
            "consents": 1,
            "surveys": 1,
            "identities": 2,
        }

    @pytest.mark.parametrize("erased", ["target", "source"])
    def test_an_erased_customer_is_never_merged_either_way(self, ana, ana_by_phone, carmen, erased):
        customer_erase(customer=ana if erased == "target" else ana_by_phone)

        with pytest.raises(ApplicationError) as refused:
            customers_merge(target=ana, sources=[ana_by_phone], actor=carmen)

        assert refused.value.code == "merge_erased"
        assert Customer.objects.count() == 2
        assert not CustomerMerge.objects.exists()

    def test_a_customer_is_not_merged_into_themself(self, ana, carmen):
        with pytest.raises(ApplicationError):
            customers_merge(target=ana, sources=[ana], actor=carmen)

    def test_a_new_message_from_the_merged_away_contacts_lands_on_the_kept_customer(
        self, ana, ana_by_phone, carmen
    ):
        customers_merge(target=ana, sources=[ana_by_phone], actor=carmen)

        case = case_create(
            name="Ana",
            phone="+34 600 11 22 33",
            kind="complaint",
            channel=Channel.PHONE,
            subject="Otra vez",
            message="Sigo esperando.",
            language="es",
        )

        assert case.customer == ana
        assert customer_resolve(name="Ana", customer_number="c-42") == ana
        assert Customer.objects.count() == 1


class TestAdminAction:
    def test_the_preview_shows_each_customer_their_contacts_and_what_would_move(
        self, carmen_merges, ana, ana_by_phone
    ):
        response = merge_action(carmen_merges, ana, ana_by_phone)

        assert response.templates[0].name == "admin/feedback/customer/merge_confirmation.html"
        assert "+34600112233" in response.text
        assert "ana@example.com" in response.text
        # Keeping Ana: the twin's case, consent, survey and two identities move to her.
        assert "cases: 1 · consents: 1 · survey responses: 1 · emails, phones and numbers: 2" in response.text
        # Keeping the twin: Ana's case and email move.
        assert "cases: 1 · consents: 0 · survey responses: 0 · emails, phones and numbers: 1" in response.text
        assert Customer.objects.count() == 2

    def test_confirming_merges_into_the_chosen_customer_and_shows_all_cases(
        self, carmen_merges, carmen, ana, ana_by_phone
    ):
        references = set(Case.objects.values_list("reference", flat=True))

        response = merge_action(carmen_merges, ana, ana_by_phone, confirm="yes", target=ana_by_phone.pk)

        assert messages_of(response) == ["1 customer merged into “Ana G.”."]
        assert response.redirect_chain[-1][0] == f"/admin/feedback/customer/{ana_by_phone.pk}/change/"
        assert not Customer.objects.filter(pk=ana.pk).exists()
        assert CustomerMerge.objects.get().actor == carmen
        for reference in references:
            assert reference in response.text

    def test_one_customer_alone_is_refused(self, carmen_merges, ana):
        response = merge_action(carmen_merges, ana, confirm="yes", target=ana.pk)

        assert messages_of(response) == ["Select at least two customers to merge."]
        assert not CustomerMerge.objects.exists()

    @pytest.mark.parametrize("step", ["preview", "confirm"])
    def test_an_erased_customer_is_refused_with_a_message(self, carmen_merges, ana, ana_by_phone, step):
        customer_erase(customer=ana_by_phone)
        extra = {"confirm": "yes", "target": ana.pk} if step == "confirm" else {}

        response = merge_action(carmen_merges, ana, ana_by_phone, **extra)

        assert response.status_code == 200
        assert messages_of(response) == [
            "An erased customer cannot be merged: their data is gone and must stay gone."
        ]
        assert Customer.objects.count() == 2

    def test_a_target_outside_the_selection_is_refused(
        self, carmen_merges, ana, ana_by_phone, customer_service
    ):
        other = CustomerFactory()
        CaseFactory(customer=other, department=customer_service)

        response = merge_action(carmen_merges, ana, ana_by_phone, confirm="yes", target=other.pk)

        assert messages_of(response) == ["Choose the customer to keep."]
        assert Customer.objects.count() == 3


class TestDenied:
    def test_staff_without_the_permission_are_not_offered_the_action(
        self, organisation, laura, staff_permissions, ana, ana_by_phone
    ):
        # Give laura sight of both customers, but not the merge permission.
        Case.objects.update(department=organisation["logistics"])
        staff_permissions(laura)
        client = client_for(laura)

        assert 'value="merge"' not in client.get(CHANGELIST).text
        merge_action(client, ana, ana_by_phone, confirm="yes", target=ana.pk)

        assert Customer.objects.count() == 2

    def test_an_outsider_cannot_merge_another_departments_customers(
        self, organisation, bruno, staff_permissions, ana, ana_by_phone
    ):
        staff_permissions(bruno, "view_customer", "view_case", "merge_customer")
        # bruno sees one billing customer, so the list and its actions are open to him.
        CaseFactory(department=organisation["billing"])
        client = client_for(bruno)

        response = merge_action(client, ana, ana_by_phone, confirm="yes", target=ana.pk)

        assert Customer.objects.filter(pk__in=[ana.pk, ana_by_phone.pk]).count() == 2
        assert not CustomerMerge.objects.exists()
        assert "ana@example.com" not in response.text

    def test_anonymous_visitors_are_sent_to_the_login_page(self, client, ana, ana_by_phone):
        response = client.post(CHANGELIST, {"action": "merge", "_selected_action": [ana.pk, ana_by_phone.pk]})

        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
        assert Customer.objects.count() == 2
