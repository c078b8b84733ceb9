from django.urls import path

from . import views

app_name = "feedback"
urlpatterns = [
    path("new/", views.feedback_new, name="new"),
    path("thanks/<reference:reference>/", views.feedback_thanks, name="thanks"),
]
