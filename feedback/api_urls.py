from django.urls import path

from . import api

app_name = "api"
urlpatterns = [
    path("cases/", api.CaseListCreate.as_view(), name="case-list"),
    path("cases/<reference:reference>/", api.CaseDetail.as_view(), name="case-detail"),
    path("cases/<reference:reference>/timeline/", api.CaseTimeline.as_view(), name="case-timeline"),
    path("cases/<reference:reference>/messages/", api.CaseMessages.as_view(), name="case-messages"),
    path("customers/", api.CustomerList.as_view(), name="customer-list"),
]
