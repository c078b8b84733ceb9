"""Read-only inlines: a case's timeline and a customer's cases."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from ..models import Case, CaseEvent
from ..selectors import cases_visible_to


class ReadOnlyInline(admin.TabularInline):
    """An inline that shows rows and never adds, edits or deletes them."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CaseEventInline(ReadOnlyInline):
    """The timeline: append-only, so nobody adds, edits or deletes a line here."""

    model = CaseEvent
    fields = ("at", "kind", "actor", "details", "is_public")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor", "case")

    @admin.display(description=_("details"))
    def details(self, event: CaseEvent) -> str:
        # A case staff entered says who took it and how, in the reader's language
        # (the stored text is the channel in the language of whoever entered it).
        if event.kind == CaseEvent.Kind.CREATED and event.actor is not None:
            return _("Entered by %(name)s (%(channel)s)") % {
                "name": event.actor.get_full_name() or event.actor.get_username(),
                "channel": event.case.get_channel_display(),
            }
        return event.text


class CustomerCaseInline(ReadOnlyInline):
    """The customer's cases this user may see, across channels, with their survey answers."""

    model = Case
    fields = ("case_reference", "channel", "kind", "status", "department", "created_at", "survey_answers")
    readonly_fields = fields
    verbose_name_plural = _("cases")

    def get_queryset(self, request):
        return cases_visible_to(request.user).select_related("department", "survey").order_by("-created_at")

    @admin.display(description=_("reference"))
    def case_reference(self, case: Case) -> SafeString:
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:feedback_case_change", args=[case.pk]), case.reference
        )

    @admin.display(description=_("survey"))
    def survey_answers(self, case: Case) -> str:
        survey = getattr(case, "survey", None)  # the reverse one-to-one raises when there is none
        if survey is None:
            return "—"
        return f"CSAT {survey.csat} / 5 · NPS {survey.nps} / 10 · CES {survey.ces} / 7"
