"""Fuzzing the pages anyone may reach: the feedback form, the tracking page, the survey.

Two properties hold for every input: the answer is never a server error,
and a submission the page says it took is really there (the case stored
and routed as the rules decide, the message on the case, the answers and
preferences recorded); a refused one leaves nothing behind.
"""

from datetime import date
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.http.multipartparser import MultiPartParser
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from hypothesis import event, given
from hypothesis import strategies as st

from feedback.limits import ORDER_DATE_YEARS_BACK
from feedback.models import Attachment, Case, CaseEvent, Kind, Status, SurveyResponse
from feedback.selectors import current_consents
from feedback.services import case_change_status, survey_submit
from notifications.models import Notification

from ..factories import CaseFactory, CustomerFactory, email_of_length
from .properties import assert_routed_as_the_rules_decide, rolled_back

NEW_URL = "/feedback/new/"
CONSENT_FIELDS = ("consent_email", "consent_sms", "consent_phone", "consent_whatsapp")

# --- Strategies ---------------------------------------------------------------
# st.text() never draws a lone surrogate (it could not be encoded into a
# request) but does draw NUL, controls, combining marks and astral letters.
long_text = st.builds(
    lambda piece, times: piece * times, st.text(min_size=1, max_size=4), st.integers(1, 3000)
)
any_text = st.one_of(st.text(), long_text, st.sampled_from(["", " ", "\x00", "a\x00b", "\u200b", "İ" * 200]))
# What a person could type: letters, digits, punctuation, spaces and emoji, never a control character.
typed = st.characters(exclude_categories=("Cs", "Cc", "Co", "Cn"))


def typed_text(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    return st.text(typed, min_size=min_size, max_size=max_size).filter(lambda s: len(s.strip()) >= min_size)


def mostly(usual: st.SearchStrategy, weird: st.SearchStrategy) -> st.SearchStrategy:
    """``usual`` three times in four: weird values in every field at once would never be accepted.

    (``st.one_of(usual, usual, usual, weird)`` would not do: it drops the repeats.)
    Shrinks towards ``usual``, so a failure shows the one field that needs to be weird.
    """
    return st.integers(0, 3).flatmap(lambda n: weird if n == 3 else usual)


def day_month_year(day: date) -> str:
    # strftime pads years below 1000 differently per platform; the form's own format, by hand.
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


any_date = st.one_of(
    st.just(""),
    st.dates().map(date.isoformat),  # year 1 to 9999
    st.dates().map(day_month_year),
    st.sampled_from(
        ["0001-01-01", "9999-12-31", "0000-00-00", "2024-02-30", "10000-01-01", "31/12/99", "-1"]
    ),
    st.text(max_size=12),
)


def recent_dates() -> st.SearchStrategy[date]:
    today = timezone.localdate()
    return st.dates(min_value=today.replace(year=today.year - ORDER_DATE_YEARS_BACK + 1), max_value=today)


plausible_email = st.one_of(
    st.emails().filter(lambda e: len(e) <= 254),
    st.integers(70, 254).map(email_of_length),
)
any_email = st.one_of(
    plausible_email,
    any_text,
    st.integers(200, 400).map(lambda n: email_of_length(min(n, 320))),
    st.sampled_from(["İ" * 60 + "@example.com", "a@b", "@example.com", "ana@例え.jp", "ana@example.com\x00"]),
)
plausible_phone = st.from_regex(r"\+?[0-9]{2,3}[ -]?[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{0,4}", fullmatch=True)
any_phone = st.one_of(plausible_phone, any_text, st.sampled_from(["0" * 41, "+" * 40, "١٢٣٤٥٦٧", "①②③④⑤⑥"]))
any_choice = st.one_of(st.sampled_from(Kind.values), any_text)
# A checkbox is sent as "on" when ticked; anything else a client may send instead.
any_tick = st.one_of(st.sampled_from(["on", "true", "false", "0", "1", "", "FALSE"]), st.text(max_size=5))

SIGNATURES = [
    b"\xff\xd8\xff",
    b"\x89PNG\r\n\x1a\n",
    b"GIF89a",
    b"RIFF\x00\x00\x00\x00WEBP",
    b"%PDF-",
    b"MZ",
    b"",
]
# Names a browser sends (the file's own name, never a path); Django's test client refuses the rest.
file_names = st.one_of(
    st.text(
        st.characters(exclude_characters="/\\\r\n", exclude_categories=("Cs",)), min_size=1, max_size=300
    ).filter(lambda name: name not in (".", "..")),
    st.sampled_from(
        ["foto.jpg", " ", "\u200b", "a\x00b.png", "&sol;", "&amp;.png", 'a"b.png', "x" * 300 + ".pdf"]
    ),
)
file_types = st.one_of(
    st.sampled_from(["image/png", "image/jpeg", "application/pdf", "text/html", "application/x-msdownload"]),
    st.text(typed, max_size=40),
)
file_contents = st.builds(bytes.__add__, st.sampled_from(SIGNATURES), st.binary(max_size=64))
# (name, content, declared type): built into files inside the test, since a request reads them.
uploads = st.lists(st.tuples(file_names, file_contents, file_types), max_size=4)


def ticked(data: dict) -> dict[str, bool]:
    """The consents a browser's checkboxes mean: absent, empty or "false" is no, anything else yes."""
    return {
        name.removeprefix("consent_"): data.get(name, "") != "" and data[name].lower() != "false"
        for name in CONSENT_FIELDS
    }


def as_files(specs: list[tuple[str, bytes, str]]) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(name, content, content_type=kind) for name, content, kind in specs]


def received(files: list[SimpleUploadedFile]) -> list[SimpleUploadedFile]:
    """The files Django hands to the view: it drops a part whose name is nothing printable.

    (A photo named only "\\u200b" is lost before any of our code runs; see the report.)
    """
    return [f for f in files if MultiPartParser.sanitize_file_name(None, f.name)]


@st.composite
def feedback_posts(draw: st.DrawFn, *, weird: bool) -> dict:
    """A feedback form POST: plausible fields with arbitrary words, and (``weird``) junk in any field."""

    def field(usual: st.SearchStrategy, junk: st.SearchStrategy) -> object:
        return draw(mostly(usual, junk) if weird else usual)

    order_date = draw(st.none() | recent_dates())
    promised = draw(st.none() | recent_dates().map(lambda d: max(d, order_date or d)))
    data = {
        "kind": field(st.sampled_from(Kind.values), any_choice),
        "subject": field(typed_text(1, 200), any_text),
        "message": field(
            st.one_of(
                typed_text(10, 300), st.sampled_from(["Mi pedido lleva retraso", "Factura con cobro doble"])
            ),
            any_text,
        ),
        "order_reference": field(st.one_of(st.just(""), typed_text(1, 60)), any_text),
        "order_date": field(st.just(order_date.isoformat() if order_date else ""), any_date),
        "promised_delivery_date": field(st.just(promised.isoformat() if promised else ""), any_date),
        "product": field(st.one_of(st.just(""), typed_text(1, 200)), any_text),
        "store": field(st.one_of(st.just(""), typed_text(1, 200)), any_text),
        "name": field(typed_text(1, 200), any_text),
        "customer_number": field(st.one_of(st.just(""), typed_text(1, 40)), any_text),
    }
    contact = draw(st.sampled_from(["email", "phone", "both"]))
    data["email"] = field(plausible_email, any_email) if contact != "phone" else ""
    data["phone"] = field(plausible_phone, any_phone) if contact != "email" else ""
    for name in CONSENT_FIELDS:
        if draw(st.booleans()):
            data[name] = field(st.just("on"), any_tick)
    if weird and draw(st.integers(0, 9)) == 0:
        data["website"] = draw(any_text)  # the honeypot, which people leave empty
    return data


# --- Fixtures -----------------------------------------------------------------


@pytest.fixture
def case_of(routing_rules, laura):
    """A routed logistics case in the given status, created inside the running example."""

    def make(status: str, **fields) -> Case:
        # Waiting, resolved and closed are reached as staff reach them, with their timestamps.
        direct = status in (Status.NEW, Status.ROUTED, Status.IN_PROGRESS)
        case = CaseFactory(
            department=routing_rules["logistics"],
            owner=laura,
            status=status if direct else Status.IN_PROGRESS,
            customer=CustomerFactory(email="ana@example.com"),
            routed_at=timezone.now(),
            **fields,
        )
        if not direct:
            case_change_status(case=case, status=status, actor=laura)
        return case

    return make


@pytest.fixture
def visitor(client):
    """A browser arriving for the first time: no session, no language cookie.

    One client for every example: each new Client loads the middleware
    again, and WhiteNoise's scan of the static files alone takes ~80 ms.
    """

    def arrive() -> Client:
        client.cookies.clear()
        return client

    return arrive


def post(client: Client, url: str, data: dict, capture) -> object:
    # Celery runs eagerly here, but only once the view's transaction commits:
    # run the on-commit callbacks (routing, emails) as a real commit would.
    with capture(execute=True):
        return client.post(url, data)


# --- The feedback form --------------------------------------------------------


def check_feedback_answer(client: Client, data: dict, files: list, response) -> None:
    # How often each answer came (--hypothesis-show-statistics): a fuzzer that is
    # always refused never tests the accepting path.
    event(f"answer {response.status_code}")
    assert response.status_code < 500
    if response.status_code != 302:
        # Refused (400) or too many (429): with its reasons, and nothing stored.
        assert response.status_code in (400, 429), response.status_code
        assert not Case.objects.exists()
        return
    case = Case.objects.get()
    assert response["Location"] == reverse("feedback:thanks", args=[case.reference])
    assert case.subject == data["subject"].strip()
    assert case.message == data["message"].strip()
    assert case.customer.email == data["email"].strip().lower()
    assert case.attachments.count() == len(received(files))
    assert case.customer.name == data["name"].strip()
    assert current_consents(case.customer) == ticked(data)
    assert_routed_as_the_rules_decide(case)
    # The pages that show the stored case render it, whatever it holds.
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200
    assert case.reference in thanks.text
    assert client.get(reverse("track", args=[case.tracking_token])).status_code == 200


def submit_and_check(visitor, capture, data: dict, files) -> HttpResponse:
    """Post the form with these fields and files; check the answer (refused cleanly, or stored and routed)."""
    client = visitor()
    attached = as_files(files)
    response = post(client, NEW_URL, {**data, "attachments": attached}, capture)
    check_feedback_answer(client, data, attached, response)
    return response


@given(data=feedback_posts(weird=False), files=uploads)
def test_a_plausible_submission_is_stored_and_routed(
    visitor, routing_rules, django_capture_on_commit_callbacks, data, files
):
    """Any words in the fields, valid formats: accepted unless a file is refused."""
    with rolled_back():
        response = submit_and_check(visitor, django_capture_on_commit_callbacks, data, files)

        form = response.context["form"] if response.status_code == 400 else None
        # Only the files may make a plausible submission fail.
        assert form is None or set(form.errors) <= {"attachments"}, form.errors


@given(data=feedback_posts(weird=True), files=uploads)
def test_any_submission_is_refused_cleanly_or_stored_and_routed(
    visitor, routing_rules, django_capture_on_commit_callbacks, data, files
):
    with rolled_back():
        submit_and_check(visitor, django_capture_on_commit_callbacks, data, files)


BOUNDARY = b"cxfuzzboundary"
VALID_FORM = {
    "kind": "complaint",
    "subject": "Caja rota",
    "message": "Llegó la caja rota y con retraso",
    "name": "Ana",
    "email": "ana@example.com",
}
raw_names = st.one_of(
    st.binary(max_size=80),
    st.text(max_size=80).map(lambda name: name.encode()),
    st.sampled_from(
        [b"../../etc/passwd", b"..\\..\\boot.ini", b"&#47;etc&#47;x.png", b"a\x00b.png", b"%2e%2e%2fx"]
    ),
)
# The file part's Content-Disposition after its name: what a hand-written client may put there.
dispositions = st.one_of(
    raw_names.map(lambda name: b'filename="' + name + b'"'),
    raw_names.map(lambda name: b"filename=" + name),
    raw_names.map(lambda name: b"filename*=UTF-8''" + quote(name).encode()),
    st.binary(max_size=40),
)
raw_files = st.lists(st.tuples(dispositions, st.binary(max_size=40), file_contents), max_size=4)


def multipart(fields: dict[str, str], files: list[tuple[bytes, bytes, bytes]]) -> bytes:
    """A multipart body written by hand, so a file part's headers hold what no test client sends."""
    lines = []
    for name, value in fields.items():
        lines += [
            b"--" + BOUNDARY,
            f'Content-Disposition: form-data; name="{name}"'.encode(),
            b"",
            value.encode(),
        ]
    for disposition, content_type, content in files:
        lines += [
            b"--" + BOUNDARY,
            b'Content-Disposition: form-data; name="attachments"; ' + disposition,
            b"Content-Type: " + content_type,
            b"",
            content,
        ]
    return b"\r\n".join([*lines, b"--" + BOUNDARY + b"--", b""])


@given(files=raw_files, cut=st.none() | st.integers(0, 2000))
def test_hand_written_file_parts_never_reach_the_disk_outside_the_uploads(
    visitor, routing_rules, django_capture_on_commit_callbacks, settings, files, cut
):
    """Path separators, NUL, entities and broken headers in the file name: stored safely or refused."""
    with rolled_back():
        body = multipart(VALID_FORM, files)[:cut]
        with django_capture_on_commit_callbacks(execute=True):
            response = visitor().generic(
                "POST", NEW_URL, body, content_type=f"multipart/form-data; boundary={BOUNDARY.decode()}"
            )

        event(f"answer {response.status_code}")
        assert response.status_code in (302, 400), response.status_code
        if response.status_code == 400:
            assert not Case.objects.exists()
            return
        case = Case.objects.get()
        assert_routed_as_the_rules_decide(case)
        for attachment in case.attachments.all():
            assert attachment.name
            assert attachment.name.isprintable()
            assert not {"/", "\\"} & set(attachment.name)
            assert Path(attachment.file.path).resolve().is_relative_to(Path(settings.MEDIA_ROOT).resolve())
        assert visitor().get(reverse("track", args=[case.tracking_token])).status_code == 200


@given(fields=st.dictionaries(st.one_of(st.sampled_from(["kind", "email", "message"]), st.text()), any_text))
def test_a_post_with_any_field_names_is_never_a_server_error(visitor, routing_rules, fields):
    with rolled_back():
        response = visitor().post(NEW_URL, fields)

        assert response.status_code in (302, 400, 429)


# --- The tracking page --------------------------------------------------------

# Anything a link could hold after /track/ or /survey/: printable, percent-encoded on the way.
path_text = st.text(min_size=1, max_size=100)


@given(token=path_text, query=st.dictionaries(st.sampled_from(["lang", "page", "x"]), any_text, max_size=2))
def test_an_arbitrary_token_is_a_404_not_an_error(visitor, routing_rules, token, query):
    with rolled_back():
        client = visitor()
        for prefix in ("/track/", "/survey/"):
            for suffix in ("/", "/preferences/"):
                if prefix == "/survey/" and suffix != "/":
                    continue
                url = prefix + quote(token, safe="") + suffix
                response = client.get(url, query)
                # A NUL anywhere is refused up front (400); otherwise nobody holds this token.
                assert response.status_code == (400 if "\x00" in token or any_nul(query) else 404), url


def any_nul(query: dict) -> bool:
    return any("\x00" in value for value in query.values())


@given(tail=st.lists(path_text, min_size=1, max_size=4), method=st.sampled_from(["get", "post", "head"]))
def test_garbage_paths_under_track_and_survey_are_404(visitor, routing_rules, case_of, tail, method):
    with rolled_back():
        case = case_of(Status.RESOLVED)
        client = visitor()
        for prefix in (
            f"/track/{case.tracking_token}/",
            "/track/",
            f"/track/{case.tracking_token}/files/",
            f"/survey/{case.tracking_token}/",
            "/survey/",
            "/feedback/thanks/",
        ):
            url = prefix + "/".join(quote(part, safe="") for part in tail) + "/"
            response = getattr(client, method)(url)
            assert response.status_code < 500, url
            if "\x00" in "".join(tail):
                assert response.status_code == 400, url
            elif not resolves(unquote(url)):
                assert response.status_code == 404, url


def resolves(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


@given(
    status=st.sampled_from(Status.values),
    text=mostly(typed_text(2, 500), any_text),
    files=uploads,
)
def test_a_customer_message_is_stored_or_refused_cleanly(
    visitor, case_of, django_capture_on_commit_callbacks, status, text, files
):
    with rolled_back():
        case = case_of(status)
        before = case.events.count()
        attached = as_files(files)
        url = reverse("track", args=[case.tracking_token])

        response = post(
            visitor(), url, {"text": text, "attachments": attached}, django_capture_on_commit_callbacks
        )

        event(f"answer {response.status_code}")
        assert response.status_code in (302, 400), response.status_code
        if response.status_code == 400:
            assert case.events.count() == before
            return
        assert response["Location"] == url
        message = case.events.get(kind=CaseEvent.Kind.CUSTOMER_MESSAGE)
        assert message.text == text.strip()
        assert Attachment.objects.filter(event=message).count() == len(received(attached))
        case.refresh_from_db()
        # The customer is still talking: a waiting, resolved or closed case is open again.
        assert case.status == (status if status in (Status.NEW, Status.ROUTED) else Status.IN_PROGRESS)
        assert Notification.objects.filter(case=case, event="customer_message", recipient=case.owner).exists()
        assert visitor().get(url).status_code == 200


@given(ticks=st.dictionaries(st.sampled_from(CONSENT_FIELDS), mostly(st.just("on"), any_tick)))
def test_preferences_are_saved_as_ticked(visitor, case_of, ticks):
    with rolled_back():
        case = case_of(Status.IN_PROGRESS)
        url = reverse("preferences", args=[case.tracking_token])

        response = visitor().post(url, ticks)

        assert response.status_code == 302
        assert current_consents(case.customer) == ticked(ticks)
        assert visitor().get(url).status_code == 200


# --- The survey ---------------------------------------------------------------

score = st.one_of(st.integers(-2, 12).map(str), any_text)


@given(
    # Mostly a resolved or closed case, the only ones whose survey is open.
    status=mostly(st.sampled_from([Status.RESOLVED, Status.CLOSED]), st.sampled_from(Status.values)),
    answered=mostly(st.just(False), st.just(True)),
    answers=st.fixed_dictionaries(
        {
            "csat": mostly(st.integers(1, 5).map(str), score),
            "nps": mostly(st.integers(0, 10).map(str), score),
            "ces": mostly(st.integers(1, 7).map(str), score),
        },
        optional={"comment": mostly(typed_text(0, 2000), any_text)},
    ),
)
def test_survey_answers_are_recorded_once_or_refused_cleanly(visitor, case_of, status, answered, answers):
    with rolled_back():
        case = case_of(status)
        if answered and status in (Status.RESOLVED, Status.CLOSED):
            survey_submit(case=case, csat=3, nps=7, ces=4)
        before = SurveyResponse.objects.filter(case=case).first()
        url = reverse("survey", args=[case.tracking_token])
        client = visitor()

        assert client.get(url).status_code == 200
        response = client.post(url, answers)
        event(f"answer {response.status_code}")

        if before is not None:
            assert response.status_code == 409
            assert SurveyResponse.objects.get(case=case) == before
        elif response.status_code == 302:
            survey = SurveyResponse.objects.get(case=case)
            assert case.status in (Status.RESOLVED, Status.CLOSED)
            given_scores = (int(answers["csat"]), int(answers["nps"]), int(answers["ces"]))
            assert (survey.csat, survey.nps, survey.ces) == given_scores
            assert survey.comment == answers.get("comment", "").strip()
        else:
            assert response.status_code == 400, response.status_code
            assert not SurveyResponse.objects.filter(case=case).exists()
        assert client.get(url).status_code == 200
