"""The admin: triage scoped to the user's departments, and configuration.

Staff edit only what is theirs to decide (priority, owner, tags, notes);
status changes and assignments go through ``feedback.services`` so the
timeline records who did what.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import cases, customers, imports, inbound  # noqa: F401  (registers the model admins)
from .integration_keys import IntegrationKeyAdmin  # noqa: F401  (the API keys' admin)

admin.site.site_header = _("CX Portal")
admin.site.site_title = _("CX Portal")
admin.site.index_title = _("Triage and configuration")
