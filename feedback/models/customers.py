"""Customers, the emails, phones and numbers they are recognised by, and the merges that joined them."""

from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .fields import done_by


class Customer(models.Model):
    """One customer identity across channels, matched by email, phone or number."""

    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True, db_index=True)
    customer_number = models.CharField(_("customer number"), max_length=40, blank=True, db_index=True)
    language = models.CharField(_("language"), max_length=8, default="es")
    segment = models.CharField(_("segment"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name"]
        indexes = [
            # customer_find's case-insensitive look-up of customers without identities
            # (iexact is UPPER(...) = UPPER(...) on PostgreSQL): an index, not a scan per new customer.
            models.Index(Upper("email"), name="feedback_customer_email_upper"),
            models.Index(Upper("customer_number"), name="feedback_customer_number_upper"),
        ]
        permissions = [
            ("export_customer", _("Can export everything about a customer")),
            ("erase_customer", _("Can erase a customer's personal data")),
            ("merge_customer", _("Can merge two customers into one")),
        ]

    def __str__(self) -> str:
        return self.name or self.email or self.phone


class CustomerIdentity(models.Model):
    """One way of recognising a customer: an email, a phone or a customer number.

    A customer may have several of each (two emails, home and mobile); each
    normalised value belongs to one customer only, so a message from it
    always lands on the same person.
    """

    class Kind(models.TextChoices):
        EMAIL = "email", _("Email")
        PHONE = "phone", _("Phone")
        NUMBER = "number", _("Customer number")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # Normalised: emails lower-cased, phones in E.164, numbers upper-cased.
    value = models.CharField(_("value"), max_length=254)
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("customer identity")
        verbose_name_plural = _("customer identities")
        ordering = ["kind", "created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="identity_kind_value_unique")]

    def __str__(self) -> str:
        return self.value


class CustomerMerge(models.Model):
    """The audit record of a merge: who folded which customer into which, and what moved.

    The merged-away customer row is deleted; what it was is kept here.
    """

    target = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="merges", verbose_name=_("kept customer")
    )
    source_id = models.PositiveBigIntegerField(_("merged customer id"))
    # The merged customer as it was: name, contacts, identities.
    source = models.JSONField(_("merged customer"), default=dict)
    moved = models.JSONField(_("moved"), default=dict)
    actor = done_by()
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("customer merge")
        verbose_name_plural = _("customer merges")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"#{self.source_id} → {self.target_id}"
