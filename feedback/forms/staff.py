"""The forms staff fill in for a customer: a case they enter, the customer's phone number."""

import secrets
from typing import TYPE_CHECKING, Any, cast

import phonenumbers
from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..identity import normalise_email, normalise_phone
from ..limits import column_length
from ..models import Channel, Customer, Kind
from .public import FeedbackForm

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def clean_phone_number(value: str) -> str:
    """A phone number staff typed, in E.164 (``+34600112233``); nonsense is refused.

    National numbers are read as ``CX_PHONE_REGION``'s. Staff are on the line
    with the customer, so a number that cannot exist is a typo to fix now,
    not an identity to store.
    """
    value = value.strip()
    if not value:
        return ""
    normalised = normalise_phone(value)
    try:
        valid = phonenumbers.is_valid_number(phonenumbers.parse(normalised, None))
    except phonenumbers.NumberParseException:
        valid = False
    if not valid:
        raise forms.ValidationError(
            _(
                "“%(value)s” is not a phone number we can call. Write it with its prefix, e.g. +34 600 11 22 33."
            ),
            code="bad_phone",
            params={"value": value},
        )
    return normalised


# Where staff take cases on behalf of a customer; the web form and the API have their own pages.
STAFF_CHANNELS = (Channel.PHONE, Channel.STORE, Channel.CHAT, Channel.EMAIL)


def new_entry_key() -> str:
    return secrets.token_hex(16)


class StaffCaseForm(forms.Form):
    """A case entered by staff on behalf of a customer (phone, store, chat, email).

    What ``case_create`` takes, with the contacts cleaned as identities are
    stored, so the customer the lookup showed is the one the case lands on.
    """

    channel = forms.ChoiceField(
        label=_("Channel"), choices=[(c.value, c.label) for c in STAFF_CHANNELS], initial=Channel.PHONE
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices, initial=Kind.COMPLAINT)
    # The same fields, limits and checks as the public form's.
    subject = FeedbackForm.base_fields["subject"]
    message = forms.CharField(
        label=_("What the customer said"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6, "class": "vLargeTextField"}),
    )
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    order_reference = FeedbackForm.base_fields["order_reference"]
    order_date = FeedbackForm.base_fields["order_date"]
    product = FeedbackForm.base_fields["product"]
    store = FeedbackForm.base_fields["store"]
    name = forms.CharField(label=_("Customer name"), max_length=column_length(Customer, "name"))
    email = FeedbackForm.base_fields["email"]
    phone = FeedbackForm.base_fields["phone"]
    customer_number = forms.CharField(
        label=_("Customer number"), max_length=column_length(Customer, "customer_number"), required=False
    )
    # New on each blank form, kept when the form comes back with errors: a
    # double click, a reload or the back button sends the same key again and
    # gets the case already entered instead of a second one.
    entry_key = forms.CharField(
        widget=forms.HiddenInput, max_length=64, required=False, initial=new_entry_key
    )

    # The page's sections: who, what, which order.
    sections = (
        (_("The customer"), ("name", "email", "phone", "customer_number")),
        (_("The case"), ("channel", "kind", "subject", "message", "language")),
        (_("About the order"), ("order_reference", "order_date", "product", "store")),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].initial = settings.LANGUAGE_CODE[:2]
        for name in self.sections[0][1]:
            # The lookup's suggestions replace the browser's.
            self.fields[name].widget.attrs["autocomplete"] = "off"

    def fieldsets(self) -> list[tuple["StrOrPromise", list[forms.BoundField]]]:
        return [(title, [self[name] for name in names]) for title, names in self.sections]

    def clean_email(self) -> str:
        return normalise_email(self.cleaned_data["email"])

    def clean_phone(self) -> str:
        return clean_phone_number(self.cleaned_data["phone"])

    def clean(self) -> dict[str, Any]:
        # Form.clean returns cleaned_data; the stub allows None for overrides that return nothing.
        data = cast(dict[str, Any], super().clean())
        contact_errors = self.has_error("email") or self.has_error("phone")
        if data.get("channel") == Channel.EMAIL and not data.get("email") and not self.has_error("email"):
            self.add_error(
                "email",
                forms.ValidationError(
                    _("A case that came by email needs the sender's address."), code="no_email"
                ),
            )
        elif not data.get("email") and not data.get("phone") and not contact_errors:
            self.add_error(
                "email",
                forms.ValidationError(
                    _("Give the customer's email address or phone number so we can answer them."),
                    code="no_contact",
                ),
            )
        order_date = data.get("order_date")
        if order_date and order_date > timezone.localdate():
            self.add_error(
                "order_date",
                forms.ValidationError(_("The order date cannot be in the future."), code="future_order"),
            )
        return data
