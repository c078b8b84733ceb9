"""Rules in the admin: validated conditions, actions, history, list tools."""

from datetime import timedelta
from typing import TYPE_CHECKING

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cxportal.errors import ApplicationError

from ..models import Rule, RuleCondition
from ..rulefile import rule_to_dict, spec_from_dict
from ..rules import FIELDS, OPERATORS, RuleError, compile_condition, validate_rule
from ..transfer import rule_clone
from ..versions import rule_check_write, rule_may_publish, rule_save_version, rule_set_enabled
from .rule_pages import RulePagesMixin, rule_form_dict

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


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
        help_texts = {
            "group": _(
                "A rule matches when all its “All of” conditions hold, at least one of its “Any of” "
                "conditions holds (if it has any) and none of its “None of” conditions holds."
            )
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field_choices = [(name, label) for name, (_kind, label) in FIELDS.items()]
        operator_choices = list(OPERATORS.items())
        self.fields["field"].widget.choices = _with_current(field_choices, self.instance.field)
        self.fields["operator"].widget.choices = _with_current(operator_choices, self.instance.operator)
        # A blank row's selects post their first option; as the initial value
        # too, an untouched extra row counts as unchanged and is ignored.
        self.fields["field"].initial = field_choices[0][0]
        self.fields["operator"].initial = operator_choices[0][0]

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
            "set_sla_policy",
            "add_watchers",
            "notify_users",
        ]

    # False (set per request by ``RuleAdmin.get_form``) for those who may only
    # write drafts: the switch is shown but not theirs to flip.
    may_publish = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.may_publish and "enabled" in self.fields:
            # A disabled field ignores what is posted and keeps its initial value,
            # which for a new rule must be "off", not the model's default.
            self.fields["enabled"].disabled = True
            self.fields["enabled"].help_text = _("Saved as a draft: an administrator switches rules on.")
            if self.instance._state.adding:
                self.initial["enabled"] = False

    def clean(self):
        cleaned = super().clean()
        # Conditions are checked one by one in the inline; this checks the rule does something.
        try:
            validate_rule(spec_from_dict(rule_form_dict(cleaned), id=self.instance.pk or 0))
        except RuleError as exc:
            raise ValidationError(exc.message, code=exc.code) from None
        return cleaned


UNUSED_DAYS = 30


def unused_q(*, now) -> Q:
    """Rules that matched nothing for 30 days, or never and unchanged for 30 days.

    A rule has no creation date; ``updated_at`` stands in for it, so a rule
    just written or edited gets its 30 days before it is called unused.
    """
    cutoff = now - timedelta(days=UNUSED_DAYS)
    return Q(last_matched_at__lt=cutoff) | Q(last_matched_at__isnull=True, updated_at__lt=cutoff)


class RuleListForm(forms.ModelForm):
    """A row of the editable rule list; a live rule's order is read-only for draft writers."""

    may_publish = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Order decides which rule wins, so reordering a live rule changes routing.
        if not self.may_publish and self.instance.enabled:
            for field in self.fields.values():
                field.disabled = True


class UnusedFilter(admin.SimpleListFilter):
    title = _("Unused for 30 days")
    parameter_name = "unused"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(unused_q(now=timezone.now()))
        if self.value() == "no":
            return queryset.exclude(unused_q(now=timezone.now()))
        return queryset


@admin.register(Rule)
class RuleAdmin(RulePagesMixin, admin.ModelAdmin):
    form = RuleForm
    list_display = (
        "name",
        "order",
        "enabled",
        "set_department",
        "set_priority",
        "stop_processing",
        "hit_count",
        "last_matched",
        "version",
        "updated_at",
    )
    list_editable = ("order",)
    list_filter = ("enabled", UnusedFilter, "set_department")
    list_select_related = ("set_department",)
    search_fields = ("name", "conditions__value")
    filter_horizontal = ("add_tags", "add_watchers", "notify_users")
    readonly_fields = ("version", "updated_at", "hit_count", "last_matched_at")
    inlines = [RuleConditionInline]
    actions = ["enable_rules", "disable_rules", "clone_rules"]
    fieldsets = (
        (None, {"fields": ("name", "order", "enabled", "stop_processing")}),
        (_("Classify"), {"fields": ("add_tags", "set_priority")}),
        (_("Route"), {"fields": ("set_department", "override_department", "set_sla_policy")}),
        (_("Tell people"), {"fields": ("add_watchers", "notify_users")}),
        (_("History"), {"fields": ("version", "updated_at", "hit_count", "last_matched_at")}),
    )

    @admin.display(description=_("last matched"), ordering="last_matched_at")
    def last_matched(self, obj: Rule) -> "StrOrPromise":
        when = (
            date_format(timezone.localtime(obj.last_matched_at), "SHORT_DATE_FORMAT")
            if obj.last_matched_at
            else _("never")
        )
        cutoff = timezone.now() - timedelta(days=UNUSED_DAYS)
        unused = (obj.last_matched_at or obj.updated_at) < cutoff
        if unused:
            return format_html(
                '{} <strong class="rule-unused">⚠ {}</strong>',
                when,
                _("unused for 30 days"),
            )
        return when

    # Any enabled rule can divert any team's cases: switching rules on and off,
    # changing or deleting live rules and importing need ``publish_rule``.
    def has_publish_permission(self, request) -> bool:
        return rule_may_publish(request.user)

    def has_change_permission(self, request, obj: Rule | None = None) -> bool:
        if obj is not None and obj.enabled and not self.has_publish_permission(request):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj: Rule | None = None) -> bool:
        if obj is not None and obj.enabled and not self.has_publish_permission(request):
            return False
        return super().has_delete_permission(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if self.has_publish_permission(request):
            return form
        return type(form.__name__, (form,), {"may_publish": False})

    def get_changelist_form(self, request, **kwargs):
        form = super().get_changelist_form(request, form=RuleListForm, **kwargs)
        return type(form.__name__, (form,), {"may_publish": self.has_publish_permission(request)})

    # Every change keeps the previous version: the state is read before the
    # change is written, and stored (with what changed) once it is.
    def save_model(self, request, obj, form, change):
        was_enabled = False
        if change:
            form.rule_before = rule_to_dict(Rule.objects.get(pk=obj.pk))
            was_enabled = form.rule_before["enabled"]
        # The form already keeps drafts off; this holds even for a crafted request.
        rule_check_write(actor=request.user, was_enabled=was_enabled, enabled=obj.enabled)
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        rule_check_write(actor=request.user, was_enabled=obj.enabled, enabled=False)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        if queryset.filter(enabled=True).exists():
            rule_check_write(actor=request.user, was_enabled=True, enabled=False)
        super().delete_queryset(request, queryset)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change:
            rule_save_version(rule=form.instance, actor=request.user, before=form.rule_before)

    @admin.action(description=_("Enable selected rules"), permissions=["publish"])
    def enable_rules(self, request, queryset):
        self._set_enabled(request, queryset, True)

    @admin.action(description=_("Disable selected rules"), permissions=["publish"])
    def disable_rules(self, request, queryset):
        self._set_enabled(request, queryset, False)

    def _set_enabled(self, request, queryset, enabled: bool) -> None:
        changed = 0
        for rule in queryset:
            if rule_set_enabled(rule=rule, enabled=enabled, actor=request.user):
                self.log_change(request, rule, [{"changed": {"fields": ["enabled"]}}])
                changed += 1
        message = (
            ngettext("%(n)d rule enabled.", "%(n)d rules enabled.", changed)
            if enabled
            else ngettext("%(n)d rule disabled.", "%(n)d rules disabled.", changed)
        )
        self.message_user(request, message % {"n": changed}, messages.SUCCESS)

    @admin.action(description=_("Clone selected rules (copies start disabled)"), permissions=["add"])
    def clone_rules(self, request, queryset):
        for rule in queryset:
            try:
                copy = rule_clone(rule=rule)
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                continue
            self.log_addition(request, copy, [{"added": {}}])
            self.message_user(
                request,
                format_html(
                    _('Created {} (disabled): <a href="{}">edit it</a>.'),
                    copy.name,
                    reverse("admin:routing_rule_change", args=[copy.pk]),
                ),
                messages.SUCCESS,
            )
