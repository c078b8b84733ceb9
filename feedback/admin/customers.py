"""Customers in the admin: the 360° view, scoped to the cases the user may see.

A customer's page shows their cases across channels (with survey answers),
the emails, phones and numbers they are recognised by, their consents and
the merges that made them. Only customers with a case the user may see are
reachable at all (``customers_visible_to``).
"""

from collections.abc import Iterable
from datetime import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from cxportal.errors import ApplicationError

from ..forms import clean_phone_number
from ..identity import (
    identities_sync,
    identity_remove,
    is_own_contact,
    normalise_email,
)
from ..models import ConsentChannel, Customer, CustomerIdentity, CustomerMerge
from ..selectors import current_consents, customers_visible_to
from .customer_actions import CustomerActionsMixin, moved_text
from .inlines import CustomerCaseInline


def _table(headers: tuple, rows: Iterable[tuple]) -> SafeString | str:
    """A small read-only table of the 360° view; every cell is escaped.

    Tables rather than inlines: read-only inlines would make every post of
    the customer form carry their management forms for nothing.
    """
    rows = list(rows)
    if not rows:
        return "—"
    return format_html(
        '<table class="cx-table"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>',
        format_html_join("", '<th scope="col">{}</th>', ((header,) for header in headers)),
        format_html_join(
            "",
            "<tr>{}</tr>",
            ((format_html_join("", "<td>{}</td>", ((cell,) for cell in row)),) for row in rows),
        ),
    )


def _remove_link(identity: CustomerIdentity) -> SafeString | str:
    """A further contact can be removed; the customer's own ones are edited in their details."""
    if is_own_contact(identity):
        return ""
    url = reverse("admin:feedback_customer_identity_remove", args=[identity.customer_id, identity.pk])
    return format_html('<a href="{}">{}</a>', url, _("Remove"))


def _when(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def merged_customer(merge: CustomerMerge) -> str:
    """The merged-away customer as the audit record keeps them."""
    source = merge.source or {}  # emptied when the kept customer is erased
    contacts = (source.get("name"), source.get("email"), source.get("phone"), source.get("customer_number"))
    return " · ".join(filter(None, contacts)) or f"#{merge.source_id}"


class CustomerForm(forms.ModelForm):
    """Contacts as identities store them, so an edited contact matches the next message."""

    class Meta:
        model = Customer
        fields = ["name", "email", "phone", "customer_number", "language", "segment"]

    def clean_email(self) -> str:
        return normalise_email(self.cleaned_data["email"])

    def clean_phone(self) -> str:
        return clean_phone_number(self.cleaned_data["phone"])


@admin.register(Customer)
class CustomerAdmin(CustomerActionsMixin, admin.ModelAdmin):
    form = CustomerForm
    list_display = ("name", "email", "phone", "customer_number", "segment", "language", "created_at")
    search_fields = ("name", "email", "phone", "customer_number")
    search_help_text = _("Name, email, phone or customer number.")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "name",
                    "email",
                    "phone",
                    "customer_number",
                    "language",
                    "segment",
                    "created_at",
                    "identities_list",
                )
            },
        ),
        (_("Offers and news"), {"fields": ("consents_now", "consent_history")}),
        (capfirst(CustomerMerge._meta.verbose_name_plural), {"fields": ("merges_list",)}),
    )
    # A customer being added has no history to show yet.
    add_fieldsets = (
        (None, {"fields": ("name", "email", "phone", "customer_number", "language", "segment")}),
    )
    readonly_fields = ("created_at", "identities_list", "consents_now", "consent_history", "merges_list")
    inlines = [CustomerCaseInline]
    actions = ["export_json", "erase", "merge"]

    def get_queryset(self, request):
        # Only customers with at least one case this user may see.
        return customers_visible_to(request.user)

    def get_fieldsets(self, request, obj=None):
        return self.fieldsets if obj is not None else self.add_fieldsets

    def has_delete_permission(self, request, obj=None):
        return False  # their cases keep them; nothing may be lost

    @admin.display(description=_("consent now"))
    def consents_now(self, customer: Customer) -> SafeString:
        current = current_consents(customer)
        return format_html_join(
            " · ",
            "{}: {}",
            ((label, _("yes") if current[channel] else _("no")) for channel, label in ConsentChannel.choices),
        )

    @admin.display(description=_("recognised by"))
    def identities_list(self, customer: Customer) -> SafeString | str:
        return _table(
            (_("kind"), _("value"), _("added"), ""),
            (
                (
                    identity.get_kind_display(),
                    identity.value,
                    _when(identity.created_at),
                    _remove_link(identity),
                )
                for identity in customer.identities.select_related("customer")
            ),
        )

    def get_urls(self):
        return [
            path(
                "<int:customer_id>/identities/<int:identity_id>/remove/",
                self.admin_site.admin_view(self.identity_remove_view),
                name="feedback_customer_identity_remove",
            ),
            *super().get_urls(),
        ]

    def identity_remove_view(self, request: HttpRequest, customer_id: int, identity_id: int) -> HttpResponse:
        """Confirm, then detach a further email, phone or number recorded by mistake."""
        customer = self.get_object(request, str(customer_id))  # scoped: another department's is a 404
        if customer is None:
            raise Http404
        if not self.has_change_permission(request, customer):
            raise PermissionDenied
        identity = get_object_or_404(customer.identities.select_related("customer"), pk=identity_id)
        if request.method != "POST":
            return self._confirmation(
                request, "identity_remove_confirmation.html", _("Remove this contact?"), identity=identity
            )
        try:
            identity_remove(identity=identity)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            self.log_change(
                request, customer, _("Removed the contact %(value)s.") % {"value": identity.value}
            )
            messages.success(
                request, _("%(value)s no longer leads to this customer.") % {"value": identity.value}
            )
        return redirect("admin:feedback_customer_change", customer.pk)

    @admin.display(description=_("consent history"))
    def consent_history(self, customer: Customer) -> SafeString | str:
        return _table(
            (_("channel"), _("granted"), _("wording version"), _("source"), _("when")),
            (
                (
                    consent.get_channel_display(),
                    _("yes") if consent.granted else _("no"),
                    consent.wording_version,
                    consent.source,
                    _when(consent.at),
                )
                for consent in customer.consents.order_by("-at", "-id")
            ),
        )

    @admin.display(description=_("merged into this customer"))
    def merges_list(self, customer: Customer) -> SafeString | str:
        return _table(
            (_("when"), _("by"), _("merged customer"), _("moved")),
            (
                (_when(merge.at), merge.actor or "—", merged_customer(merge), moved_text(merge.moved))
                for merge in customer.merges.select_related("actor")
            ),
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # A contact staff typed is matched like one the customer gave.
        identities_sync(customer=obj)
