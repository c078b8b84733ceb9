"""Configuration in the admin: departments, SLA policies, tags, rules, and the notification log.

A rule is checked by the engine itself (``routing.rules``) before it is
saved, so an invalid rule is refused here with the engine's own message and
never reaches a worker.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from feedback.selectors import cases_visible_to

from .models import Department, Notification, Rule, RuleCondition, SLAPolicy, Tag
from .rules import FIELDS, OPERATORS, RuleError, RuleSpec, compile_condition, validate_rule
from .selectors import sees_all_departments


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "owner", "backup_owner", "sla_policy", "is_fallback")
    list_select_related = ("owner", "backup_owner", "sla_policy")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("members",)


@admin.register(SLAPolicy)
class SLAPolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "first_response_hours", "resolution_hours")
    search_fields = ("name",)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("slug", "name")
    search_fields = ("slug", "name")
    prepopulated_fields = {"slug": ("name",)}


def _with_current(choices: list[tuple[str, object]], current: str) -> list[tuple[str, object]]:
    # A stored value the engine no longer knows stays visible (and is then refused),
    # rather than being silently replaced by the first option.
    if current and current not in dict(choices):
        return [*choices, (current, current)]
    return choices


class RuleConditionForm(forms.ModelForm):
    # Plain text fields with a select widget: an unknown value reaches
    # compile_condition, which explains what is wrong with it.
    field = forms.CharField(label=_("field"), widget=forms.Select)
    operator = forms.CharField(label=_("operator"), widget=forms.Select)

    # Which form field a RuleError is about, by its code.
    ERROR_FIELDS = {"unknown_field": "field", "bad_operator": "operator"}

    class Meta:
        model = RuleCondition
        fields = ["group", "field", "operator", "value"]
        widgets = {"value": forms.Textarea(attrs={"rows": 2, "cols": 60})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field_choices = [(name, label) for name, (_kind, label) in FIELDS.items()]
        operator_choices = list(OPERATORS.items())
        self.fields["field"].widget.choices = _with_current(field_choices, self.instance.field)
        self.fields["operator"].widget.choices = _with_current(operator_choices, self.instance.operator)

    def clean(self):
        cleaned = super().clean()
        field, operator, value = (cleaned.get(name) for name in ("field", "operator", "value"))
        if field and operator and value:
            try:
                compile_condition(field, operator, value)
            except RuleError as exc:
                self.add_error(
                    self.ERROR_FIELDS.get(exc.code, "value"), ValidationError(exc.message, code=exc.code)
                )
        return cleaned


class RuleConditionInline(admin.TabularInline):
    model = RuleCondition
    form = RuleConditionForm
    extra = 1


class RuleForm(forms.ModelForm):
    class Meta:
        model = Rule
        fields = [
            "name",
            "order",
            "enabled",
            "stop_processing",
            "add_tags",
            "set_priority",
            "set_department",
            "override_department",
        ]

    def clean(self):
        cleaned = super().clean()
        department = cleaned.get("set_department")
        spec = RuleSpec(
            id=self.instance.pk or 0,
            name=cleaned.get("name") or "",
            add_tags=tuple(tag.slug for tag in cleaned.get("add_tags") or ()),
            set_priority=cleaned.get("set_priority") or "",
            set_department=department.slug if department else "",
        )
        # Conditions are checked one by one in the inline; this checks the rule does something.
        try:
            validate_rule(spec)
        except RuleError as exc:
            raise ValidationError(exc.message, code=exc.code) from None
        return cleaned


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    form = RuleForm
    list_display = (
        "name",
        "order",
        "enabled",
        "set_department",
        "set_priority",
        "stop_processing",
        "version",
        "updated_at",
    )
    list_filter = ("enabled", "set_department")
    list_select_related = ("set_department",)
    search_fields = ("name", "conditions__value")
    filter_horizontal = ("add_tags",)
    readonly_fields = ("version", "updated_at")
    inlines = [RuleConditionInline]
    fieldsets = (
        (None, {"fields": ("name", "order", "enabled", "stop_processing")}),
        (
            _("Actions"),
            {"fields": ("add_tags", "set_priority", "set_department", "override_department")},
        ),
        (_("History"), {"fields": ("version", "updated_at")}),
    )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Conditions land here, after the rule itself: this is where we know
        # whether anything changed. Cases record the version that matched them.
        if change and (form.has_changed() or any(formset.has_changed() for formset in formsets)):
            Rule.objects.filter(pk=form.instance.pk).update(
                version=F("version") + 1, updated_at=timezone.now()
            )
            form.instance.refresh_from_db(fields=["version", "updated_at"])


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
