"""Departments, SLA policies, business-hours calendars, absences, tags and the notification log."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from feedback.selectors import cases_visible_to

from ..models import (
    Absence,
    BusinessCalendar,
    Department,
    Holiday,
    Notification,
    SLAPolicy,
    SLATarget,
    StaffPreference,
    Tag,
)
from ..selectors import sees_all_departments


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


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """A read-only log of what was sent to whom."""

    list_display = ("key", "case", "recipient", "event", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status", "event", "channel")
    list_select_related = ("case", "recipient")
    search_fields = ("key", "case__reference")
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if sees_all_departments(request.user):
            return queryset
        return queryset.filter(case__in=cases_visible_to(request.user).values("pk"))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class StaffPreferenceInline(admin.StackedInline):
    model = StaffPreference
    can_delete = False


# Staff choose their email language on their user page.
admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class CXUserAdmin(UserAdmin):
    inlines = [*UserAdmin.inlines, StaffPreferenceInline]
