from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}


class QueryLanguageMiddleware:
    """Honour ``?lang=en`` / ``?lang=es`` and remember the choice in a cookie.

    Runs before LocaleMiddleware, which then reads the cookie on later
    requests; without ``?lang`` the browser's preference decides.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        lang = request.GET.get("lang", "")
        if lang not in LANGUAGE_CODES:
            return self.get_response(request)
        # LocaleMiddleware reads the cookie, so set it on the request too.
        request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = lang
        translation.activate(lang)
        response = self.get_response(request)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            lang,
            max_age=settings.LANGUAGE_COOKIE_AGE or 365 * 24 * 3600,
            samesite="Lax",
        )
        return response
