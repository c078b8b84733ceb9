"""The case list's filters: overdue, and the departments the user may see."""

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from routing.selectors import departments_of, sees_all_departments

from ..selectors import overdue_q


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(overdue_q(now=timezone.now()))
        if self.value() == "no":
            return queryset.exclude(overdue_q(now=timezone.now()))
        return queryset


class DepartmentFilter(admin.RelatedFieldListFilter):
    """Offers only the departments the user may see."""

    def __init__(self, field, request, *args, **kwargs):
        self.sees_all = sees_all_departments(request.user)
        super().__init__(field, request, *args, **kwargs)

    @property
    def include_empty_choice(self):
        # Cases without a department (not routed yet) are only for those who see all.
        return self.sees_all

    def field_choices(self, field, request, model_admin):
        return [(d.pk, str(d)) for d in departments_of(request.user).order_by("name")]
