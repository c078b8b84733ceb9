"""Departments, SLA policies, business-hours calendars, absences and tags."""

from django.contrib import admin
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from ..models import (
    Absence,
    BusinessCalendar,
    Department,
    Holiday,
    SLAPolicy,
    SLATarget,
    Tag,
)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "slug",
        "owner",
        "backup_owner",
        "assignment_mode",
        "sla_policy",
        "is_fallback",
        "triage_threshold",
    )
    list_select_related = ("owner", "backup_owner", "sla_policy")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("members",)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "triage_threshold":
            # A fraction, not a percentage: say what its numbers mean.
            field.help_text = format_lazy(
                "{} {}", db_field.help_text, _("From 0 to 1: 0.5 means one chance in two, 0.8 four in five.")
            )
        return field


class SLATargetInline(admin.TabularInline):
    model = SLATarget
    extra = 1


@admin.register(SLAPolicy)
class SLAPolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "first_response_hours", "resolution_hours", "calendar")
    list_select_related = ("calendar",)
    search_fields = ("name",)
    inlines = [SLATargetInline]


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 1


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "time_zone", "opens_at", "closes_at")
    search_fields = ("name",)
    fieldsets = (
        (None, {"fields": ("name", "time_zone", ("opens_at", "closes_at"))}),
        (_("Working days"), {"fields": (BusinessCalendar.WEEKDAYS,)}),
    )
    inlines = [HolidayInline]


@admin.register(Absence)
class AbsenceAdmin(admin.ModelAdmin):
    """Who is away when: routing gives their cases to the department's backup."""

    list_display = ("user", "starts_at", "ends_at", "note")
    list_select_related = ("user",)
    list_filter = ("starts_at",)
    search_fields = ("user__username", "user__first_name", "user__last_name", "note")
    date_hierarchy = "starts_at"


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("slug", "name")
    search_fields = ("slug", "name")
    prepopulated_fields = {"slug": ("name",)}
