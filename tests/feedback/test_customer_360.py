"""The customer's page in the admin: the 360° view, scoped to what the reader may see."""

import pytest
from django.utils import timezone

from feedback.identity import customer_resolve, customers_merge
from feedback.models import Channel, Customer, CustomerIdentity, Status, SurveyResponse
from feedback.services import consent_update
from tests.factories import CaseFactory, CustomerFactory
from tests.test_admin import client_for

VIEW_PERMISSIONS = ("view_case", "change_case", "view_caseevent", "view_customer")


def page_url(customer: Customer) -> str:
    return f"/admin/feedback/customer/{customer.pk}/change/"


@pytest.fixture
def ana(organisation, laura, bruno):
    """Ana wrote by phone to customer service, by email about a delivery, and to billing."""
    ana = customer_resolve(name="Ana García", email="ana@example.com", phone="600112233")
    customer_resolve(name="Ana García", email="ana.work@example.com", phone="600112233")
    phone_case = CaseFactory(
        customer=ana, channel=Channel.PHONE, department=organisation["customer-service"], status=Status.ROUTED
    )
    email_case = CaseFactory(
        customer=ana,
        channel=Channel.EMAIL,
        department=organisation["logistics"],
        owner=laura,
        status=Status.RESOLVED,
    )
    SurveyResponse.objects.create(case=email_case, csat=4, nps=9, ces=2)
    billing_case = CaseFactory(
        customer=ana, channel=Channel.WEB, department=organisation["billing"], owner=bruno
    )
    consent_update(customer=ana, choices={"email": True, "sms": True}, source="web")
    consent_update(customer=ana, choices={"sms": False}, source="phone")
    ana.cases_by_channel = {"phone": phone_case, "email": email_case, "web": billing_case}
    return ana


@pytest.fixture
def laura_reads(laura, staff_permissions):
    staff_permissions(laura, *VIEW_PERMISSIONS)
    return client_for(laura)


class TestWhatTheReaderSees:
    def test_logistics_sees_only_its_own_case_of_the_customer(self, ana, laura_reads):
        response = laura_reads.get(page_url(ana))

        assert response.status_code == 200
        email_case = ana.cases_by_channel["email"]
        assert (
            f'href="/admin/feedback/case/{email_case.pk}/change/">{email_case.reference}</a>' in response.text
        )
        assert ana.cases_by_channel["phone"].reference not in response.text
        assert ana.cases_by_channel["web"].reference not in response.text
        # The survey answers of the case, on its row.
        assert "CSAT 4 / 5 · NPS 9 / 10 · CES 2 / 7" in response.text

    def test_an_executive_sees_every_case_across_channels(self, ana, elena, staff_permissions):
        staff_permissions(elena, *VIEW_PERMISSIONS)

        response = client_for(elena).get(page_url(ana))

        for case in ana.cases_by_channel.values():
            assert case.reference in response.text
        for channel in ("Phone", "Email", "Web form"):
            assert f"<p>{channel}</p>" in response.text

    def test_every_identity_is_listed(self, ana, laura_reads):
        response = laura_reads.get(page_url(ana))

        for value in ("ana@example.com", "ana.work@example.com", "+34600112233"):
            assert value in response.text

    def test_current_consents_and_their_history(self, ana, laura_reads):
        response = laura_reads.get(page_url(ana))

        assert "Email: yes · SMS: no · Phone calls: no · WhatsApp: no" in response.text
        # Newest first: the withdrawal by phone, then the two given on the web form.
        withdrawal = response.text.index("<td>SMS</td><td>no</td><td>2026-11</td><td>phone</td>")
        assert withdrawal < response.text.index("<td>SMS</td><td>yes</td><td>2026-11</td><td>web</td>")
        assert withdrawal < response.text.index("<td>Email</td><td>yes</td><td>2026-11</td><td>web</td>")

    def test_merges_that_made_the_customer_are_listed(self, ana, laura_reads, carmen):
        twin = CustomerFactory(name="A. García", email="agarcia@example.com")
        customers_merge(target=ana, sources=[twin], actor=carmen, now=timezone.now())

        response = laura_reads.get(page_url(ana))

        assert "A. García · agarcia@example.com" in response.text
        assert "cases: 0 · consents: 0 · emails, phones and numbers: 1" in response.text

    def test_customer_text_is_escaped(self, organisation, laura, laura_reads):
        eve = CustomerFactory(name="Eve <script>alert(1)</script>")
        CaseFactory(customer=eve, department=organisation["logistics"], owner=laura)

        response = laura_reads.get(page_url(eve))

        assert "<script>alert(1)</script>" not in response.text

    def test_the_page_costs_the_same_queries_for_more_cases(
        self, ana, laura, laura_reads, organisation, django_assert_max_num_queries
    ):
        laura_reads.get(page_url(ana))  # warm the session and permission caches
        for _ in range(5):
            case = CaseFactory(customer=ana, department=organisation["logistics"], owner=laura)
            SurveyResponse.objects.create(case=case, csat=5, nps=10, ces=1)
        with django_assert_max_num_queries(40):
            laura_reads.get(page_url(ana))


class TestDenied:
    def test_staff_who_see_none_of_the_customers_cases_cannot_reach_them(
        self, organisation, bruno, staff_permissions
    ):
        staff_permissions(bruno, *VIEW_PERMISSIONS)
        stranger = CustomerFactory(name="Solo Logística")
        CaseFactory(customer=stranger, department=organisation["logistics"])

        client = client_for(bruno)
        assert client.get(page_url(stranger)).status_code == 302  # to the admin index: "does not exist"
        assert "Solo Logística" not in client.get("/admin/feedback/customer/").text

    def test_anonymous_visitors_are_sent_to_the_login_page(self, client, ana):
        response = client.get(page_url(ana))

        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


class TestEditing:
    """A contact staff edit becomes an identity, written as intake writes it."""

    def change_data(self, customer: Customer, **overrides) -> dict:
        data = {
            "name": customer.name,
            "email": customer.email,
            "phone": customer.phone,
            "customer_number": customer.customer_number,
            "language": customer.language,
            "segment": customer.segment,
        }
        # The read-only cases inline's management form.
        count = customer.cases.count()
        return data | {"cases-TOTAL_FORMS": count, "cases-INITIAL_FORMS": count} | overrides

    def test_a_customer_can_still_be_added_by_hand(self, admin_user):
        response = client_for(admin_user).get("/admin/feedback/customer/add/")

        assert response.status_code == 200

    def test_an_edited_phone_and_email_are_normalised_and_become_identities(self, ana, admin_user):
        response = client_for(admin_user).post(
            page_url(ana), self.change_data(ana, email="Ana.New@Example.COM", phone="+34 611 22 33 44")
        )

        assert response.status_code == 302
        ana.refresh_from_db()
        assert (ana.email, ana.phone) == ("ana.new@example.com", "+34611223344")
        assert CustomerIdentity.objects.get(value="ana.new@example.com").customer == ana
        assert CustomerIdentity.objects.get(value="+34611223344").customer == ana
        # The next message from the new address lands on her.
        assert customer_resolve(name="Ana", email="ANA.NEW@example.com") == ana

    def test_a_nonsense_phone_is_a_form_error(self, ana, admin_user):
        response = client_for(admin_user).post(page_url(ana), self.change_data(ana, phone="call me maybe"))

        assert response.status_code == 200
        assert "is not a phone number we can call" in response.text
        ana.refresh_from_db()
        assert ana.phone == "+34600112233"


class TestRemovingAContact:
    """A further email or phone recorded by mistake can be detached; the customer's own ones cannot."""

    def remove_url(self, identity: CustomerIdentity) -> str:
        return f"/admin/feedback/customer/{identity.customer_id}/identities/{identity.pk}/remove/"

    def test_a_further_email_is_removed_after_confirmation_and_no_longer_matches(
        self, ana, laura, staff_permissions
    ):
        staff_permissions(laura, *VIEW_PERMISSIONS, "change_customer")
        client = client_for(laura)
        work = ana.identities.get(value="ana.work@example.com")
        assert self.remove_url(work) in client.get(page_url(ana)).text

        assert "Yes, remove it" in client.get(self.remove_url(work)).text
        assert ana.identities.filter(pk=work.pk).exists()  # asking changes nothing
        response = client.post(self.remove_url(work))

        assert response.status_code == 302
        assert not ana.identities.filter(value="ana.work@example.com").exists()
        assert customer_resolve(name="Otra", email="ana.work@example.com") != ana

    def test_the_customers_own_email_has_no_remove_link_and_is_refused(self, ana, laura, staff_permissions):
        staff_permissions(laura, *VIEW_PERMISSIONS, "change_customer")
        client = client_for(laura)
        own = ana.identities.get(value="ana@example.com")

        assert self.remove_url(own) not in client.get(page_url(ana)).text
        client.post(self.remove_url(own))

        assert ana.identities.filter(pk=own.pk).exists()

    def test_it_needs_the_change_permission(self, ana, laura_reads):
        work = ana.identities.get(value="ana.work@example.com")

        assert laura_reads.post(self.remove_url(work)).status_code == 403
        assert ana.identities.filter(pk=work.pk).exists()

    def test_another_departments_customer_is_not_found(
        self, organisation, ana, staff_permissions, django_user_model
    ):
        outsider = django_user_model.objects.create_user("otto", is_staff=True)
        staff_permissions(outsider, *VIEW_PERMISSIONS, "change_customer")
        work = ana.identities.get(value="ana.work@example.com")

        assert client_for(outsider).post(self.remove_url(work)).status_code == 404
        assert ana.identities.filter(pk=work.pk).exists()
