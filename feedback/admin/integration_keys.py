"""Integration API keys: made here and shown once, revoked here.

Only a hash is stored, so the key appears once, in a message right after it
is made (as in the library's own admin, which this extends). Who may make,
change or revoke keys is the model permissions' business, as everywhere in
the admin; superusers hold them all.
"""

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from ..models import IntegrationKey

# Sources the portal gives its own cases: a key with one of these would read them all.
RESERVED_SOURCES = {"api", "email", "import", "web"}

# The library's own key model is not the one the API checks: a key made there would do nothing.
if admin.site.is_registered(APIKey):
    admin.site.unregister(APIKey)


class IntegrationKeyForm(forms.ModelForm):
    class Meta:
        model = IntegrationKey
        fields = ["name", "source", "can_intake", "can_read", "expiry_date", "revoked"]
        # The library's field has no translatable label (its help text is in locale/vendor).

    def clean_source(self) -> str:
        source = self.cleaned_data["source"]
        if source in RESERVED_SOURCES:
            raise forms.ValidationError(
                _("“%(source)s” names the portal's own cases; choose the integration's name."),
                code="reserved_source",
                params={"source": source},
            )
        return source


@admin.register(IntegrationKey)
class IntegrationKeyAdmin(APIKeyModelAdmin):
    form = IntegrationKeyForm
    # The library's plain tuples are inferred as fixed-length ones; the admin takes any sequence.
    list_display = [  # type: ignore[assignment]
        "name",
        "prefix",
        "source",
        "can_intake",
        "can_read",
        "created",
        "last_used_at",
        "expiry_date",
        "revoked",
    ]
    list_filter = ["revoked", "can_intake", "can_read", "source", "created"]  # type: ignore[assignment]
    search_fields = ["name", "prefix", "source"]  # type: ignore[assignment]
    actions = ["revoke"]

    def get_fields(self, request: HttpRequest, obj: IntegrationKey | None = None) -> tuple[str, ...]:
        if obj is None:
            return ("name", "source", "can_intake", "can_read", "expiry_date")
        return (
            "name",
            "prefix",
            "source",
            "can_intake",
            "can_read",
            "expiry_date",
            "revoked",
            "created",
            "last_used_at",
            "created_by",
        )

    # The library types obj as any Model; this admin is only ever given its own keys.
    def get_readonly_fields(  # type: ignore[override]
        self, request: HttpRequest, obj: IntegrationKey | None = None
    ) -> tuple[str, ...]:
        if obj is None:
            return ()
        # The source is fixed once made: the key's cases carry it, and it bounds what the key reads.
        fields: tuple[str, ...] = ("prefix", "source", "created", "last_used_at", "created_by")
        if obj.revoked:
            fields += ("name", "can_intake", "can_read", "expiry_date", "revoked")
        return fields

    # As above: the library types obj as its abstract key model, this admin only saves its own.
    def save_model(  # type: ignore[override]
        self, request: HttpRequest, obj: IntegrationKey, form: forms.Form, change: bool
    ) -> None:
        if change:
            obj.save()
            return
        obj.created_by = request.user
        key = IntegrationKey.objects.assign_key(obj)
        obj.save()
        # Translated, unlike the library's message, and said once: only a hash is kept.
        messages.warning(
            request,
            gettext(
                "The API key of “%(name)s” is %(key)s — copy it now and keep it somewhere safe: "
                "it will not be shown again. Send it as the header “Authorization: Api-Key %(key)s”."
            )
            % {"name": obj.name, "key": key},
        )

    @admin.action(description=_("Revoke the selected keys (cannot be undone)"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[IntegrationKey]) -> None:
        count = queryset.filter(revoked=False).update(revoked=True)
        self.message_user(
            request,
            ngettext("%(count)d key revoked.", "%(count)d keys revoked.", count) % {"count": count},
            messages.SUCCESS,
        )
