"""Routing rules, their conditions, saved versions and what-if trials."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .organisation import Department, Priority, SLAPolicy, Tag


class Rule(models.Model):
    """A routing rule as staff edit it; compiled into ``routing.rules.RuleSpec``."""

    name = models.CharField(_("name"), max_length=200)
    order = models.PositiveIntegerField(_("order"), default=100, db_index=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    stop_processing = models.BooleanField(_("stop processing further rules"), default=False)
    add_tags = models.ManyToManyField(Tag, blank=True, verbose_name=_("add tags"))
    set_priority = models.CharField(_("set priority"), max_length=10, choices=Priority.choices, blank=True)
    set_department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("set department"),
    )
    override_department = models.BooleanField(
        _("override an earlier department"),
        default=False,
        help_text=_("By default the first matching rule that sets a department wins."),
    )
    set_sla_policy = models.ForeignKey(
        SLAPolicy,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("set SLA policy"),
        help_text=_("Instead of the department's own policy."),
    )
    add_watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        verbose_name=_("add watchers"),
        help_text=_("Copied on the case and its updates."),
    )
    notify_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        verbose_name=_("notify"),
        help_text=_("Told once that the case matched this rule."),
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Kept by routing: how often the rule matched and when it last did.
    hit_count = models.PositiveIntegerField(_("matches"), default=0, editable=False)
    last_matched_at = models.DateTimeField(_("last matched"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("rule")
        verbose_name_plural = _("rules")
        ordering = ["order", "id"]
        # Any enabled rule can divert any team's cases (conditions match every
        # case; order and override decide), so switching rules on, changing live
        # ones and importing are for administrators; add/change_rule only drafts.
        permissions = [("publish_rule", _("Can enable, import and change live rules"))]

    def __str__(self) -> str:
        return self.name


class RuleVersion(models.Model):
    """A rule as it was before a change: who changed it, when, and what."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField(_("version"))
    # The whole rule (fields, conditions, actions) as export_rules writes it.
    snapshot = models.JSONField(_("snapshot"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)
    summary = models.TextField(_("what changed"), blank=True)

    class Meta:
        verbose_name = _("rule version")
        verbose_name_plural = _("rule versions")
        ordering = ["rule", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "version"], name="one_snapshot_per_rule_version")
        ]

    def __str__(self) -> str:
        return f"{self.rule} v{self.version}"


class RuleTrial(models.Model):
    """A what-if run: a draft rule tried on past cases, without side effects."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="trials", null=True, blank=True)
    # The rule as tried (it may be an unsaved draft or an edit).
    draft = models.JSONField(_("rule tried"))
    days = models.PositiveIntegerField(_("days back"), default=90)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    # Counts of cases whose tags, department or priority would change.
    summary = models.JSONField(default=dict, blank=True)
    # The same counts per department of the case ("" for unrouted cases): the
    # results page adds up only the departments the viewer may see.
    by_department = models.JSONField(default=dict, blank=True)
    # Up to a few hundred changed cases per department, for the results page.
    changes = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # When a worker claimed it: a trial running for longer than the task's hard
    # limit has lost its worker (the sweep fails it).
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("what-if trial")
        verbose_name_plural = _("what-if trials")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.draft.get('name', '?')} ({self.days} d)"


class RuleCondition(models.Model):
    class Group(models.TextChoices):
        ALL = "all", _("All of")
        ANY = "any", _("Any of")
        NONE = "none", _("None of")

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="conditions")
    group = models.CharField(_("group"), max_length=4, choices=Group.choices, default=Group.ALL)
    field = models.CharField(_("field"), max_length=40)
    operator = models.CharField(_("operator"), max_length=20)
    value = models.TextField(
        _("value"),
        help_text=_("Words and phrases separated by commas; end a word with * to match its prefix."),
    )

    class Meta:
        verbose_name = _("condition")
        verbose_name_plural = _("conditions")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.field} {self.operator} {self.value}"
