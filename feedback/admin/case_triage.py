"""The triage model on the case page: why the case went where it did, and its suggestion in one click.

``Case.decision["triage"]`` keeps what the model said when the case was
routed (``routing.triage.hybrid.Triage.as_dict``); this module puts it in
words. Every value is escaped: the words that weighed most are the
customer's own.
"""

from typing import TYPE_CHECKING, cast

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cxportal.errors import ApplicationError
from routing.learning import case_accept_suggestion
from routing.models import Department
from routing.triage import FALLBACK, MODEL, RULE

from ..models import Case

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    # The mixin only ever runs inside CaseAdmin: type it as the ModelAdmin it extends.
    _CaseAdminBase = admin.ModelAdmin[Case]
else:
    _CaseAdminBase = object


def _percent(value: float | None) -> int:
    return round(100 * (value or 0))


def department_names(slugs) -> dict[str, str]:
    """Department names by slug; a slug no department has any more stays as it is."""
    slugs = {slug for slug in slugs if slug}
    return dict(Department.objects.filter(slug__in=slugs).values_list("slug", "name")) if slugs else {}


def suggestion_of(case: Case) -> str:
    """The model's suggested department while the case still waits in the fallback department."""
    triage = (case.decision or {}).get("triage") or {}
    if case.department is None or not case.department.is_fallback:
        return ""
    return triage.get("suggestion") or ""


def describe_triage(decision: dict) -> SafeString | str:
    """What the model said about a case and who decided, as escaped HTML ("" before the model existed)."""
    triage = decision.get("triage")
    if not triage:
        return ""
    prediction = triage.get("prediction") or {}
    ranked = sorted((prediction.get("probabilities") or {}).items(), key=lambda kv: kv[1], reverse=True)
    suggestion = triage.get("suggestion") or ""
    names = department_names(
        [
            triage.get("department"),
            suggestion,
            prediction.get("department"),
            *(slug for slug, _p in ranked[:2]),
        ]
    )

    def name(slug: str) -> str:
        return names.get(slug, slug)

    lines = [_who_decided(decision, triage, has_prediction=bool(prediction))]
    if not prediction:
        lines.append(_("No triage model was live when the case was routed."))
    else:
        lines.append(
            _("Model v%(version)s: probably %(department)s, %(confidence)d %%.")
            % {
                "version": triage.get("version") or "?",
                "department": name(prediction.get("department", "")),
                "confidence": _percent(prediction.get("confidence")),
            }
        )
        if len(ranked) > 1:
            slug, probability = ranked[1]
            lines.append(
                _("Next best: %(department)s, %(confidence)d %%.")
                % {"department": name(slug), "confidence": _percent(probability)}
            )
        if prediction.get("words"):
            lines.append(
                _("Words that weighed most: %(words)s.") % {"words": ", ".join(map(str, prediction["words"]))}
            )
        if triage.get("threshold") is not None:
            lines.append(
                _("Confidence needed to route to %(department)s: %(threshold)d %%.")
                % {
                    "department": name(prediction.get("department", "")),
                    "threshold": _percent(triage["threshold"]),
                }
            )
        if triage.get("model_tags"):
            lines.append(_("Tags added by the model: %(tags)s.") % {"tags": ", ".join(triage["model_tags"])})
    if suggestion:
        lines.append(_("Suggestion: %(department)s.") % {"department": name(suggestion)})
    return format_html(
        '<div class="triage-explanation">{}</div>',
        format_html_join("", "<p>{}</p>", ((line,) for line in lines)),
    )


def _who_decided(decision: dict, triage: dict, *, has_prediction: bool) -> str:
    decided_by = triage.get("decided_by")
    if decided_by == RULE:
        rule = next(
            (
                m.get("name")
                for m in decision.get("matches") or []
                if m.get("rule_id") == decision.get("department_rule_id")
            ),
            None,
        )
        if rule:
            return _("Decided by the rule “%(rule)s”.") % {"rule": rule}
        return _("Decided by a rule.")
    if decided_by == MODEL:
        return _("Decided by the triage model: no rule set a department.")
    if decided_by == FALLBACK and triage.get("suggestion"):
        return _("Fallback department: no rule set a department and the model was not sure enough.")
    if has_prediction:
        return _("Fallback department: no rule set a department and the model named no other one.")
    return _("Fallback department: no rule set a department.")


class CaseTriageMixin(_CaseAdminBase):
    """The "Accept suggestion" button of ``CaseAdmin``: one POST re-routes the case.

    The button is a field of the Routing section, shown only to those who
    may change the case while it waits in the fallback department with a
    suggestion; it submits a small form outside the change form
    (``templates/admin/feedback/case/change_form.html``), so nothing else
    the user typed on the page is posted with it.
    """

    accept_field = "accept_suggestion"

    def get_urls(self):
        return [
            path(
                "<int:object_id>/accept-suggestion/",
                self.admin_site.admin_view(self.accept_suggestion_view),
                name="feedback_case_accept_suggestion",
            ),
            *super().get_urls(),
        ]

    def may_accept_suggestion(self, request: HttpRequest, case: Case | None) -> bool:
        return case is not None and bool(suggestion_of(case)) and self.has_change_permission(request, case)

    def with_accept_button(self, fieldsets, request: HttpRequest, case: Case | None):
        """``fieldsets`` with the button under the routing decision, when it applies."""
        if not self.may_accept_suggestion(request, case):
            return fieldsets
        return [
            (name, {**options, "fields": (*options["fields"], self.accept_field)})
            if "routing_decision" in options["fields"]
            else (name, options)
            for name, options in fieldsets
        ]

    @admin.display(description=gettext_lazy("model's suggestion"))
    def accept_suggestion(self, obj: Case) -> SafeString:
        slug = suggestion_of(obj)
        department = department_names([slug]).get(slug, slug)
        return format_html(
            '<button type="submit" form="accept-suggestion" class="button" id="accept-suggestion-button">{}'
            '</button><div class="help">{}</div>',
            _("Accept suggestion: %(department)s") % {"department": department},
            _("Re-routes the case there; that department's owner gets it and is told."),
        )

    def accept_suggestion_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        case = self.get_object(request, str(object_id))  # scoped: another department's case is a 404
        if case is None:
            raise Http404
        if not self.has_change_permission(request, case):
            raise PermissionDenied
        try:
            if case.department is not None and not case.department.is_fallback:
                # Someone moved it already: a stale page must not move it again.
                raise ApplicationError(
                    _("The case has already left the fallback department."), code="not_in_fallback"
                )
            # Behind admin_view: the user is a signed-in member of staff.
            case = case_accept_suggestion(case=case, actor=cast("User", request.user))
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(
                request, _("Re-routed to %(department)s.") % {"department": case.department}, messages.SUCCESS
            )
        # Moved out of the user's departments: its page would only say it does not exist.
        if not self.get_queryset(request).filter(pk=case.pk).exists():
            return redirect("admin:feedback_case_changelist")
        return redirect("admin:feedback_case_change", case.pk)
