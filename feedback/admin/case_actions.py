"""The case list's actions: take ownership and change status, always through the services."""

from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cxportal.errors import ApplicationError

from ..models import Case, Status
from ..services import case_change_status, case_take_ownership

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    # The mixin only ever runs inside CaseAdmin: type it as the ModelAdmin it extends.
    _CaseAdminBase = admin.ModelAdmin[Case]
else:
    _CaseAdminBase = object


class CaseActionsMixin(_CaseAdminBase):
    """The bulk actions of ``CaseAdmin``: every status change goes through the services."""

    def _apply(self, request: HttpRequest, queryset: QuerySet[Case], change: Callable[[Case], bool]) -> None:
        changed = 0
        for case in queryset:
            try:
                changed += bool(change(case))
            except ApplicationError as exc:
                messages.error(request, _("%(case)s: %(error)s") % {"case": case, "error": exc.message})
        if changed:
            messages.success(
                request,
                ngettext("%(count)d case updated.", "%(count)d cases updated.", changed) % {"count": changed},
            )

    def _change_status(self, request: HttpRequest, queryset: QuerySet[Case], status: str) -> None:
        def change(case: Case) -> bool:
            before = case.status
            # Admin actions run behind admin_view: the user is a signed-in member of staff.
            case_change_status(case=case, status=status, actor=cast("User", request.user))
            return case.status != before

        self._apply(request, queryset, change)

    @admin.action(description=_("Take ownership"), permissions=["change"])
    def take_ownership(self, request, queryset):
        def change(case: Case) -> bool:
            before = case.owner_id
            case_take_ownership(case=case, user=request.user)
            return case.owner_id != before

        self._apply(request, queryset, change)

    @admin.action(description=_("Mark in progress"), permissions=["change"])
    def mark_in_progress(self, request, queryset):
        self._change_status(request, queryset, Status.IN_PROGRESS)

    @admin.action(description=_("Mark waiting on customer"), permissions=["change"])
    def mark_waiting(self, request, queryset):
        self._change_status(request, queryset, Status.WAITING)

    @admin.action(description=_("Mark resolved"), permissions=["change"])
    def mark_resolved(self, request, queryset):
        self._change_status(request, queryset, Status.RESOLVED)

    @admin.action(description=_("Close"), permissions=["change"])
    def close(self, request, queryset):
        self._change_status(request, queryset, Status.CLOSED)

    @admin.action(description=_("Reopen"), permissions=["change"])
    def reopen(self, request, queryset):
        def change(case: Case) -> bool:
            if case.is_open:
                raise ApplicationError(_("Only resolved or closed cases can be reopened."), code="not_closed")
            case_change_status(case=case, status=Status.IN_PROGRESS, actor=request.user)
            return True

        self._apply(request, queryset, change)
