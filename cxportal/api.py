"""REST framework glue shared by every API: how domain errors become responses."""

from typing import Any

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from .errors import ApplicationError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus: a broken domain rule is the client's 400, not a 500.

    The message is already translated and safe to show; the code lets
    integrations react without parsing the text.
    """
    if isinstance(exc, ApplicationError):
        set_rollback()
        data = {"detail": str(exc.message), "code": exc.code}
        if exc.field:
            data["field"] = exc.field
        return Response(data, status=exc.status)
    return drf_exception_handler(exc, context)
