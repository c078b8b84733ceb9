from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from . import sla


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


class Notification(models.Model):
    """One message to one person about one event; the key makes it unique."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        CUSTOMER_EMAIL = "customer_email", _("Email to the customer")
        WEBHOOK = "webhook", _("Webhook")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    case = models.ForeignKey("feedback.Case", on_delete=models.CASCADE, related_name="notifications")
    # Staff are users; a customer email has none (it goes to the case's customer).
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.EMAIL)
    event = models.CharField(_("event"), max_length=40)
    # Which instance of the event: the reply's id, or the due date and step.
    about = models.CharField(_("about"), max_length=60, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # Set for webhook notifications (channel WEBHOOK): where it is posted.
    destination = models.ForeignKey(
        "routing.WebhookDestination",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("webhook"),
    )

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return self.key


class WebhookDestination(models.Model):
    """A URL (a chat tool, an integration) told about case events, signed with a secret.

    Switched off (``disabled_at``) after repeated permanent failures, so a
    dead endpoint stops costing retries; an administrator switches it back on.
    """

    name = models.CharField(_("name"), max_length=100)
    # http(s) only: URLField also takes ftp://, which the POST must never reach.
    url = models.URLField(_("URL"), max_length=500, validators=[URLValidator(schemes=["http", "https"])])
    secret = models.CharField(
        _("secret"), max_length=200, help_text=_("Signs each body: X-CX-Signature: sha256=<HMAC-SHA256>.")
    )
    events = models.JSONField(
        _("events"), default=list, blank=True, help_text=_('Event names, e.g. ["routed", "escalated"].')
    )
    active = models.BooleanField(_("active"), default=True)
    consecutive_failures = models.PositiveIntegerField(_("consecutive failures"), default=0)
    disabled_at = models.DateTimeField(_("switched off"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class BusinessCalendar(models.Model):
    """Working days, hours, holidays and time zone: when the SLA clock runs."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Madrid", help_text=_("For example Europe/Madrid.")
    )
    monday = models.BooleanField(_("Monday"), default=True)
    tuesday = models.BooleanField(_("Tuesday"), default=True)
    wednesday = models.BooleanField(_("Wednesday"), default=True)
    thursday = models.BooleanField(_("Thursday"), default=True)
    friday = models.BooleanField(_("Friday"), default=True)
    saturday = models.BooleanField(_("Saturday"), default=False)
    sunday = models.BooleanField(_("Sunday"), default=False)
    opens_at = models.TimeField(_("opens at"), default=time(9))
    closes_at = models.TimeField(
        _("closes at"), default=time(18), help_text=_("00:00 means midnight at the end of the day.")
    )

    WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

    class Meta:
        verbose_name = _("business-hours calendar")
        verbose_name_plural = _("business-hours calendars")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError({"time_zone": _("Unknown time zone.")}, code="unknown_time_zone") from None
        if self.opens_at and self.closes_at and self.closes_at != time(0) and self.closes_at <= self.opens_at:
            raise ValidationError(
                {"closes_at": _("It must close after it opens.")}, code="closes_before_opens"
            )

    def as_calendar(self) -> sla.Calendar:
        """The plain calendar ``routing.sla`` computes with (one query for the holidays, or none prefetched)."""
        return sla.Calendar(
            time_zone=self.time_zone,
            weekdays=frozenset(n for n, day in enumerate(self.WEEKDAYS) if getattr(self, day)),
            opens=self.opens_at,
            closes=self.closes_at,
            holidays=frozenset(holiday.date for holiday in self.holidays.all()),
        )


class Holiday(models.Model):
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="holidays", verbose_name=_("calendar")
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="one_holiday_per_calendar_day")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}".strip()


class Absence(models.Model):
    """A period a person is away: cases go to the department's backup meanwhile."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="absences", verbose_name=_("person")
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["user", "ends_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="absence_ends_after_it_starts"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.starts_at:%Y-%m-%d} - {self.ends_at:%Y-%m-%d}"

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError(
                {"ends_at": _("An absence must end after it starts.")}, code="ends_before_start"
            )


class StaffPreference(models.Model):
    """A staff member's choices: the language their emails are written in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cx_preference"
    )
    language = models.CharField(
        _("language of emails"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Empty: the site's language."),
    )

    class Meta:
        verbose_name = _("preferences")
        verbose_name_plural = _("preferences")

    def __str__(self) -> str:
        return str(self.user)


class TriageVersion(models.Model):
    """One trained triage model (``routing.triage.TriageModel``), stored for every worker.

    Exactly one version is live; the others are kept so an administrator can
    roll back. Training never replaces a model in place: it adds a version.
    """

    class Status(models.TextChoices):
        LIVE = "live", _("Live")
        CANDIDATE = "candidate", _("Candidate")
        RETIRED = "retired", _("Retired")
        REJECTED = "rejected", _("Rejected: worse than the live model")

    version = models.PositiveIntegerField(_("version"), unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.CANDIDATE)
    # The fitted model, as ``TriageModel.to_bytes`` wrote it.
    blob = models.BinaryField(_("model"), editable=False)
    created_at = models.DateTimeField(_("trained at"), auto_now_add=True)
    train_seconds = models.FloatField(_("training time (s)"), default=0)
    corpus_examples = models.PositiveIntegerField(_("starter corpus messages"), default=0)
    case_examples = models.PositiveIntegerField(_("settled cases"), default=0)
    corrections = models.PositiveIntegerField(_("re-routed cases"), default=0)
    # Candidate and live model on the held-out recent cases.
    evaluation = models.JSONField(_("evaluation"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)
    promoted_at = models.DateTimeField(_("made live"), null=True, blank=True)
    promoted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("made live by"),
    )

    class Meta:
        verbose_name = _("triage model")
        verbose_name_plural = _("triage models")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="live"), name="one_live_triage_model"
            )
        ]

    def __str__(self) -> str:
        return f"v{self.version} ({self.get_status_display()})"
