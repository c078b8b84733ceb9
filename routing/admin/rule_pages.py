"""The rule admin's own pages: export, import, restoring a version, and what-if trials."""

import json
from typing import TYPE_CHECKING

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cxportal.errors import ApplicationError

from ..models import Rule, RuleTrial, RuleVersion
from ..rulefile import rule_to_dict
from ..transfer import rule_restore, rules_export, rules_import_by
from ..versions import rule_changes
from ..whatif import MAX_DAYS, rule_trial_results, rule_trial_start


def rule_form_dict(cleaned: dict) -> dict:
    """The rule form's cleaned data in the ``rule_to_dict`` format (without conditions)."""
    department, policy = cleaned.get("set_department"), cleaned.get("set_sla_policy")
    return {
        "name": cleaned.get("name") or "",
        "order": cleaned.get("order") if cleaned.get("order") is not None else 100,
        "enabled": bool(cleaned.get("enabled")),
        "stop_processing": bool(cleaned.get("stop_processing")),
        "add_tags": sorted(tag.slug for tag in cleaned.get("add_tags") or ()),
        "set_priority": cleaned.get("set_priority") or "",
        "set_department": department.slug if department else None,
        "override_department": bool(cleaned.get("override_department")),
        "set_sla_policy": policy.name if policy else None,
        "add_watchers": sorted(u.get_username() for u in cleaned.get("add_watchers") or ()),
        "notify_users": sorted(u.get_username() for u in cleaned.get("notify_users") or ()),
    }


class RuleImportForm(forms.Form):
    file = forms.FileField(label=_("rules file (JSON)"))
    replace = forms.BooleanField(
        label=_("replace the whole rule set"),
        required=False,
        help_text=_("Rules the file does not name are deleted. Otherwise rules are merged by name."),
    )


class RuleTrialForm(forms.Form):
    trial_days = forms.IntegerField(label=_("days back"), min_value=1, max_value=MAX_DAYS, initial=90)


if TYPE_CHECKING:
    # What the mixin is mixed into; at run time it stays a plain class.
    _RuleAdminBase = admin.ModelAdmin[Rule]
else:
    _RuleAdminBase = object


class RulePagesMixin(_RuleAdminBase):
    """Custom views of ``RuleAdmin``, under its URLs; every one checks the rule permissions."""

    def get_urls(self):
        def wrap(view):
            return self.admin_site.admin_view(view)

        return [
            path("export/", wrap(self.export_view), name="routing_rule_export"),
            path("import/", wrap(self.import_view), name="routing_rule_import"),
            path("try/", wrap(self.trial_start_view), name="routing_rule_try"),
            path("<int:object_id>/try/", wrap(self.trial_start_view), name="routing_rule_try"),
            path("trials/<int:trial_id>/", wrap(self.trial_view), name="routing_rule_trial"),
            path(
                "<int:object_id>/versions/<int:version_id>/restore/",
                wrap(self.restore_view),
                name="routing_rule_restore",
            ),
            *super().get_urls(),
        ]

    def _context(self, request, title: str, **extra) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "has_view_permission": self.has_view_permission(request),
            **extra,
        }

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "trial_form": RuleTrialForm(),
            "rule_versions": RuleVersion.objects.filter(rule_id=object_id).select_related("changed_by")[:50]
            if str(object_id).isdigit()
            else [],
            "rule_trials": RuleTrial.objects.filter(rule_id=object_id)[:5]
            if str(object_id).isdigit()
            else [],
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def add_view(self, request, form_url="", extra_context=None):
        return super().add_view(request, form_url, {**(extra_context or {}), "trial_form": RuleTrialForm()})

    def export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        response = JsonResponse(rules_export(), json_dumps_params={"indent": 2, "ensure_ascii": False})
        response["Content-Disposition"] = f'attachment; filename="rules-{timezone.localdate():%Y-%m-%d}.json"'
        return response

    def import_view(self, request):
        # Imported rules go live (and ``replace`` deletes live ones): administrators only.
        if not (self.has_publish_permission(request) and self.has_add_permission(request)):
            raise PermissionDenied
        form = RuleImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            if form.cleaned_data["replace"] and not self.has_delete_permission(request):
                raise PermissionDenied
            try:
                data = json.loads(form.cleaned_data["file"].read().decode("utf-8"))
                result = rules_import_by(actor=request.user, data=data, replace=form.cleaned_data["replace"])
            except (ValueError, UnicodeDecodeError):
                form.add_error("file", _("The file is not valid JSON."))
            except RecursionError:
                # json.loads gives up on nesting a few thousand levels deep; no rules file has any.
                form.add_error("file", _("The file is nested too deeply to read."))
            except ApplicationError as exc:
                form.add_error("file", ValidationError(exc.message, code=exc.code))
            else:
                self.message_user(
                    request,
                    _("Rules imported: %(created)d new, %(updated)d updated, %(deleted)d deleted.")
                    % {
                        "created": len(result.created),
                        "updated": len(result.updated),
                        "deleted": len(result.deleted),
                    },
                    messages.SUCCESS,
                )
                return redirect("admin:routing_rule_changelist")
        context = self._context(request, _("Import rules"), form=form)
        return TemplateResponse(request, "admin/routing/rule/import.html", context)

    def restore_view(self, request, object_id, version_id):
        rule = get_object_or_404(Rule, pk=object_id)
        if not self.has_change_permission(request, rule):
            raise PermissionDenied
        version = get_object_or_404(RuleVersion, pk=version_id, rule=rule)
        if request.method == "POST":
            try:
                rule_restore(version=version, actor=request.user)
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.log_change(request, rule, _("Restored version %(v)d.") % {"v": version.version})
                self.message_user(
                    request, _("Version %(v)d restored.") % {"v": version.version}, messages.SUCCESS
                )
            return redirect("admin:routing_rule_change", rule.pk)
        context = self._context(
            request,
            _("Restore version %(v)d of “%(rule)s”") % {"v": version.version, "rule": rule.name},
            original=rule,
            version=version,
            changes=rule_changes(rule_to_dict(rule), version.snapshot),
        )
        return TemplateResponse(request, "admin/routing/rule/restore.html", context)

    def trial_start_view(self, request, object_id=None):
        """Try the rule as the form shows it (saved, edited or a new draft) on past cases."""
        rule = get_object_or_404(Rule, pk=object_id) if object_id else None
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_change_permission(request, rule):
            raise PermissionDenied
        back = (
            reverse("admin:routing_rule_change", args=[rule.pk])
            if rule
            else reverse("admin:routing_rule_add")
        )
        draft, errors = self._draft_from_post(request, rule)
        days_form = RuleTrialForm(request.POST)
        if not days_form.is_valid():
            errors = [*errors, *(str(e) for e in days_form.errors.get("trial_days", []))]
        if errors:
            self.message_user(request, " ".join(errors), messages.ERROR)
            return redirect(back)
        trial = rule_trial_start(
            draft=draft, rule=rule, days=days_form.cleaned_data["trial_days"], actor=request.user
        )
        return redirect("admin:routing_rule_trial", trial.pk)

    def _draft_from_post(self, request, rule: Rule | None) -> tuple[dict, list[str]]:
        # The change form posted here (formaction): read it like the admin
        # would, but build a draft dict instead of saving anything.
        form = self.get_form(request, rule, change=rule is not None)(request.POST, instance=rule)
        valid = form.is_valid()
        # ModelAdmin's own helper for the change view; private, so the stubs leave it out.
        formsets, _inlines = self._create_formsets(  # type: ignore[attr-defined]
            request, form.instance, change=rule is not None
        )
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
        conditions = []
        for formset in formsets:
            if not formset.is_valid():
                errors += [
                    str(e) for f in formset.forms for field_errors in f.errors.values() for e in field_errors
                ]
                continue
            for condition in formset.forms:
                data = getattr(condition, "cleaned_data", None)
                if data and not data.get("DELETE") and data.get("field"):
                    conditions.append({k: data[k] for k in ("group", "field", "operator", "value")})
        if not valid:
            return {}, errors or [str(_("The rule has errors."))]
        return {**rule_form_dict(form.cleaned_data), "conditions": conditions}, errors

    def trial_view(self, request, trial_id):
        if not self.has_change_permission(request):
            raise PermissionDenied
        trial = get_object_or_404(RuleTrial.objects.select_related("rule", "requested_by"), pk=trial_id)
        running = trial.status in (RuleTrial.Status.QUEUED, RuleTrial.Status.RUNNING)
        results = rule_trial_results(trial=trial, viewer=request.user)
        context = self._context(
            request,
            _("What-if: %(rule)s") % {"rule": trial.draft.get("name", "")},
            trial=trial,
            original=trial.rule,  # the breadcrumbs' rule (none for a new draft)
            running=running,
            results=results,
            # The running totals count every team's cases: those who do not
            # see every team get a percentage, not the number of cases.
            percent_done=100 * trial.processed // trial.total if trial.total else 0,
        )
        return TemplateResponse(request, "admin/routing/rule/trial.html", context)
