from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = _("Customer feedback")

    def ready(self) -> None:
        from anymail.signals import inbound

        from .inbound.signals import email_received

        # A stable uid: ready() running twice (tests, autoreload) connects it once.
        inbound.connect(email_received, dispatch_uid="feedback.inbound.email_received")
