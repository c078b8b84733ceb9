"""The notification log (read-only), webhook destinations, and each staff member's email language."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from feedback.selectors import cases_visible_to
from routing.selectors import sees_all_departments

from .models import Notification, StaffPreference, WebhookDestination
from .signals import destinations_changed


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


@admin.register(WebhookDestination)
class WebhookDestinationAdmin(admin.ModelAdmin):
    list_display = ("name", "url", "active", "consecutive_failures", "disabled_at")
    list_filter = ("active",)
    search_fields = ("name", "url")
    readonly_fields = ("consecutive_failures", "disabled_at", "last_error")
    actions = ("switch_on",)

    @admin.action(description=_("Switch the selected webhooks back on"))
    def switch_on(self, request, queryset):
        # After fixing the endpoint: failures so far no longer count.
        queryset.update(active=True, disabled_at=None, consecutive_failures=0, last_error="")
        # update() sends no signal: tell whoever keeps the subscriptions (routing's set-up).
        destinations_changed.send(sender=WebhookDestination)


class StaffPreferenceInline(admin.StackedInline):
    model = StaffPreference
    can_delete = False


# Staff choose their email language on their user page.
admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class CXUserAdmin(UserAdmin):
    inlines = [*UserAdmin.inlines, StaffPreferenceInline]
