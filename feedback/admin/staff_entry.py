"""Staff entry: an agent takes a case on behalf of a customer (phone, store, chat, email).

The Case admin's "add" page is this form, not a model form: the case goes
through ``case_create`` like every other intake, so it gets a reference, a
first timeline line naming who entered it, and is routed after commit.
While the agent types the customer's contacts, ``static/cx/customer-lookup.js``
asks ``customer_lookup_view`` who they may be.
"""

from typing import TYPE_CHECKING, Any, cast

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _

from cxportal.errors import ApplicationError

from ..forms import StaffCaseForm
from ..models import Case, Customer
from ..selectors import cases_visible_to, customers_matching
from ..services import IdempotencyConflict, case_enter

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    # The mixin only ever runs inside CaseAdmin: type it as the ModelAdmin it extends.
    _CaseAdminBase = admin.ModelAdmin[Case]
else:
    _CaseAdminBase = object

ADD_PERMISSION = "feedback.add_case"


def customer_json(customer: Customer) -> dict[str, Any]:
    """What the lookup shows of a customer and fills into the form."""
    return {
        "id": customer.pk,
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "customer_number": customer.customer_number,
    }


class StaffEntryMixin(_CaseAdminBase):
    """The "Enter a case" page and its customer lookup, for ``CaseAdmin``."""

    def get_urls(self):
        return [
            path(
                "customer-lookup/",
                self.admin_site.admin_view(self.customer_lookup_view),
                name="feedback_case_customer_lookup",
            ),
            *super().get_urls(),
        ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(ADD_PERMISSION)

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = StaffCaseForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            try:
                # Behind admin_view: the user is a signed-in member of staff.
                case, again = case_enter(**form.cleaned_data, actor=cast("User", request.user))
            except IdempotencyConflict:
                form.add_error(
                    None,
                    _("This form was already sent as another case. Open “Enter a case” again for a new one."),
                )
            except ApplicationError as exc:
                form.add_error(exc.field, exc.message)
            else:
                return self._entered(request, case, again=again)
        context = {
            **self.admin_site.each_context(request),
            **(extra_context or {}),
            "title": _("Enter a case"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/feedback/case/staff_entry.html", context)

    def _entered(self, request: HttpRequest, case: Case, *, again: bool = False) -> HttpResponse:
        # Routing runs after commit, often in a worker: the case may not be in
        # the agent's departments (yet, or at all), and then its page would 404.
        visible = cases_visible_to(request.user).filter(pk=case.pk).exists()
        if again:
            text = _("This form was already sent: case %(reference)s. Nothing new was entered.")
        elif visible:
            text = _("Case %(reference)s entered.")
        else:
            text = _(
                "Case %(reference)s entered. It goes to the department responsible; give the customer this reference."
            )
        self.message_user(
            request, text % {"reference": case.reference}, messages.WARNING if again else messages.SUCCESS
        )
        if visible:
            return redirect("admin:feedback_case_change", case.pk)
        return redirect("admin:feedback_case_add")

    def customer_lookup_view(self, request: HttpRequest) -> JsonResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        matches = customers_matching(
            request.user, field=request.GET.get("field", ""), query=request.GET.get("q", "")
        )
        return JsonResponse(
            {
                "results": [customer_json(customer) for customer in matches.customers],
                "known_elsewhere": matches.known_elsewhere,
            }
        )
