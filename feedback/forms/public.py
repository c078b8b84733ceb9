"""The forms customers fill in: feedback, messages on their case, the survey, their preferences."""

from typing import Any, cast

from crispy_forms.bootstrap import InlineRadios
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Fieldset, Layout, Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..limits import column_length, validate_intake_date, validate_stored_email_length
from ..models import Case, Customer, Kind
from ..uploads import AttachmentsField

# Kinds that usually concern an order: their order fields are shown first.
ORDER_KINDS = (Kind.COMPLAINT, Kind.CLAIM)


class ConsentFields(forms.Form):
    """Separate, unticked opt-ins for commercial messages, one per channel."""

    consent_email = forms.BooleanField(
        label=_("I agree to receive offers and news by email."), required=False
    )
    consent_sms = forms.BooleanField(label=_("I agree to receive offers and news by SMS."), required=False)
    consent_phone = forms.BooleanField(
        label=_("I agree to receive offers and news by phone."), required=False
    )
    consent_whatsapp = forms.BooleanField(
        label=_("I agree to receive offers and news by WhatsApp."), required=False
    )

    consent_fields = ("consent_email", "consent_sms", "consent_phone", "consent_whatsapp")

    def consent_choices(self) -> dict[str, bool]:
        return {
            name.removeprefix("consent_"): self.cleaned_data.get(name, False) for name in self.consent_fields
        }


class FeedbackForm(ConsentFields):
    """The public complaint/comment form. Free text is always possible."""

    kind = forms.ChoiceField(
        label=_("What would you like to tell us?"), choices=Kind.choices, initial=Kind.COMPLAINT
    )
    subject = forms.CharField(label=_("Subject"), max_length=column_length(Case, "subject"))
    message = forms.CharField(
        label=_("Your message"),
        min_length=10,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Tell us in your own words what happened."),
    )
    attachments = AttachmentsField(label=_("Photos or documents"))
    order_reference = forms.CharField(
        label=_("Order number"), max_length=column_length(Case, "order_reference"), required=False
    )
    order_date = forms.DateField(
        label=_("Order date"),
        required=False,
        validators=[validate_intake_date],
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    promised_delivery_date = forms.DateField(
        label=_("Promised delivery date"),
        required=False,
        validators=[validate_intake_date],
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    product = forms.CharField(
        label=_("Product or category"), max_length=column_length(Case, "product"), required=False
    )
    store = forms.CharField(label=_("Store"), max_length=column_length(Case, "store"), required=False)
    name = forms.CharField(label=_("Your name"), max_length=column_length(Customer, "name"))
    email = forms.EmailField(
        label=_("Email"),
        max_length=column_length(Customer, "email"),
        required=False,
        validators=[validate_stored_email_length],
    )
    phone = forms.CharField(label=_("Phone"), max_length=column_length(Customer, "phone"), required=False)
    # A honeypot: hidden from people (and screen readers), filled by bots.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    customer_number = forms.CharField(
        label=_("Customer number (if you have one)"),
        max_length=column_length(Customer, "customer_number"),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_id = "feedback-form"
        self.helper.attrs = {"novalidate": ""}
        self.helper.layout = Layout(
            Fieldset(_("Your message"), "kind", "subject", "message", "attachments"),
            Div(
                Fieldset(
                    _("About your order"),
                    "order_reference",
                    "order_date",
                    "promised_delivery_date",
                    "product",
                    "store",
                ),
                css_id="order-fields",
            ),
            Fieldset(_("How can we reach you?"), "name", "email", "phone", "customer_number"),
            Fieldset(
                _("Offers and news (optional)"),
                HTML(
                    '<p class="small text-body-secondary">{}</p>'.format(
                        _(
                            "Messages about your case never need this. You can change your mind at any time from your case's page."
                        )
                    )
                ),
                *ConsentFields.consent_fields,
            ),
            Div("website", css_class="cx-hp", aria_hidden="true"),
            Submit("submit", _("Send"), css_class="btn-lg"),
        )

    def case_data(self) -> dict:
        """What ``case_create`` takes: everything but the opt-ins and the honeypot."""
        skip = {*self.consent_fields, "website"}
        return {name: value for name, value in self.cleaned_data.items() if name not in skip}

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        digits = [ch for ch in phone if ch.isdigit()]
        if phone and not 6 <= len(digits) <= 15:
            raise forms.ValidationError(_("Enter a valid phone number."), code="bad_phone")
        return phone

    def clean(self) -> dict[str, Any]:
        # Form.clean returns cleaned_data; the stub allows None for overrides that return nothing.
        data = cast(dict[str, Any], super().clean())
        if data.get("website"):
            raise forms.ValidationError(
                _("Your message could not be sent. Please try again."), code="honeypot"
            )
        data.pop("website", None)
        today = timezone.localdate()
        if (
            not data.get("email")
            and not data.get("phone")
            and not self.has_error("email")
            and not self.has_error("phone")
        ):
            self.add_error(
                "email",
                forms.ValidationError(
                    _("Give an email address or a phone number so we can answer you."), code="no_contact"
                ),
            )
        order_date = data.get("order_date")
        promised = data.get("promised_delivery_date")
        if order_date and order_date > today:
            self.add_error(
                "order_date",
                forms.ValidationError(_("The order date cannot be in the future."), code="future_order"),
            )
        if order_date and promised and promised < order_date:
            self.add_error(
                "promised_delivery_date",
                forms.ValidationError(
                    _("The promised delivery date cannot be before the order date."),
                    code="promise_before_order",
                ),
            )
        return data


class CustomerMessageForm(forms.Form):
    """A message from the customer on their tracking page."""

    text = forms.CharField(
        label=_("Add a message"),
        min_length=2,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    attachments = AttachmentsField(label=_("Photos or documents"))


def _scale(low: int, high: int) -> list[tuple[int, str]]:
    return [(n, str(n)) for n in range(low, high + 1)]


class SurveyForm(forms.Form):
    """CSAT 1 to 5, NPS 0 to 10, CES 1 to 7 and a free comment."""

    csat = forms.TypedChoiceField(
        label=_(
            "Overall, how satisfied are you with how we handled your case? (1 = very dissatisfied, 5 = very satisfied)"
        ),
        choices=_scale(1, 5),
        coerce=int,
        widget=forms.RadioSelect,
    )
    nps = forms.TypedChoiceField(
        label=_("How likely are you to recommend us to a friend? (0 = not at all, 10 = extremely likely)"),
        choices=_scale(0, 10),
        coerce=int,
        widget=forms.RadioSelect,
    )
    ces = forms.TypedChoiceField(
        label=_("How easy was it to get your problem solved? (1 = very difficult, 7 = very easy)"),
        choices=_scale(1, 7),
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything else you would like to tell us?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_id = "survey-form"
        self.helper.attrs = {"novalidate": ""}
        self.helper.layout = Layout(
            InlineRadios("csat"),
            InlineRadios("nps"),
            InlineRadios("ces"),
            "comment",
            Submit("submit", _("Send my answers"), css_class="btn-lg"),
        )


class PreferencesForm(ConsentFields):
    """The customer's marketing choices, reached from their tracking link."""
