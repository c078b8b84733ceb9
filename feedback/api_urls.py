from django.urls import path

from . import api

app_name = "api"
urlpatterns = [
    path("cases/", api.CaseListCreate.as_view(), name="case-list"),
    path("cases/<reference:reference>/", api.CaseDetail.as_view(), name="case-detail"),
]
