from django.apps import AppConfig


class CxPortalConfig(AppConfig):
    """The project package as an app, so the commands that run the whole site live with it."""

    name = "cxportal"
    verbose_name = "CX Portal"
