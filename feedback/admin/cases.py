"""Cases in the admin: every list, page and search is scoped to the user's departments."""

from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.http import HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from routing.models import Priority
from routing.rules import FIELDS, OPERATORS
from routing.services import case_reroute
from routing.triage import MODEL

from ..models import Case, SurveyResponse
from ..selectors import cases_visible_to
from ..services import case_add_note, case_assign, case_reply
from .case_actions import CaseActionsMixin
from .case_filters import DepartmentFilter, OverdueFilter
from .case_form import CaseForm
from .case_triage import CaseTriageMixin, describe_triage
from .inlines import CaseEventInline
from .staff_entry import StaffEntryMixin

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@admin.register(Case)
class CaseAdmin(StaffEntryMixin, CaseTriageMixin, CaseActionsMixin, admin.ModelAdmin):
    form = CaseForm
    list_display = (
        "reference",
        "subject",
        "kind",
        "status",
        "priority",
        "department",
        "owner",
        "first_response_due_at",
        "resolution_due_at",
        "overdue",
        "created_at",
    )
    list_filter = (
        "status",
        ("department", DepartmentFilter),
        "tags",
        "priority",
        OverdueFilter,
    )
    list_select_related = ("department", "owner")
    search_fields = (
        "reference",
        "subject",
        "message",
        "customer__name",
        "customer__email",
        "customer__phone",
    )
    search_help_text = _("Reference, subject, message, or the customer's name, email or phone.")
    date_hierarchy = "created_at"
    filter_horizontal = ("tags",)
    inlines = [CaseEventInline]
    view_on_site = False  # the case's absolute URL is this admin page
    actions = [
        "take_ownership",
        "mark_in_progress",
        "mark_waiting",
        "mark_resolved",
        "close",
        "reopen",
    ]
    # What staff may write directly; everything else is the system's or a service's.
    editable_fields = ("priority", "department", "owner", "tags")
    fieldsets = (
        (None, {"fields": ("reference", "status", "priority", "department", "owner", "tags")}),
        (
            _("From the customer"),
            {
                "fields": (
                    "customer",
                    "customer_contact",
                    "kind",
                    "channel",
                    "language",
                    "subject",
                    "customer_message",
                    "customer_files",
                    "order_reference",
                    "order_date",
                    "promised_delivery_date",
                    "product",
                    "store",
                )
            },
        ),
        (
            _("Dates"),
            {
                "fields": (
                    "created_at",
                    "routed_at",
                    "first_response_due_at",
                    "resolution_due_at",
                    "first_response_at",
                    "resolved_at",
                    "closed_at",
                )
            },
        ),
        (_("Routing"), {"fields": ("routing_decision",)}),
        (_("Survey"), {"fields": ("survey_answers",)}),
    )
    note_fieldset = (_("Reply and notes"), {"fields": ("reply", "note")})

    def lookup_allowed(self, lookup, value, request=None):
        # The dashboards link to the cases of one tag by its slug.
        return lookup == "tags__slug" or super().lookup_allowed(lookup, value, request)

    def get_queryset(self, request):
        queryset = cases_visible_to(request.user).select_related("customer", "department", "owner")
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset

    def get_fieldsets(self, request, obj=None):
        fieldsets = self.with_accept_button(self.fieldsets, request, obj)
        # The note field only exists on the form of those who may change the case.
        if self.has_change_permission(request, obj):
            return (*fieldsets, self.note_fieldset)
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        fields = flatten_fieldsets(self.fieldsets)
        return [*(name for name in fields if name not in self.editable_fields), self.accept_field]

    def has_delete_permission(self, request, obj=None):
        return False  # nothing may be lost

    @admin.display(boolean=True, description=_("overdue"))
    def overdue(self, obj: Case) -> bool:
        return obj.is_overdue()

    @admin.display(description=_("contact"))
    def customer_contact(self, obj: Case) -> str:
        customer = obj.customer
        return " · ".join(filter(None, (customer.email, customer.phone, customer.customer_number)))

    @admin.display(description=_("message"))
    def customer_message(self, obj: Case) -> str:
        # format_html escapes the customer's text: it is never rendered as HTML.
        return format_html('<div class="cx-pre-wrap">{}</div>', obj.message)

    @admin.display(description=_("attachments"))
    def customer_files(self, obj: Case) -> str:
        files = obj.attachments.all()
        if not files:
            return "—"
        return format_html_join(
            ", ",
            '<a href="{}">{}</a> ({})',
            ((reverse("staff-attachment", args=[f.pk]), f.name, filesizeformat(f.size)) for f in files),
        )

    @admin.display(description=_("survey"))
    def survey_answers(self, obj: Case) -> "StrOrPromise":
        survey = SurveyResponse.objects.filter(case=obj).first()
        if survey is None:
            return _("Not answered.")
        return format_html(
            'CSAT {} / 5 · NPS {} / 10 · CES {} / 7<div class="cx-pre-wrap">{}</div>',
            survey.csat,
            survey.nps,
            survey.ces,
            survey.comment,
        )

    @admin.display(description=_("routing decision"))
    def routing_decision(self, obj: Case) -> "StrOrPromise":
        decision = obj.decision or {}
        if not decision:
            return _("Not routed yet.")
        # What the triage model said, for cases routed since it exists.
        triage = describe_triage(decision)
        matches = decision.get("matches") or []
        if not matches:
            return triage or _("No rule matched: the case went to the fallback department.")
        department_rule = next(
            (m["name"] for m in matches if m.get("rule_id") == decision.get("department_rule_id")), None
        )
        if department_rule is None and (decision.get("triage") or {}).get("decided_by") == MODEL:
            department_rule = _("the triage model")
        summary = format_html(
            "<p>{}: {} · {}: {} · {}: {}</p>",
            _("Tags"),
            ", ".join(decision.get("tags") or []) or "—",
            _("Priority"),
            Priority(decision["priority"]).label if decision.get("priority") in Priority else "—",
            _("Department set by"),
            department_rule or _("no rule (fallback department)"),
        )
        rules = format_html_join("", "<li>{}</li>", ((self._describe_match(m),) for m in matches))
        return format_html("{}{}<ul>{}</ul>", triage, summary, rules)

    @staticmethod
    def _describe_match(match: dict) -> str:
        conditions = format_html_join(
            "",
            "<li>{} {} “{}” → {}</li>",
            (
                (
                    FIELDS.get(c.get("field"), (None, c.get("field")))[1],
                    OPERATORS.get(c.get("operator"), c.get("operator")),
                    c.get("value", ""),
                    ", ".join(str(word) for word in c.get("matched") or []) or "—",
                )
                for c in match.get("conditions") or []
            ),
        )
        return format_html(
            "<strong>{}</strong> ({}) <ul>{}</ul>",
            match.get("name", ""),
            _("version %(version)s") % {"version": match.get("version", "?")},
            conditions,
        )

    def save_model(self, request, obj, form, change):
        # Write only the fields staff may edit, so a status changed meanwhile by
        # a service is never overwritten; the owner goes through case_assign.
        direct = [name for name in form.changed_data if name in ("priority",)]
        if direct:
            obj.save(update_fields=[*direct, "updated_at"])
        if "department" in form.changed_data and obj.department is not None:
            # A move to another department is a re-routing, never a plain save.
            department = obj.department
            obj.department_id = form.initial.get("department")
            case_reroute(case=obj, department=department, actor=request.user)
            return
        new_owner = obj.owner
        if "owner" in form.changed_data and new_owner is not None:
            obj.owner_id = form.initial.get("owner")
            case_assign(case=obj, owner=new_owner, actor=request.user)

    def response_change(self, request, obj):
        # Moved to a department the user is not in: the case is out of their
        # sight now, so its page would only say it does not exist.
        if not cases_visible_to(request.user).filter(pk=obj.pk).exists():
            self.message_user(
                request,
                _("%(case)s was moved to %(department)s.") % {"case": obj, "department": obj.department},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:feedback_case_changelist"))
        return super().response_change(request, obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        reply = form.cleaned_data.get("reply")
        if reply:
            case_reply(case=form.instance, text=reply, actor=request.user)
        note = form.cleaned_data.get("note")
        if note:
            case_add_note(case=form.instance, text=note, actor=request.user)
