"""Customers in the admin: the 360° view, scoped to the cases the user may see.

A customer's page shows their cases across channels (with survey answers),
the emails, phones and numbers they are recognised by, their consents and
the merges that made them. Only customers with a case the user may see are
reachable at all (``customers_visible_to``).
"""

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cxportal.errors import ApplicationError

from ..forms import clean_phone_number
from ..identity import (
    customers_merge,
    identities_sync,
    identity_remove,
    is_own_contact,
    merge_preview,
    normalise_email,
)
from ..models import Case, ConsentChannel, Customer, CustomerIdentity, CustomerMerge
from ..privacy import customer_erase, customer_export
from ..selectors import cases_visible_to, current_consents, customers_visible_to
from .cases import ReadOnlyInline

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class CustomerCaseInline(ReadOnlyInline):
    """The customer's cases this user may see, across channels, with their survey answers."""

    model = Case
    fields = ("case_reference", "channel", "kind", "status", "department", "created_at", "survey_answers")
    readonly_fields = fields
    verbose_name_plural = _("cases")

    def get_queryset(self, request):
        return cases_visible_to(request.user).select_related("department", "survey").order_by("-created_at")

    @admin.display(description=_("reference"))
    def case_reference(self, case: Case) -> SafeString:
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:feedback_case_change", args=[case.pk]), case.reference
        )

    @admin.display(description=_("survey"))
    def survey_answers(self, case: Case) -> str:
        survey = getattr(case, "survey", None)  # the reverse one-to-one raises when there is none
        if survey is None:
            return "—"
        return f"CSAT {survey.csat} / 5 · NPS {survey.nps} / 10 · CES {survey.ces} / 7"


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


def moved_text(counts: dict) -> str:
    """``{"cases": 2, "consents": 1, ...}`` in words, for the merge pages."""
    labels = {
        "cases": _("cases"),
        "consents": _("consents"),
        "surveys": _("survey responses"),
        "identities": _("emails, phones and numbers"),
        "merges": _("earlier merges"),
    }
    return " · ".join(f"{labels[key]}: {counts.get(key, 0)}" for key in labels if key in counts)


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
class CustomerAdmin(admin.ModelAdmin):
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

    def has_export_permission(self, request) -> bool:
        return request.user.has_perm("feedback.export_customer")

    def has_erase_permission(self, request) -> bool:
        return request.user.has_perm("feedback.erase_customer")

    def has_merge_permission(self, request) -> bool:
        return request.user.has_perm("feedback.merge_customer")

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

    @admin.action(description=_("Export everything about them (JSON)"), permissions=["export"])
    def export_json(self, request, queryset):
        data = [customer_export(customer=customer) for customer in queryset]
        response = JsonResponse(data, safe=False, json_dumps_params={"ensure_ascii": False, "indent": 2})
        response["Content-Disposition"] = 'attachment; filename="customers.json"'
        return response

    def _confirmation(
        self, request: HttpRequest, template: str, title: "StrOrPromise", **context
    ) -> TemplateResponse:
        """A page that shows what an irreversible action will do and asks first."""
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            **context,
        }
        return TemplateResponse(request, f"admin/feedback/customer/{template}", context)

    @admin.action(description=_("Erase their personal data (keeps statistics)"), permissions=["erase"])
    def erase(self, request, queryset):
        if request.POST.get("confirm") != "yes":
            # Erasure cannot be undone: show what will go and ask first.
            return self._confirmation(
                request, "erase_confirmation.html", _("Erase personal data?"), customers=queryset
            )
        erased = 0
        for customer in queryset.filter(erased_at__isnull=True):
            customer_erase(customer=customer)
            erased += 1
        messages.success(
            request,
            ngettext("%(count)d customer erased.", "%(count)d customers erased.", erased) % {"count": erased},
        )

    @admin.action(description=_("Merge into one customer"), permissions=["merge"])
    def merge(self, request, queryset) -> HttpResponse | None:
        customers = list(queryset.order_by("created_at", "pk"))
        if len(customers) < 2:
            messages.error(request, _("Select at least two customers to merge."))
            return None
        if request.POST.get("confirm") != "yes":
            # A merge cannot be undone: for each choice of the one to keep, say what would move.
            identities = _identities_by_customer(customers)
            try:
                choices = [
                    (
                        customer,
                        moved_text(
                            merge_preview(target=customer, sources=[c for c in customers if c != customer])
                        ),
                        identities[customer.pk],
                    )
                    for customer in customers
                ]
            except ApplicationError as exc:  # an erased customer among them
                messages.error(request, exc.message)
                return None
            return self._confirmation(
                request, "merge_confirmation.html", _("Merge customers?"), choices=choices
            )
        target = next((c for c in customers if str(c.pk) == request.POST.get("target")), None)
        if target is None:
            messages.error(request, _("Choose the customer to keep."))
            return None
        sources = [customer for customer in customers if customer != target]
        try:
            customers_merge(target=target, sources=sources, actor=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return None
        messages.success(
            request,
            ngettext(
                "%(count)d customer merged into “%(customer)s”.",
                "%(count)d customers merged into “%(customer)s”.",
                len(sources),
            )
            % {"count": len(sources), "customer": target},
        )
        return redirect("admin:feedback_customer_change", target.pk)


def _identities_by_customer(customers: list[Customer]) -> dict[int, list[CustomerIdentity]]:
    found: dict[int, list[CustomerIdentity]] = {customer.pk: [] for customer in customers}
    for identity in CustomerIdentity.objects.filter(customer__in=customers):
        found[identity.customer_id].append(identity)
    return found
