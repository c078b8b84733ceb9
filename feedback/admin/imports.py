"""Case imports in the admin: upload a CSV, follow its progress, read its report.

Everything here needs ``feedback.add_caseimport`` (administrators): imported
cases land in every department and, in route mode, notify their owners.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from cxportal.errors import ApplicationError

from ..imports import case_import_create, case_import_start
from ..models import CaseImport

FINISHED = (CaseImport.State.INVALID, CaseImport.State.DONE, CaseImport.State.FAILED)


class CaseImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("UTF-8, comma or semicolon separated, with a header row. See docs/import-sample.csv."),
    )
    mode = forms.ChoiceField(
        label=_("mode"),
        choices=CaseImport.Mode.choices,
        initial=CaseImport.Mode.HISTORY,
        widget=forms.RadioSelect,
        help_text=_(
            "Route: each case is routed now like a new one (due dates from now; owners are notified, "
            "customers are not written to). History: cases are kept as they "
            "were, with the status, department, owner and tags of the file; nobody is notified."
        ),
    )


def import_progress(case_import: CaseImport) -> dict:
    """What the progress bar polls for."""
    return {
        "state": case_import.state,
        "state_label": str(case_import.get_state_display()),
        "finished": case_import.state in FINISHED,
        "total_rows": case_import.total_rows,
        "done_rows": case_import.done_rows,
        "created_cases": case_import.created_cases,
        "skipped_rows": case_import.skipped_rows,
    }


@admin.register(CaseImport)
class CaseImportAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "mode",
        "state",
        "total_rows",
        "created_cases",
        "skipped_rows",
        "created_by",
        "created_at",
    )
    list_filter = ("state", "mode")
    list_select_related = ("created_by",)

    # Seeing imports (their files hold customers' data) takes what starting one does.
    def has_view_permission(self, request, obj=None):
        return self.has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the record says where imported cases came from

    def get_urls(self):
        return [
            path(
                "<int:object_id>/progress/",
                self.admin_site.admin_view(self.progress_view),
                name="feedback_caseimport_progress",
            ),
            *super().get_urls(),
        ]

    def _context(self, request, title, **extra) -> dict:
        return {**self.admin_site.each_context(request), "opts": self.opts, "title": title, **extra}

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = CaseImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                case_import = case_import_create(
                    upload=form.cleaned_data["file"], mode=form.cleaned_data["mode"], actor=request.user
                )
            except ApplicationError as exc:
                form.add_error(exc.field, exc.message)
            else:
                case_import_start(case_import=case_import)
                return redirect("admin:feedback_caseimport_change", case_import.pk)
        context = self._context(request, _("Import past cases"), form=form)
        return TemplateResponse(request, "admin/feedback/caseimport/upload.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        case_import = self._get_or_deny(request, object_id)
        context = self._context(
            request,
            str(case_import),
            original=case_import,
            progress=import_progress(case_import),
        )
        return TemplateResponse(request, "admin/feedback/caseimport/status.html", context)

    def progress_view(self, request, object_id):
        return JsonResponse(import_progress(self._get_or_deny(request, object_id)))

    def _get_or_deny(self, request, object_id) -> CaseImport:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(CaseImport.objects.select_related("created_by"), pk=object_id)
