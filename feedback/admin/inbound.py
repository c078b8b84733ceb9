"""Inbound emails: what the mailbox and the webhook received, and what became of each.

Read-only: the rows are the proof that a message was processed once. They
name senders and subjects of every department, so only users who see every
department's cases may list them.
"""

from django.contrib import admin

from routing.selectors import sees_all_departments

from ..models import InboundEmail


@admin.register(InboundEmail)
class InboundEmailAdmin(admin.ModelAdmin):
    list_display = ("received_at", "sender", "subject", "outcome", "reason", "case", "mailbox")
    list_filter = ("outcome", "mailbox")
    search_fields = ("sender", "subject", "message_id", "case__reference")
    date_hierarchy = "received_at"
    list_select_related = ("case",)
    fields = ("received_at", "mailbox", "message_id", "sender", "subject", "outcome", "reason", "case")
    readonly_fields = fields

    def has_module_permission(self, request) -> bool:
        return sees_all_departments(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return sees_all_departments(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
