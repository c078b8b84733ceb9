"""The case change form: what staff may edit, plus a reply and an internal note."""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from routing.models import Department
from routing.selectors import works_in_department_q

from ..models import Case


class CaseForm(forms.ModelForm):
    reply = forms.CharField(
        label=_("Reply to the customer"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Emailed to the customer and shown on their tracking page."),
    )
    note = forms.CharField(
        label=_("Add an internal note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only staff see it; it is added to the timeline."),
    )

    class Meta:
        model = Case
        fields = ["priority", "department", "owner", "tags"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "department" in self.fields:
            # Any department: re-routing hands the case to another team.
            department = self.fields["department"]
            department.queryset = Department.objects.order_by("name")
            department.required = self.instance.department_id is not None
            department.help_text = _("Changing it re-routes the case: the new department's owner gets it.")
        if "owner" in self.fields:
            # Only people who work in the case's department may own it.
            # The current owner stays selectable so an unrelated edit never fails.
            department_id = self.instance.department_id
            candidates = Q(pk=self.instance.owner_id)
            if department_id:
                candidates |= Q(is_active=True) & works_in_department_q(department_id)
            owner = self.fields["owner"]
            owner.queryset = (
                get_user_model().objects.filter(candidates).distinct().order_by("first_name", "username")
            )
            owner.required = department_id is not None

    def clean(self):
        cleaned = super().clean()
        if "department" in self.changed_data:
            if self.instance.routed_at is None:
                self.add_error("department", _("The case has not been routed yet; try again in a moment."))
            elif "owner" in self.changed_data:
                # The owner list is the old department's people; the move picks the new owner.
                self.add_error("owner", _("Change the department first, then the owner."))
        return cleaned
