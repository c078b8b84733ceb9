"""How API clients authenticate: staff with HTTP Basic (saying so when a
username is locked out), integrations with an API key."""

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _
from drf_spectacular.authentication import BasicScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, status
from rest_framework.authentication import BaseAuthentication, BasicAuthentication
from rest_framework.request import Request
from rest_framework_api_key.permissions import KeyParser

from .lockout import lockout_message, retry_after


class LockedOut(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"

    def __init__(self) -> None:
        super().__init__(detail={"detail": lockout_message(), "code": self.default_code})
        # DRF's exception handler turns ``wait`` into the Retry-After header.
        self.wait = retry_after()


class LockoutBasicAuthentication(BasicAuthentication):
    """DRF's Basic auth; a 429 instead of "invalid password" during a django-axes lockout.

    django-axes refuses the sign-in and marks the request it was given (DRF's
    request here, which its middleware never sees), so the answer is made here.
    """

    def authenticate_credentials(self, userid, password, request=None):
        try:
            return super().authenticate_credentials(userid, password, request)
        except exceptions.AuthenticationFailed:
            if getattr(request, "axes_locked_out", False):
                raise LockedOut() from None
            raise


class LockoutBasicScheme(BasicScheme):
    """The OpenAPI schema describes it as the plain HTTP Basic auth it is."""

    # drf-spectacular takes a class or its dotted path; BasicScheme's default
    # is a path, so its type is inferred as ``str`` alone.
    target_class = LockoutBasicAuthentication  # type: ignore[assignment]
    priority = 0


class APIKeyAuthentication(BaseAuthentication):
    """``Authorization: Api-Key <key>``: an integration's key (``feedback.IntegrationKey``).

    ``request.auth`` becomes the key and ``request.user`` stays anonymous: a
    key is not a person, so no staff permission can leak to it; what it may
    do is its scopes (``can_intake``, ``can_read``) and its ``source``.
    A revoked or expired key is refused with a reason, not passed on to the
    next scheme, so the integration learns why it stopped working.
    """

    keyword = KeyParser.keyword
    key_parser = KeyParser()

    def authenticate(self, request: Request) -> tuple[AnonymousUser, Any] | None:
        from feedback.models import IntegrationKey
        from feedback.services import integration_key_touch

        key = self.key_parser.get_from_authorization(request)
        if key is None:
            return None
        prefix, _dot, _secret = key.partition(".")
        # By prefix among revoked keys too (``get_from_key`` skips those), to say which it is.
        found = IntegrationKey.objects.filter(prefix=prefix).first()
        if found is None or not found.is_valid(key):
            raise self.failed(_("Unknown API key."), code="api_key_unknown")
        if found.revoked:
            raise self.failed(_("This API key has been revoked."), code="api_key_revoked")
        if found.has_expired:
            raise self.failed(_("This API key has expired."), code="api_key_expired")
        integration_key_touch(api_key=found)
        return AnonymousUser(), found

    def authenticate_header(self, request: Request) -> str:
        return self.keyword

    @staticmethod
    def failed(message: str, *, code: str) -> exceptions.AuthenticationFailed:
        return exceptions.AuthenticationFailed(detail={"detail": message, "code": code})


class APIKeyScheme(OpenApiAuthenticationExtension):
    target_class = APIKeyAuthentication
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "An integration's key, made in the admin: `Authorization: Api-Key <key>`.",
        }
