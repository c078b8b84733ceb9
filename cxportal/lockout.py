"""What a locked-out sign-in sees (django-axes calls ``lockout_response``)."""

import math
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext, ngettext


def lockout_message() -> str:
    """The translated sentence saying why and for how long sign-in is refused."""
    minutes = math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    return ngettext(
        "Too many wrong passwords for this username. Sign-in is paused for %(minutes)d minute; "
        "try again after that, or ask your administrator to unlock it.",
        "Too many wrong passwords for this username. Sign-in is paused for %(minutes)d minutes; "
        "try again after that, or ask your administrator to unlock it.",
        minutes,
    ) % {"minutes": minutes}


def retry_after() -> int:
    """Seconds until sign-in is possible again (the Retry-After header)."""
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """The branded 429 page, with a Retry-After, for the admin login form.

    API Basic auth never gets here (django-axes marks DRF's request, which
    its middleware does not see): ``authentication.LockedOut`` answers there.
    """
    context = {"heading": gettext("Sign-in paused"), "text": lockout_message()}
    response = render(request, "429.html", context, status=429)
    response["Retry-After"] = str(retry_after())
    return response
