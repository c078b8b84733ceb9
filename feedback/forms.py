from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Fieldset, Layout, Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Kind

# Kinds that usually concern an order: their order fields are shown first.
ORDER_KINDS = (Kind.COMPLAINT, Kind.CLAIM)


class FeedbackForm(forms.Form):
    """The public complaint/comment form. Free text is always possible."""

    kind = forms.ChoiceField(
        label=_("What would you like to tell us?"), choices=Kind.choices, initial=Kind.COMPLAINT
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    message = forms.CharField(
        label=_("Your message"),
        min_length=10,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Tell us in your own words what happened."),
    )
    order_reference = forms.CharField(label=_("Order number"), max_length=60, required=False)
    order_date = forms.DateField(
        label=_("Order date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    promised_delivery_date = forms.DateField(
        label=_("Promised delivery date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    product = forms.CharField(label=_("Product or category"), max_length=200, required=False)
    store = forms.CharField(label=_("Store"), max_length=200, required=False)
    name = forms.CharField(label=_("Your name"), max_length=200)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    customer_number = forms.CharField(
        label=_("Customer number (if you have one)"), max_length=40, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_id = "feedback-form"
        self.helper.attrs = {"novalidate": ""}
        self.helper.layout = Layout(
            Fieldset(_("Your message"), "kind", "subject", "message"),
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
            Submit("submit", _("Send"), css_class="btn-lg"),
        )

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        digits = [ch for ch in phone if ch.isdigit()]
        if phone and not 6 <= len(digits) <= 15:
            raise forms.ValidationError(_("Enter a valid phone number."), code="bad_phone")
        return phone

    def clean(self) -> dict:
        data = super().clean()
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
