"""The customer list's actions: export, erase and merge, each confirmed first when it cannot be undone."""

from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cxportal.errors import ApplicationError

from ..identity import customers_merge, merge_preview
from ..models import Customer, CustomerIdentity
from ..privacy import customer_erase, customer_export

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    # The mixin only ever runs inside CustomerAdmin: type it as the ModelAdmin it extends.
    _CustomerAdminBase = admin.ModelAdmin[Customer]
else:
    _CustomerAdminBase = object


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


class CustomerActionsMixin(_CustomerAdminBase):
    """The actions of ``CustomerAdmin``, their permissions and their confirmation pages."""

    def has_export_permission(self, request) -> bool:
        return request.user.has_perm("feedback.export_customer")

    def has_erase_permission(self, request) -> bool:
        return request.user.has_perm("feedback.erase_customer")

    def has_merge_permission(self, request) -> bool:
        return request.user.has_perm("feedback.merge_customer")

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
