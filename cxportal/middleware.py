from collections.abc import Callable
from urllib.parse import unquote

from django.conf import settings
from django.core.exceptions import BadRequest
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


class RejectNulMiddleware:
    """Refuse a path or query string holding a NUL character with the portal's 400 page.

    PostgreSQL text cannot hold NUL, so a lookup with one fails in the
    database driver (a 500) where SQLite quietly finds nothing. No real
    address or parameter contains one, so it is refused before any view,
    admin filter or API filter can pass it to a query.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # path_info is already decoded; the query string is not (%00 is NUL).
        if "\x00" in request.path_info or "\x00" in unquote(request.META.get("QUERY_STRING", "")):
            # Django answers with handler400, in the language LocaleMiddleware chose.
            raise BadRequest("NUL character in the path or query string.")
        return self.get_response(request)
