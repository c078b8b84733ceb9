"""The public pages: home, the feedback form and the thanks page."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext

from feedback.models import Case, Channel, Status

from ..factories import FAR_DATES, CaseFactory, email_of_length

NEW_URL = "/feedback/new/"
SCRIPT = "<script>alert(1)</script>"


def form_data(**overrides) -> dict:
    data = {
        "kind": "complaint",
        "subject": "Pedido 12345",
        "message": "Mi pedido no ha llegado, lleva 5 días de retraso",
        "order_reference": "12345",
        "order_date": "",
        "promised_delivery_date": "",
        "product": "",
        "store": "",
        "name": "Ana García",
        "email": "ana@example.com",
        "phone": "",
        "customer_number": "",
    }
    return data | overrides


def spanish(text: str) -> str:
    with translation.override("es"):
        return gettext(text)


class TestHome:
    def test_it_links_to_the_form(self, client):
        response = client.get("/")

        assert response.status_code == 200
        assert f'href="{NEW_URL}"' in response.text


class TestFormPage:
    def test_it_is_in_spanish_by_default(self, client):
        response = client.get(NEW_URL)

        assert response.status_code == 200
        assert '<html lang="es">' in response.text
        # The label as the Spanish catalogue has it, so a reworded translation still passes.
        assert spanish("Your message") != "Your message"
        assert spanish("Your message") in response.text

    def test_it_is_in_english_on_request(self, client):
        response = client.get(NEW_URL, {"lang": "en"})

        assert response.status_code == 200
        assert '<html lang="en">' in response.text
        assert "Your message" in response.text
        assert "Give an email address" not in response.text

    def test_the_language_choice_is_remembered(self, client):
        client.get(NEW_URL, {"lang": "en"})

        assert '<html lang="en">' in client.get(NEW_URL).text


class TestSubmit:
    def test_a_valid_submission_stores_the_case_and_shows_the_reference(self, client, organisation):
        response = client.post(NEW_URL, form_data())

        case = Case.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"/feedback/thanks/{case.reference}/"
        assert (case.status, case.channel, case.language) == (Status.NEW, Channel.WEB, "es")
        assert (case.customer.email, case.order_reference) == ("ana@example.com", "12345")

        thanks = client.get(response["Location"], {"lang": "en"})
        assert thanks.status_code == 200
        assert case.reference in thanks.text
        # The fallback department's first-response target (8 hours in the fixture SLA).
        assert "within 8 hours" in thanks.text

    def test_an_english_submission_records_the_language(self, client, organisation):
        client.post(f"{NEW_URL}?lang=en", form_data())

        assert Case.objects.get().language == "en"

    def test_the_thanks_page_is_only_for_the_session_that_submitted(self, client, organisation):
        response = client.post(NEW_URL, form_data())

        assert Client().get(response["Location"]).status_code == 404

    def test_a_forged_list_of_submitted_references_shows_nothing(self, client, organisation):
        other = CaseFactory()
        client.cookies["cx_submitted"] = other.reference  # unsigned

        assert client.get(f"/feedback/thanks/{other.reference}/").status_code == 404

    def test_the_last_twenty_submissions_from_one_browser_have_their_thanks_page(
        self, client, organisation, settings
    ):
        settings.CX_SUBMISSIONS_PER_HOUR = 100
        locations = [client.post(NEW_URL, form_data(subject=f"Pedido {n}"))["Location"] for n in range(21)]

        assert client.get(locations[0]).status_code == 404
        assert all(client.get(location).status_code == 200 for location in locations[1:])

    def test_a_submission_writes_no_session(self, client, organisation):
        from django.contrib.sessions.models import Session

        client.post(NEW_URL, form_data())

        assert not Session.objects.exists()

    def test_the_thanks_page_of_an_unknown_reference_is_404(self, client, db):
        other = CaseFactory()

        assert client.get(f"/feedback/thanks/{other.reference}/").status_code == 404
        assert client.get("/feedback/thanks/CX-2026-999999/").status_code == 404

    def test_the_thanks_page_does_not_show_the_message(self, client, organisation):
        response = client.post(NEW_URL, form_data(message=f"Mi pedido {SCRIPT} no ha llegado"))

        thanks = client.get(response["Location"])
        assert "alert(1)" not in thanks.text


class TestInvalidSubmission:
    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"message": ""}, "message"),
            ({"email": "", "phone": ""}, "email"),
            ({"order_date": str(timezone.localdate() + timedelta(days=2))}, "order_date"),
            ({"order_date": "2026-03-05", "promised_delivery_date": "2026-03-01"}, "promised_delivery_date"),
            ({"email": "ana@example"}, "email"),
            ({"email": "", "phone": "12"}, "phone"),
            ({"subject": ""}, "subject"),
            ({"name": ""}, "name"),
        ],
    )
    def test_it_shows_the_errors_and_stores_nothing(self, client, db, overrides, field):
        response = client.post(NEW_URL, form_data(**overrides))

        assert response.status_code == 400
        assert response.context["form"].errors[field]
        assert 'id="error-summary"' in response.text
        assert f'href="#id_{field}"' in response.text
        assert not Case.objects.exists()

    def test_an_empty_submission_is_invalid(self, client, db):
        response = client.post(NEW_URL, {})

        assert response.status_code == 400
        assert 'id="error-summary"' in response.text
        assert not Case.objects.exists()

    def test_the_errors_are_in_the_page_language(self, client, db):
        response = client.post(f"{NEW_URL}?lang=en", form_data(email="", phone=""))

        assert "Give an email address or a phone number so we can answer you." in response.text

    def test_customer_text_sent_back_is_escaped(self, client, db):
        response = client.post(NEW_URL, form_data(subject=SCRIPT, message=f"Hola {SCRIPT} adiós", email=""))

        assert response.status_code == 400
        assert SCRIPT not in response.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


# Every text field of the form that fills a column, with a value of that column's length.
TEXT_COLUMNS = {
    "subject": "s" * 200,
    "order_reference": "r" * 60,
    "product": "p" * 200,
    "store": "t" * 200,
    "name": "n" * 200,
    "phone": "+34 600" + " " * 26 + "000 000",
    "customer_number": "c" * 40,
}


class TestLengths:
    """What the form accepts fits the columns it fills: a field error, never a 500."""

    @pytest.mark.parametrize("length", [255, 320])
    def test_an_email_longer_than_its_column_is_a_field_error_and_stores_nothing(self, client, db, length):
        response = client.post(f"{NEW_URL}?lang=en", form_data(email=email_of_length(length)))

        assert response.status_code == 400
        assert [error.code for error in response.context["form"].errors.as_data()["email"]] == ["max_length"]
        assert "at most 254 characters" in response.text
        assert not Case.objects.exists()

    def test_an_email_as_long_as_its_column_is_stored(self, client, organisation):
        email = email_of_length(254)

        response = client.post(NEW_URL, form_data(email=email))

        assert response.status_code == 302
        assert Case.objects.get().customer.email == email

    def test_an_email_that_lowercasing_would_lengthen_past_its_column_is_a_field_error(self, client, db):
        # "İ" lower-cases to two characters: 254 as typed, 318 as stored.
        response = client.post(f"{NEW_URL}?lang=en", form_data(email=email_of_length(254, letter="İ")))

        assert response.status_code == 400
        assert "This email address is too long." in response.text
        assert not Case.objects.exists()

    @pytest.mark.parametrize("field", TEXT_COLUMNS)
    def test_a_text_longer_than_its_column_is_a_field_error(self, client, db, field):
        response = client.post(NEW_URL, form_data(**{field: TEXT_COLUMNS[field] + "x"}))

        assert response.status_code == 400
        assert [error.code for error in response.context["form"].errors.as_data()[field]] == ["max_length"]
        assert not Case.objects.exists()

    def test_texts_as_long_as_their_columns_are_stored(self, client, organisation):
        response = client.post(NEW_URL, form_data(**TEXT_COLUMNS))

        case = Case.objects.select_related("customer").get()
        assert response.status_code == 302
        stored = {
            field: getattr(case, field, None) or getattr(case.customer, field) for field in TEXT_COLUMNS
        }
        # The phone is kept as its digits.
        assert stored == TEXT_COLUMNS | {"phone": "+34600000000"}

    def test_every_text_field_is_as_long_as_its_column(self):
        from django import forms

        from feedback.forms import FeedbackForm
        from feedback.models import Case, Customer

        for name, field in FeedbackForm.base_fields.items():
            for model in (Case, Customer):
                column = next((f for f in model._meta.fields if f.name == name), None)
                if column is not None and column.max_length and isinstance(field, forms.CharField):
                    assert field.max_length == column.max_length, name


class TestOrderDates:
    """Order and promised dates within ten years back and one year ahead: the KPIs average them."""

    @pytest.mark.parametrize(
        ("field", "value"),
        FAR_DATES,
    )
    def test_a_date_outside_the_window_is_a_translated_field_error(self, client, db, field, value):
        response = client.post(f"{NEW_URL}?lang=en", form_data(**{field: value}))

        assert response.status_code == 400
        assert [error.code for error in response.context["form"].errors.as_data()[field]] == [
            "date_out_of_range"
        ]
        assert "Enter a date between" in response.text
        assert not Case.objects.exists()

    def test_the_day_before_the_window_and_the_day_after_it_are_refused(self, client, db):
        from feedback.limits import intake_date_window

        earliest, latest = intake_date_window(timezone.localdate())

        too_early = client.post(NEW_URL, form_data(order_date=str(earliest - timedelta(days=1))))
        too_late = client.post(NEW_URL, form_data(promised_delivery_date=str(latest + timedelta(days=1))))

        assert too_early.context["form"].has_error("order_date", "date_out_of_range")
        assert too_late.context["form"].has_error("promised_delivery_date", "date_out_of_range")
        assert not Case.objects.exists()

    def test_dates_on_the_edges_of_the_window_are_stored(self, client, organisation):
        from feedback.limits import intake_date_window

        earliest, latest = intake_date_window(timezone.localdate())

        response = client.post(
            NEW_URL, form_data(order_date=str(earliest), promised_delivery_date=str(latest))
        )

        assert response.status_code == 302
        case = Case.objects.get()
        assert (case.order_date, case.promised_delivery_date) == (earliest, latest)


class TestCsrf:
    def test_a_post_without_the_token_is_refused(self, db):
        response = Client(enforce_csrf_checks=True).post(NEW_URL, form_data())

        assert response.status_code == 403
        assert not Case.objects.exists()

    def test_a_post_with_the_token_is_accepted(self, organisation):
        browser = Client(enforce_csrf_checks=True)
        token = browser.get(NEW_URL).context["csrf_token"]

        response = browser.post(NEW_URL, form_data(csrfmiddlewaretoken=str(token)))

        assert response.status_code == 302
        assert Case.objects.count() == 1
