"""Marketing consent: separate unticked opt-ins, with a history kept."""

from django.urls import reverse

from feedback.models import Case, Consent
from feedback.selectors import current_consents

VALID = {
    "kind": "complaint",
    "subject": "Pedido",
    "message": "Mi pedido no ha llegado",
    "name": "Ana",
    "email": "ana@example.com",
}


def test_every_opt_in_starts_unticked(client, db):
    form = client.get("/feedback/new/").context["form"]
    assert all(not form[name].value() for name in form.consent_fields)


def test_intake_records_only_the_channels_ticked_with_time_wording_and_source(client, organisation):
    client.post("/feedback/new/", {**VALID, "consent_email": "on", "consent_whatsapp": "on"})
    customer = Case.objects.get().customer
    records = Consent.objects.filter(customer=customer)
    assert {(r.channel, r.granted, r.source) for r in records} == {
        ("email", True, "web"),
        ("whatsapp", True, "web"),
    }
    assert all(r.wording_version and r.at for r in records)
    assert current_consents(customer) == {"email": True, "sms": False, "phone": False, "whatsapp": True}


def test_a_case_needs_no_consent(client, organisation):
    assert client.post("/feedback/new/", VALID).status_code == 302
    assert not Consent.objects.exists()


def test_the_preference_page_changes_consent_and_keeps_the_history(client, organisation):
    client.post("/feedback/new/", {**VALID, "consent_email": "on"})
    case = Case.objects.get()
    url = reverse("preferences", args=[case.tracking_token])
    assert client.get(url).context["form"]["consent_email"].value() is True
    response = client.post(url, {"consent_sms": "on"})
    assert response.status_code == 302
    assert current_consents(case.customer) == {"email": False, "sms": True, "phone": False, "whatsapp": False}
    history = list(Consent.objects.filter(customer=case.customer, channel="email").order_by("at", "id"))
    assert [r.granted for r in history] == [True, False]


def test_preferences_need_the_private_link(client, db):
    assert client.get("/track/unknown/preferences/").status_code == 404
