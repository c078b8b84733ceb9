"""Departments, SLA policies and tags: who is accountable for what, by when."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class SLAPolicy(models.Model):
    """How fast a department promises to answer and to resolve."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    first_response_hours = models.PositiveIntegerField(_("first response within (hours)"))
    resolution_hours = models.PositiveIntegerField(_("resolution within (hours)"))
    # Without a calendar the clock runs 24/7.
    calendar = models.ForeignKey(
        "routing.BusinessCalendar",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="policies",
        verbose_name=_("business hours"),
        help_text=_("Count only working hours. Empty: the clock runs day and night."),
    )

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def targets_for(self, priority: str) -> tuple[int, int]:
        """(first response, resolution) hours for a case of ``priority``.

        A priority target on the policy overrides its general figures.
        """
        for target in self.priority_targets.all():
            if target.priority == priority:
                return target.first_response_hours, target.resolution_hours
        return self.first_response_hours, self.resolution_hours


class SLATarget(models.Model):
    """A policy's targets for one priority (urgent cases answered sooner)."""

    policy = models.ForeignKey(SLAPolicy, on_delete=models.CASCADE, related_name="priority_targets")
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices)
    first_response_hours = models.PositiveIntegerField(_("first response within (hours)"))
    resolution_hours = models.PositiveIntegerField(_("resolution within (hours)"))

    class Meta:
        verbose_name = _("target by priority")
        verbose_name_plural = _("targets by priority")
        constraints = [models.UniqueConstraint(fields=["policy", "priority"], name="one_target_per_priority")]

    def __str__(self) -> str:
        return f"{self.policy} / {self.get_priority_display()}"


class AssignmentMode(models.TextChoices):
    OWNER = "owner", _("The owner (the backup when the owner is absent)")
    ROUND_ROBIN = "round_robin", _("Round robin among members")
    LEAST_OPEN = "least_open", _("The member with the fewest open cases")


class Department(models.Model):
    """A team accountable for a kind of problem, with one owner."""

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), unique=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_departments",
        verbose_name=_("owner"),
    )
    backup_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="backed_up_departments",
        verbose_name=_("backup owner"),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="departments",
        verbose_name=_("members"),
    )
    sla_policy = models.ForeignKey(
        SLAPolicy, on_delete=models.PROTECT, related_name="departments", verbose_name=_("SLA policy")
    )
    is_fallback = models.BooleanField(
        _("fallback"),
        default=False,
        help_text=_("Receives every case no rule sends elsewhere. Exactly one department."),
    )
    assignment_mode = models.CharField(
        _("assignment"),
        max_length=20,
        choices=AssignmentMode.choices,
        default=AssignmentMode.OWNER,
        help_text=_("Members who are absent are skipped."),
    )
    triage_threshold = models.FloatField(
        _("model confidence to route here"),
        default=0.5,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_(
            "When no rule sets a department and the triage model is at least this sure a case "
            "belongs here, it is routed here; below it the case goes to the fallback department "
            "with the model's suggestion. 1 turns automatic routing here off."
        ),
    )
    # Who got the department's previous case, for round robin.
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_fallback"], condition=Q(is_fallback=True), name="one_fallback_department"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    slug = models.SlugField(_("slug"), unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug
