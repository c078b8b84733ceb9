"""The REST API's configuration: Django REST framework's and drf-spectacular's settings.

cxportal/settings.py assigns them to REST_FRAMEWORK and SPECTACULAR_SETTINGS.
"""


def rest_framework(*, intake_rate: str) -> dict:
    """REST_FRAMEWORK; ``intake_rate`` throttles the intake API (CX_API_INTAKE_RATE, e.g. "60/min")."""
    return {
        "DEFAULT_AUTHENTICATION_CLASSES": [
            "rest_framework.authentication.SessionAuthentication",
            # Basic auth answering 429 while the username is locked out (django-axes).
            "cxportal.authentication.LockoutBasicAuthentication",
            # Integrations: "Authorization: Api-Key <key>" (feedback.IntegrationKey, made in the admin).
            "cxportal.authentication.APIKeyAuthentication",
        ],
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
        # JSON first (DRF's default order); nesting too deep for Python is a 400, not a 500.
        "DEFAULT_PARSER_CLASSES": [
            "cxportal.parsers.SafeJSONParser",
            "rest_framework.parsers.FormParser",
            "rest_framework.parsers.MultiPartParser",
        ],
        "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
        "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
        "PAGE_SIZE": 50,
        "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
        "DEFAULT_THROTTLE_RATES": {"intake": intake_rate},
        "EXCEPTION_HANDLER": "cxportal.api.exception_handler",
    }


SPECTACULAR = {
    "TITLE": "CX Portal API",
    "DESCRIPTION": "Customer feedback intake and case tracking. Integrations authenticate with an API "
    "key made in the admin (`Authorization: Api-Key <key>`), staff with their account (Basic or "
    "session). Case events can also be pushed to you: see the `caseEvent` webhook.",
    "VERSION": "1",
    # 3.1: the first version with webhooks, to describe the signed case-event webhook.
    "OAS_VERSION": "3.1.0",
    "WEBHOOKS": ["feedback.api.CASE_EVENT_WEBHOOK"],
    # Cases and timeline events both have a "kind", from different choices.
    "ENUM_NAME_OVERRIDES": {
        "KindEnum": "feedback.models.Kind",
        "EventKindEnum": "feedback.models.CaseEvent.Kind",
    },
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the installed sidecar package: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
