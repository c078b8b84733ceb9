"""What the case API accepts and what it shows."""

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .limits import column_length, validate_intake_date, validate_stored_email_length
from .models import Case, CaseEvent, Channel, Customer, Kind, Status

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from routing.models import Department, Tag

# The web form has its own view; integrations say which channel they relay.
API_CHANNELS = [(value, label) for value, label in Channel.choices if value != Channel.WEB]


class IntakeCustomerSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=column_length(Customer, "name"))
    # Whether at least one contact is given is the service's rule (code "no_contact").
    email = serializers.EmailField(
        max_length=column_length(Customer, "email"),
        required=False,
        allow_blank=True,
        default="",
        validators=[validate_stored_email_length],
    )
    phone = serializers.CharField(
        max_length=column_length(Customer, "phone"), required=False, allow_blank=True, default=""
    )
    customer_number = serializers.CharField(
        max_length=column_length(Customer, "customer_number"), required=False, allow_blank=True, default=""
    )

    def validate_phone(self, value: str) -> str:
        value = value.strip()
        digits = [ch for ch in value if ch.isdigit()]
        if value and not 6 <= len(digits) <= 15:
            raise serializers.ValidationError(_("Enter a valid phone number."), code="bad_phone")
        return value


class CaseIntakeSerializer(serializers.Serializer):
    """A case relayed by an integration (app, chat, social listening)."""

    customer = IntakeCustomerSerializer()
    kind = serializers.ChoiceField(choices=Kind.choices)
    channel = serializers.ChoiceField(choices=API_CHANNELS, default=Channel.API)
    subject = serializers.CharField(max_length=column_length(Case, "subject"))
    message = serializers.CharField(max_length=5000)
    language = serializers.ChoiceField(choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE[:2])
    order_reference = serializers.CharField(
        max_length=column_length(Case, "order_reference"), required=False, allow_blank=True, default=""
    )
    order_date = serializers.DateField(
        required=False, allow_null=True, default=None, validators=[validate_intake_date]
    )
    promised_delivery_date = serializers.DateField(
        required=False, allow_null=True, default=None, validators=[validate_intake_date]
    )
    product = serializers.CharField(
        max_length=column_length(Case, "product"), required=False, allow_blank=True, default=""
    )
    store = serializers.CharField(
        max_length=column_length(Case, "store"), required=False, allow_blank=True, default=""
    )
    external_id = serializers.CharField(
        max_length=column_length(Case, "external_id"),
        required=False,
        allow_blank=True,
        default="",
        help_text="Your own id of the case (ticket, conversation). One case per id and source: "
        "sending it again is a 409 naming the case.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        order_date = attrs.get("order_date")
        promised = attrs.get("promised_delivery_date")
        errors = {}
        if order_date and order_date > timezone.localdate():
            errors["order_date"] = serializers.ErrorDetail(
                str(_("The order date cannot be in the future.")), code="future_order"
            )
        if order_date and promised and promised < order_date:
            errors["promised_delivery_date"] = serializers.ErrorDetail(
                str(_("The promised delivery date cannot be before the order date.")),
                code="promise_before_order",
            )
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def service_kwargs(self) -> dict[str, Any]:
        """The validated data as ``case_create`` takes it: customer fields flattened."""
        data = dict(self.validated_data)
        return {**data.pop("customer"), **data}


class CaseIntakeResultSerializer(serializers.ModelSerializer):
    """What the integration tells the customer: the reference and the promise."""

    url = serializers.SerializerMethodField()
    promised_first_response_hours = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = ["reference", "status", "created_at", "url", "promised_first_response_hours"]
        read_only_fields = fields

    def get_url(self, case: Case) -> str:
        return self.context["url"]

    def get_promised_first_response_hours(self, case: Case) -> int | None:
        return self.context["promised_hours"]


class CaseCustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["name", "email"]
        read_only_fields = fields


class CaseSerializer(serializers.ModelSerializer):
    """A case as staff who may see it see it. The tracking token is never shown."""

    # Empty until routing has run. Help texts only document the schema (English, like its paths).
    department: "serializers.SlugRelatedField[Department]" = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True, help_text="Slug of the department."
    )
    owner: "serializers.SlugRelatedField[User]" = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="Username of the case owner."
    )
    tags: "serializers.SlugRelatedField[Tag]" = serializers.SlugRelatedField(
        slug_field="slug", many=True, read_only=True, help_text="Slugs of the tags."
    )
    customer = CaseCustomerSerializer(read_only=True)

    class Meta:
        model = Case
        fields = [
            "reference",
            "kind",
            "channel",
            "source",
            "external_id",
            "status",
            "priority",
            "department",
            "owner",
            "tags",
            "subject",
            "message",
            "created_at",
            "routed_at",
            "first_response_due_at",
            "resolution_due_at",
            "customer",
        ]
        read_only_fields = fields


class ApplicationErrorSerializer(serializers.Serializer):
    """The body of a 400 for a broken domain rule (``ApplicationError``)."""

    detail = serializers.CharField()
    code = serializers.CharField()


class DuplicateExternalIdSerializer(ApplicationErrorSerializer):
    """The body of a 409 for an external id already used: the case it names, if the client may read it."""

    reference = serializers.CharField(required=False)
    url = serializers.URLField(required=False)


class PublicEventSerializer(serializers.ModelSerializer):
    """A timeline event as an integration sees it: never notes, staff or rule names.

    ``text`` is the words of a reply or of the customer's message, the new
    status of a status change, and empty for other events (their ``kind``
    says what happened).
    """

    text = serializers.SerializerMethodField()

    class Meta:
        model = CaseEvent
        fields = ["kind", "at", "text"]
        read_only_fields = fields

    def get_text(self, event: CaseEvent) -> str:
        if event.kind in (CaseEvent.Kind.REPLY, CaseEvent.Kind.CUSTOMER_MESSAGE):
            return event.text
        if event.kind == CaseEvent.Kind.STATUS_CHANGED:
            return str(dict(Status.choices).get(event.data.get("to"), ""))
        return ""


class StaffEventSerializer(serializers.ModelSerializer):
    """A timeline event as staff see it in the admin, internal notes included."""

    actor: "serializers.SlugRelatedField[User]" = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="Username of who did it."
    )

    class Meta:
        model = CaseEvent
        fields = ["kind", "at", "text", "actor", "is_public"]
        read_only_fields = fields


class CustomerMessageSerializer(serializers.Serializer):
    """The customer's words, relayed by an integration (a chat, an app)."""

    text = serializers.CharField(max_length=5000)


class CustomerSerializer(serializers.ModelSerializer):
    """A customer and the references of the cases the client may see."""

    cases = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = ["id", "name", "email", "phone", "customer_number", "cases"]
        read_only_fields = fields

    def get_cases(self, customer: Customer) -> list[str]:
        # Prefetched by the view, narrowed to what the client may see.
        return [case.reference for case in customer.visible_cases]  # type: ignore[attr-defined]


class CaseEventWebhookSerializer(serializers.Serializer):
    """What ``notifications.notifiers.WebhookNotifier`` posts for a case event."""

    event = serializers.CharField(help_text='The event, e.g. "routed", "sla_warning", "escalated".')
    key = serializers.CharField(help_text="Unique per case, event and destination: deliveries may repeat.")
    case = serializers.CharField(help_text="The case reference.")
    department = serializers.CharField(allow_null=True, help_text="Slug of the department.")
    priority = serializers.CharField()
    status = serializers.CharField()
    subject = serializers.CharField()
    url = serializers.URLField(help_text="The case in the admin.")
    text = serializers.CharField(help_text="A one-line summary for chat tools.")
