from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from feedback import views as feedback_views

from . import health
from .converters import ReferenceConverter, TrackingTokenConverter


def favicon(request: HttpRequest) -> HttpResponse:
    # Resolved per request: the hashed static name exists only after collectstatic.
    return redirect(static("cx/favicon.svg"), permanent=True)


# Registered before the included URL modules are imported: feedback's use ``reference``.
register_converter(TrackingTokenConverter, "token")
register_converter(ReferenceConverter, "reference")

urlpatterns = [
    path("", feedback_views.home, name="home"),
    path("feedback/", include("feedback.urls")),
    path("track/<token:token>/", feedback_views.track, name="track"),
    path("track/<token:token>/preferences/", feedback_views.preferences, name="preferences"),
    path("track/<token:token>/files/<int:pk>/", feedback_views.track_attachment, name="track-attachment"),
    path("attachments/<int:pk>/", feedback_views.staff_attachment, name="staff-attachment"),
    path("survey/<token:token>/", feedback_views.survey, name="survey"),
    path("dashboards/", include("dashboards.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("feedback.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("health/", health.health, name="health"),
    # ESP inbound email webhooks (django-anymail): /email/postmark/inbound/, /email/mailgun/inbound/…
    path("email/", include("anymail.urls")),
    # Browsers ask for /favicon.ico on every page, admin pages included.
    path("favicon.ico", favicon),
]
