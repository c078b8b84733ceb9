from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cxportal.errors import ApplicationError
from cxportal.ratelimit import is_rate_limited
from routing.config import promised_first_response

from . import services
from .forms import CustomerMessageForm, FeedbackForm, PreferencesForm, SurveyForm
from .models import Attachment, Case, CaseEvent, Channel
from .selectors import cases_visible_to, current_consents, public_timeline

# The thanks page shows only references submitted from this browser: they
# travel in a signed cookie, so a customer's submission writes no session row.
SUBMITTED_COOKIE = "cx_submitted"
SUBMITTED_MAX_AGE = 24 * 3600


def _submitted(request: HttpRequest) -> list[str]:
    value = request.get_signed_cookie(SUBMITTED_COOKIE, default="", max_age=SUBMITTED_MAX_AGE)
    return value.split(",") if value else []


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "feedback/home.html")


def feedback_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and is_rate_limited(
        request, scope="feedback", limit=settings.CX_SUBMISSIONS_PER_HOUR, period=3600
    ):
        return render(request, "feedback/too_many.html", status=429)
    # An empty POST is still a submission: bind it so it gets its errors.
    form = FeedbackForm(*((request.POST, request.FILES) if request.method == "POST" else ()))
    if request.method == "POST" and form.is_valid():
        try:
            case = services.case_create(
                **form.case_data(),
                consents=form.consent_choices(),
                channel=Channel.WEB,
                language=(get_language() or "es")[:2],
            )
        except ApplicationError as exc:
            form.add_error(exc.field, exc.message)
        else:
            response = redirect("feedback:thanks", reference=case.reference)
            # case_create gives every case its reference before it returns.
            response.set_signed_cookie(
                SUBMITTED_COOKIE,
                ",".join([*_submitted(request)[-19:], cast(str, case.reference)]),
                max_age=SUBMITTED_MAX_AGE,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
            return response
    status = 400 if form.is_bound else 200
    return render(request, "feedback/new.html", {"form": form}, status=status)


def feedback_thanks(request: HttpRequest, reference: str) -> HttpResponse:
    if reference not in _submitted(request):
        raise Http404
    case = Case.objects.filter(reference=reference).first()
    if case is None:
        raise Http404
    context = {"case": case, "promise": promised_first_response()}
    return render(request, "feedback/thanks.html", context)


def _case_for_token(token: str) -> Case:
    case = Case.objects.select_related("department__sla_policy").filter(tracking_token=token).first()
    if case is None:
        raise Http404
    return case


def track(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's private page: status, public timeline, replies, a message box."""
    case = _case_for_token(token)
    # Each message e-mails the case's owner: a burst must not become a flood.
    if request.method == "POST" and is_rate_limited(
        request, scope="reply", subject=str(case.pk), limit=settings.CX_REPLIES_PER_HOUR, period=3600
    ):
        return render(request, "feedback/too_many.html", status=429)
    form = CustomerMessageForm(*((request.POST, request.FILES) if request.method == "POST" else ()))
    if request.method == "POST" and form.is_valid():
        try:
            services.case_customer_message(
                case=case, text=form.cleaned_data["text"], attachments=form.cleaned_data["attachments"]
            )
        except ApplicationError as exc:
            form.add_error("text", exc.message)
        else:
            messages.success(request, _("Thank you: your message has been added to your case."))
            return redirect("track", token=token)
    context = {
        "case": case,
        "timeline": public_timeline(case),
        "first_files": case.attachments.filter(event__kind=CaseEvent.Kind.CREATED),
        "form": form,
    }
    return render(request, "feedback/track.html", context, status=400 if form.errors else 200)


def survey(request: HttpRequest, token: str) -> HttpResponse:
    case = _case_for_token(token)
    answered = hasattr(case, "survey")
    form = SurveyForm(request.POST if request.method == "POST" and not answered else None)
    status = 200
    if request.method == "POST" and answered:
        status = 409  # a second submission changes nothing, and the page says so
    elif request.method == "POST" and form.is_valid():
        try:
            services.survey_submit(case=case, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("survey", token=token)
    if form.errors:
        status = 400
    context = {"case": case, "form": form, "answered": hasattr(case, "survey") or answered}
    return render(request, "feedback/survey.html", context, status=status)


def preferences(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's marketing preferences, from the link to their case."""
    case = _case_for_token(token)
    current = current_consents(case.customer)
    form = PreferencesForm(
        request.POST if request.method == "POST" else None,
        initial={f"consent_{channel}": granted for channel, granted in current.items()},
    )
    if request.method == "POST" and form.is_valid():
        services.consent_update(customer=case.customer, choices=form.consent_choices(), source="preferences")
        messages.success(request, _("Your preferences have been saved."))
        return redirect("preferences", token=token)
    return render(request, "feedback/preferences.html", {"case": case, "form": form})


def _serve(attachment: Attachment) -> FileResponse:
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)
    # A header value whenever there is a file name, and display_name always gives one.
    response["Content-Disposition"] = cast(str, content_disposition_header(False, attachment.name))
    # Even a file that fooled the checks cannot run script in our origin.
    response["Content-Security-Policy"] = "sandbox"
    return response


def track_attachment(request: HttpRequest, token: str, pk: int) -> FileResponse:
    """A file of the case, for the holder of the case's private link."""
    attachment = Attachment.objects.filter(pk=pk, case__tracking_token=token).first()
    if attachment is None:
        raise Http404
    return _serve(attachment)


@login_required
def staff_attachment(request: HttpRequest, pk: int) -> FileResponse:
    """A file of a case, for staff who may see the case."""
    attachment = Attachment.objects.filter(pk=pk, case__in=cases_visible_to(request.user)).first()
    if attachment is None:
        raise Http404
    return _serve(attachment)
