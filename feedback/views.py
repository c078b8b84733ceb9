from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language

from cxportal.errors import ApplicationError
from routing.selectors import promised_first_response_hours

from . import services
from .forms import FeedbackForm
from .models import Case, Channel

# The thanks page shows only references submitted from this browser session.
SESSION_KEY = "cx_submitted"


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "feedback/home.html")


def feedback_new(request: HttpRequest) -> HttpResponse:
    # An empty POST is still a submission: bind it so it gets its errors.
    form = FeedbackForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.case_create(
                **form.cleaned_data, channel=Channel.WEB, language=(get_language() or "es")[:2]
            )
        except ApplicationError as exc:
            form.add_error(exc.field, exc.message)
        else:
            request.session[SESSION_KEY] = [*request.session.get(SESSION_KEY, [])[-19:], case.reference]
            return redirect("feedback:thanks", reference=case.reference)
    status = 400 if form.is_bound else 200
    return render(request, "feedback/new.html", {"form": form}, status=status)


def feedback_thanks(request: HttpRequest, reference: str) -> HttpResponse:
    if reference not in request.session.get(SESSION_KEY, []):
        raise Http404
    case = Case.objects.filter(reference=reference).first()
    if case is None:
        raise Http404
    context = {"case": case, "promised_hours": promised_first_response_hours()}
    return render(request, "feedback/thanks.html", context)
