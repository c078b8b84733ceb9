"""HTTP Basic auth for the API that says so when a username is locked out."""

from drf_spectacular.authentication import BasicScheme
from rest_framework import exceptions, status
from rest_framework.authentication import BasicAuthentication

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

    target_class = LockoutBasicAuthentication
    priority = 0
