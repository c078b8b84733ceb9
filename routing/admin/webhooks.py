"""Webhook destinations: where case events are posted, and whether they still work."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..models import WebhookDestination
from ..signals import rules_changed


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
        # update() sends no signal: tell the workers' routing set-up directly.
        rules_changed()
