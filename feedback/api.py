"""REST API v1: intake and reads for integrations (API keys) and staff (session, Basic).

Who the client is decides what it reaches. Staff act through their model
permissions and see the cases of their departments (``cases_visible_to``).
An integration's key acts through its scopes — ``can_intake`` to submit,
``can_read`` to read — and reaches only the cases of its own source and
their customers. The OpenAPI texts (summaries, examples) stay in English,
like the paths; error messages are translated.
"""

import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiWebhook, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.filters import OrderingFilter
from rest_framework.permissions import SAFE_METHODS, DjangoModelPermissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from cxportal.errors import ApplicationError
from cxportal.parsers import SafeJSONParser
from routing.config import promised_first_response_hours
from routing.selectors import sees_all_departments

from . import api_docs as docs
from . import services
from .filters import CaseFilter, CustomerFilter
from .limits import column_length
from .models import Case, Customer, IntakeKey, IntegrationKey
from .selectors import cases_visible_to
from .serializers import (
    CaseEventWebhookSerializer,
    CaseIntakeResultSerializer,
    CaseIntakeSerializer,
    CaseSerializer,
    CustomerMessageSerializer,
    CustomerSerializer,
    PublicEventSerializer,
    StaffEventSerializer,
)

if TYPE_CHECKING:
    from rest_framework.serializers import BaseSerializer
    from rest_framework.views import APIView

    # The mixins below only ever run inside DRF views: type them as the views they extend.
    _APIViewBase = APIView
    _GenericViewBase = generics.GenericAPIView
else:
    _APIViewBase = _GenericViewBase = object

log = logging.getLogger(__name__)

# Visible ASCII, as HTTP header values are, as long as the column; a UUID is the usual choice.
IDEMPOTENCY_KEY = re.compile(rf"[\x21-\x7e]{{1,{column_length(IntakeKey, 'key')}}}")


def idempotency_key(request: Request) -> str | None:
    """The request's ``Idempotency-Key`` header, None if absent; a 400 if malformed."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise ApplicationError(
            _("The Idempotency-Key header must be 1 to 255 visible ASCII characters, such as a UUID."),
            code="bad_idempotency_key",
        )
    return key


def integration_key_of(request: Request) -> IntegrationKey | None:
    """The integration's key the request came with (``APIKeyAuthentication``), if any."""
    return request.auth if isinstance(request.auth, IntegrationKey) else None


def client_of(request: Request) -> dict[str, Any]:
    """Who submits, as the services take it: an integration's key or a staff actor."""
    key = integration_key_of(request)
    return {"api_key": key} if key is not None else {"actor": request.user}


def cases_for(request: Request) -> QuerySet[Case]:
    """The cases the client may reach: its source's for a key, its departments' for staff."""
    key = integration_key_of(request)
    if key is not None:
        return Case.objects.filter(source=key.source)
    return cases_visible_to(request.user)


def customers_for(request: Request) -> QuerySet[Customer]:
    """Customers of the cases the client may reach; every customer for those who see all."""
    customers = Customer.objects.filter(erased_at__isnull=True)
    if integration_key_of(request) is None and sees_all_departments(request.user):
        return customers
    return customers.filter(pk__in=cases_for(request).values("customer_id"))


class ClientPermissions(DjangoModelPermissions):
    """Staff need the model permission (``view`` to read, ``add`` to submit); keys their scope.

    Which rows either reaches is narrowed further by ``cases_for``.
    """

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request: Request, view) -> bool:
        key = integration_key_of(request)
        if key is None:
            return bool(request.user and request.user.is_staff) and super().has_permission(request, view)
        if request.method in SAFE_METHODS and not key.can_read:
            raise PermissionDenied(
                {"detail": _("This API key may not read cases or customers."), "code": "api_key_scope"}
            )
        if request.method not in SAFE_METHODS and not key.can_intake:
            raise PermissionDenied(
                {"detail": _("This API key may not submit cases or messages."), "code": "api_key_scope"}
            )
        return True


class MessagePermissions(ClientPermissions):
    """Relaying a customer's message changes the case: staff need ``change_case``."""

    perms_map = {**ClientPermissions.perms_map, "POST": ["%(app_label)s.change_%(model_name)s"]}


class IntakeThrottle(ScopedRateThrottle):
    """The ``intake`` rate per API key (per user or IP otherwise), failing open:
    a cache outage must not lose a case.

    Every request of a key is anonymous to DRF, so without its own bucket all
    the integrations behind one proxy would share the proxy's IP's rate.
    """

    def get_cache_key(self, request: Request, view) -> str | None:
        key = integration_key_of(request)
        if key is None:
            return super().get_cache_key(request, view)
        return self.cache_format % {"scope": self.scope, "ident": f"api-key:{key.prefix}"}

    def allow_request(self, request: Request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception:
            log.exception("Intake throttle unavailable; letting the request through.")
            return True


class IntakeThrottled(_APIViewBase):
    """Only submissions count against the intake rate; reading is not intake."""

    throttle_scope = "intake"
    # Bodies nest (the customer) or are plain text in JSON: form encodings are refused.
    parser_classes = [SafeJSONParser]

    def get_throttles(self):
        return [IntakeThrottle()] if self.request.method == "POST" else super().get_throttles()


class CaseOrdering(OrderingFilter):
    def get_ordering(self, request: Request, queryset: QuerySet, view) -> list[str]:
        # Only on case lists, which always have an ordering (their default one at least).
        ordering = cast(Sequence[str], super().get_ordering(request, queryset, view))
        # Cases submitted in the same instant would otherwise swap between pages.
        return [*ordering, "-pk" if ordering[-1].startswith("-") else "pk"]


class CaseViewMixin(_GenericViewBase):
    permission_classes = [ClientPermissions]
    # Views on a case may read or write something else (CaseMessages: the customer's message).
    serializer_class: "type[BaseSerializer]" = CaseSerializer
    lookup_field = "reference"

    def get_queryset(self) -> QuerySet[Case]:
        return (
            cases_for(self.request)
            .select_related("department", "owner", "customer")
            .prefetch_related("tags")
            # The rules engine's record can be large and is not shown here.
            .defer("decision")
        )

    def case_url(self, case: Case) -> str:
        return self.request.build_absolute_uri(reverse("api:case-detail", args=[case.reference]))


class CaseListCreate(IntakeThrottled, CaseViewMixin, generics.ListAPIView):
    filter_backends = [DjangoFilterBackend, CaseOrdering]
    filterset_class = CaseFilter
    ordering_fields = ["created_at"]
    ordering = ["-created_at"]

    @extend_schema(**docs.CASE_LIST)
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(**docs.CASE_CREATE, request=CaseIntakeSerializer)
    def post(self, request: Request, *args, **kwargs) -> Response:
        key = idempotency_key(request)
        serializer = CaseIntakeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            case, replayed = services.case_create_from_api(
                **serializer.service_kwargs(),
                **client_of(request),
                idempotency_key=key,
                fingerprint=services.request_fingerprint(request.data),
            )
        except services.DuplicateExternalId as exc:
            body: dict[str, Any] = {
                "detail": _("A case with this external id already exists."),
                "code": exc.code,
            }
            # Named only to a client that may read it: staff share the source "api" across departments.
            if cases_for(request).filter(pk=exc.case.pk).exists():
                body.update(
                    detail=str(exc.message), reference=exc.case.reference, url=self.case_url(exc.case)
                )
            return Response(body, status=status.HTTP_409_CONFLICT)
        url = self.case_url(case)
        result = CaseIntakeResultSerializer(
            case, context={"url": url, "promised_hours": promised_first_response_hours()}
        )
        headers = {"Location": url, **({"Idempotent-Replayed": "true"} if replayed else {})}
        answer = status.HTTP_200_OK if replayed else status.HTTP_201_CREATED
        return Response(result.data, status=answer, headers=headers)


class CaseDetail(CaseViewMixin, generics.RetrieveAPIView):
    @extend_schema(**docs.CASE_DETAIL)
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class CaseTimeline(CaseViewMixin, generics.GenericAPIView):
    filter_backends = []
    pagination_class = None

    @extend_schema(**docs.CASE_TIMELINE)
    def get(self, request: Request, *args, **kwargs) -> Response:
        events = self.get_object().events.select_related("actor").order_by("at", "id")
        if integration_key_of(request) is None:
            return Response(StaffEventSerializer(events, many=True).data)
        return Response(PublicEventSerializer(events.filter(is_public=True), many=True).data)


class CaseMessages(IntakeThrottled, CaseViewMixin, generics.GenericAPIView):
    permission_classes = [MessagePermissions]
    serializer_class = CustomerMessageSerializer
    filter_backends = []

    @extend_schema(**docs.CASE_MESSAGE, request=CustomerMessageSerializer)
    def post(self, request: Request, *args, **kwargs) -> Response:
        case = self.get_object()
        key = idempotency_key(request)
        serializer = CustomerMessageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event, replayed = services.case_customer_message_once(
            case=case,
            text=serializer.validated_data["text"],
            key=key,
            fingerprint=services.request_fingerprint({"case": case.reference, "body": request.data}),
            **client_of(request),
        )
        headers = {"Idempotent-Replayed": "true"} if replayed else {}
        answer = status.HTTP_200_OK if replayed else status.HTTP_201_CREATED
        return Response(PublicEventSerializer(event).data, status=answer, headers=headers)


class CustomerList(generics.ListAPIView):
    permission_classes = [ClientPermissions]
    serializer_class = CustomerSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = CustomerFilter

    def get_queryset(self) -> QuerySet[Customer]:
        cases = cases_for(self.request).only("id", "reference", "customer_id").order_by("created_at", "id")
        return (
            customers_for(self.request)
            .prefetch_related(Prefetch("cases", queryset=cases, to_attr="visible_cases"))
            .order_by("name", "pk")
        )

    @extend_schema(**docs.CUSTOMER_LIST)
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


# Listed in SPECTACULAR_SETTINGS["WEBHOOKS"]: what notifications.notifiers.WebhookNotifier posts.
CASE_EVENT_WEBHOOK = OpenApiWebhook(
    name="caseEvent", decorator=extend_schema(**docs.CASE_EVENT_WEBHOOK, request=CaseEventWebhookSerializer)
)
