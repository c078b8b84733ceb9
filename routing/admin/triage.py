"""Triage model versions in the admin: what each learnt and scored, which is live, rollback, retraining.

Versions come from training only: nobody adds one, edits a model or
deletes one (an older version is what a rollback goes back to). Making a
version live and training a new one need ``routing.change_triageversion``;
comparing a version on past cases lists cases of every department, so it is
for those who see all cases.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cxportal.errors import ApplicationError
from cxportal.tasks import queue

from ..learning import triage_promote
from ..models import TriageVersion
from ..selectors import sees_all_departments
from ..tasks import retrain_triage
from ..triage_compare import MAX_CASES, triage_compare


def _percent(value) -> str:
    return f"{100 * value:.1f} %"


@admin.register(TriageVersion)
class TriageVersionAdmin(admin.ModelAdmin):
    list_display = (
        "version",
        "status",
        "created_at",
        "corpus_examples",
        "case_examples",
        "corrections",
        "accuracy",
        "promoted_at",
        "promoted_by",
    )
    list_filter = ("status",)
    list_select_related = ("promoted_by",)
    fields = (
        "version",
        "status",
        "created_at",
        "train_seconds",
        "corpus_examples",
        "case_examples",
        "corrections",
        "evaluation_summary",
        "note",
        "promoted_at",
        "promoted_by",
    )
    readonly_fields = tuple(name for name in fields if name != "note")
    actions = ["make_live"]

    def get_queryset(self, request):
        # A model is megabytes: only the comparison reads it.
        return super().get_queryset(request).defer("blob")

    def has_add_permission(self, request):
        return False  # versions come from training

    def has_delete_permission(self, request, obj=None):
        return False  # an older version is what a rollback goes back to

    def may_compare(self, request) -> bool:
        # The page lists cases of every department.
        return self.has_view_permission(request) and sees_all_departments(request.user)

    def get_urls(self):
        def wrap(view):
            return self.admin_site.admin_view(view)

        return [
            path("train/", wrap(self.train_view), name="routing_triageversion_train"),
            path(
                "<int:object_id>/make-live/",
                wrap(self.make_live_view),
                name="routing_triageversion_make_live",
            ),
            path("<int:object_id>/compare/", wrap(self.compare_view), name="routing_triageversion_compare"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "may_train": self.has_change_permission(request)}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "may_compare": self.may_compare(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        # Only the note is staff's to write; the status belongs to promotion.
        if "note" in form.changed_data:
            obj.save(update_fields=["note"])

    @admin.display(description=gettext_lazy("right on recent cases"))
    def accuracy(self, obj: TriageVersion) -> str:
        value = (obj.evaluation or {}).get("candidate_accuracy")
        return _percent(value) if isinstance(value, int | float) else "—"

    @admin.display(description=gettext_lazy("evaluation"))
    def evaluation_summary(self, obj: TriageVersion) -> str:
        evaluation = dict(obj.evaluation or {})
        lines = []
        holdout = evaluation.pop("holdout", None)
        accuracy = evaluation.pop("candidate_accuracy", None)
        live_accuracy = evaluation.pop("live_accuracy", None)
        live_version = evaluation.pop("live_version", None)
        if accuracy is not None:
            lines.append(
                _("Right on %(accuracy)s of the %(cases)s most recent settled cases (not learnt from).")
                % {"accuracy": _percent(accuracy), "cases": holdout}
            )
            if live_accuracy is not None:
                lines.append(
                    _("The live model then, v%(version)s: %(accuracy)s.")
                    % {"version": live_version, "accuracy": _percent(live_accuracy)}
                )
        else:
            lines.append(_("Not compared with another model when it was trained."))
        # Anything a later version of the training adds, shown as it is.
        lines += [f"{key}: {value}" for key, value in evaluation.items()]
        return format_html_join("", "<p>{}</p>", ((line,) for line in lines))

    @admin.action(description=gettext_lazy("Make the selected version live"), permissions=["change"])
    def make_live(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one version to make live."), messages.WARNING)
            return None
        # The same confirmation page as the button on the version's page.
        return redirect("admin:routing_triageversion_make_live", queryset.get().pk)

    def _context(self, request, title: str, **extra) -> dict:
        return {**self.admin_site.each_context(request), "opts": self.opts, "title": title, **extra}

    def make_live_view(self, request, object_id):
        """GET asks to confirm (and warns about a rejected version); POST makes the version live."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        version = get_object_or_404(self.get_queryset(request), pk=object_id)
        if request.method == "POST":
            triage_promote(version=version, actor=request.user)
            self.log_change(request, version, _("Made live."))
            self.message_user(
                request,
                _("Version %(version)d is live: new cases are routed with it.")
                % {"version": version.version},
                messages.SUCCESS,
            )
            return redirect("admin:routing_triageversion_changelist")
        live = TriageVersion.objects.filter(status=TriageVersion.Status.LIVE).defer("blob").first()
        context = self._context(
            request,
            _("Make version %(version)d live?") % {"version": version.version},
            original=version,
            live=live,
        )
        return TemplateResponse(request, "admin/routing/triageversion/make_live.html", context)

    def train_view(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_change_permission(request):
            raise PermissionDenied
        queue(retrain_triage)
        self.message_user(
            request,
            _(
                "Training a new model has been queued. It appears here in a few minutes and goes live "
                "only if it is right at least as often as the live model."
            ),
            messages.SUCCESS,
        )
        return redirect("admin:routing_triageversion_changelist")

    def compare_view(self, request, object_id):
        if not self.may_compare(request):
            raise PermissionDenied
        version = get_object_or_404(TriageVersion, pk=object_id)
        try:
            comparison = triage_compare(version=version)
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return redirect("admin:routing_triageversion_change", version.pk)
        context = self._context(
            request,
            _("Version %(version)d on past cases") % {"version": version.version},
            original=version,
            comparison=comparison,
            max_cases=MAX_CASES,
        )
        return TemplateResponse(request, "admin/routing/triageversion/compare.html", context)
