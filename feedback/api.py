"""REST API v1: case intake for integrations, case reads for staff."""

import hashlib
import json
import logging
import re

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.filters import OrderingFilter
from rest_framework.permissions import DjangoModelPermissions, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from cxportal.errors import ApplicationError
from cxportal.parsers import SafeJSONParser
from routing.selectors import promised_first_response_hours

from . import services
from .filters import CaseFilter
from .limits import column_length
from .models import Case, IntakeKey
from .selectors import cases_visible_to
from .serializers import CaseIntakeResultSerializer, CaseIntakeSerializer, CaseSerializer

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


def body_fingerprint(data: object) -> str:
    """The same JSON body in any key order gives the same fingerprint."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class CasePermissions(DjangoModelPermissions):
    """Staff holding the model permission: ``view_case`` to read, ``add_case`` to submit.

    Which cases they read is narrowed further by ``cases_visible_to``.
    """

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request: Request, view) -> bool:
        return bool(request.user and request.user.is_staff) and super().has_permission(request, view)


class IntakeThrottle(ScopedRateThrottle):
    """The ``intake`` rate, failing open: a cache outage must not lose a case."""

    def allow_request(self, request: Request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception:
            log.exception("Intake throttle unavailable; letting the request through.")
            return True


class CaseOrdering(OrderingFilter):
    def get_ordering(self, request: Request, queryset: QuerySet, view) -> list[str]:
        ordering = super().get_ordering(request, queryset, view)
        # Cases submitted in the same instant would otherwise swap between pages.
        return [*ordering, "-pk" if ordering[-1].startswith("-") else "pk"]


class CaseViewMixin:
    permission_classes = [IsAuthenticated, CasePermissions]
    serializer_class = CaseSerializer

    def get_queryset(self) -> QuerySet[Case]:
        return (
            cases_visible_to(self.request.user)
            .select_related("department", "owner", "customer")
            .prefetch_related("tags")
            # The rules engine's record can be large and is not shown here.
            .defer("decision")
        )


class CaseListCreate(CaseViewMixin, generics.ListAPIView):
    filter_backends = [DjangoFilterBackend, CaseOrdering]
    filterset_class = CaseFilter
    ordering_fields = ["created_at"]
    ordering = ["-created_at"]
    throttle_scope = "intake"
    # The body nests the customer, which form encodings cannot express.
    parser_classes = [SafeJSONParser]

    def get_throttles(self):
        # Only submissions count against the intake rate; reading is not intake.
        return [IntakeThrottle()] if self.request.method == "POST" else super().get_throttles()

    @extend_schema(summary="List the cases you may see", tags=["cases"])
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Submit a case on behalf of a customer",
        tags=["cases"],
        request=CaseIntakeSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="Optional. A key of your own (e.g. a UUID) per case: a retry with the same "
                "key and body returns the case already made (header Idempotent-Replayed: true) "
                "instead of making a second one; the same key with another body is a 409.",
            )
        ],
        responses={
            201: CaseIntakeResultSerializer,
            400: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description='Field errors, or {"detail", "code"} when a domain rule is broken '
                '(code "no_contact": neither email nor phone; "bad_idempotency_key").',
            ),
            409: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description='{"detail", "code": "idempotency_key_reused"}: the key was used with another body.',
            ),
        },
    )
    def post(self, request: Request, *args, **kwargs) -> Response:
        key = idempotency_key(request)
        serializer = CaseIntakeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = {**serializer.service_kwargs(), "actor": request.user}
        replayed = False
        if key is None:
            case = services.case_create(**fields)
        else:
            case, replayed = services.case_create_once(
                key=key, fingerprint=body_fingerprint(request.data), **fields
            )
        url = request.build_absolute_uri(reverse("api:case-detail", args=[case.reference]))
        context = {"url": url, "promised_hours": promised_first_response_hours()}
        result = CaseIntakeResultSerializer(case, context=context)
        headers = {"Location": url, **({"Idempotent-Replayed": "true"} if replayed else {})}
        return Response(result.data, status=status.HTTP_201_CREATED, headers=headers)


class CaseDetail(CaseViewMixin, generics.RetrieveAPIView):
    lookup_field = "reference"

    @extend_schema(summary="One case, by reference", tags=["cases"])
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)
