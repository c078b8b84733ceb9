"""Customers in the admin: the 360° view, scoped to the cases the user may see."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from routing.selectors import sees_all_departments

from ..models import Case, Customer
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

    def has_delete_permission(self, request, obj=None):
        return False  # their cases keep them; nothing may be lost
