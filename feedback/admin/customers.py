"""Customers in the admin: the 360° view, scoped to the cases the user may see."""

from django.contrib import admin, messages
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from routing.selectors import sees_all_departments

from ..models import Case, Customer
from ..privacy import customer_erase, customer_export
from ..selectors import cases_visible_to
from .cases import ReadOnlyInline


class CustomerCaseInline(ReadOnlyInline):
    """The customer's cases this user may see: the 360° view, scoped."""

    model = Case
    fields = ("reference", "subject", "kind", "status", "department", "created_at")
    readonly_fields = fields
    show_change_link = True
    verbose_name_plural = _("cases")

    def get_queryset(self, request):
        return cases_visible_to(request.user).select_related("department")


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "phone", "customer_number", "segment", "language", "created_at")
    search_fields = ("name", "email", "phone", "customer_number")
    search_help_text = _("Name, email, phone or customer number.")
    readonly_fields = ("created_at",)
    inlines = [CustomerCaseInline]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if sees_all_departments(request.user):
            return queryset
        # Only customers with at least one case this user may see.
        return queryset.filter(pk__in=cases_visible_to(request.user).values("customer_id"))

    actions = ["export_json", "erase"]

    def has_delete_permission(self, request, obj=None):
        return False  # their cases keep them; nothing may be lost

    def has_export_permission(self, request) -> bool:
        return request.user.has_perm("feedback.export_customer")

    def has_erase_permission(self, request) -> bool:
        return request.user.has_perm("feedback.erase_customer")

    @admin.action(description=_("Export everything about them (JSON)"), permissions=["export"])
    def export_json(self, request, queryset):
        data = [customer_export(customer=customer) for customer in queryset]
        response = JsonResponse(data, safe=False, json_dumps_params={"ensure_ascii": False, "indent": 2})
        response["Content-Disposition"] = 'attachment; filename="customers.json"'
        return response

    @admin.action(description=_("Erase their personal data (keeps statistics)"), permissions=["erase"])
    def erase(self, request, queryset):
        if request.POST.get("confirm") != "yes":
            # Erasure cannot be undone: show what will go and ask first.
            context = {
                **self.admin_site.each_context(request),
                "title": _("Erase personal data?"),
                "customers": queryset,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/feedback/customer/erase_confirmation.html", context)
        erased = 0
        for customer in queryset.filter(erased_at__isnull=True):
            customer_erase(customer=customer)
            erased += 1
        messages.success(
            request,
            ngettext("%(count)d customer erased.", "%(count)d customers erased.", erased) % {"count": erased},
        )
