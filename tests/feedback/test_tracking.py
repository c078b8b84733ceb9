"""The customer's tracking page and the staff reply that appears on it."""

import pytest
from django.urls import reverse

from feedback.models import CaseEvent, Status
from feedback.services import case_add_note, case_change_status, case_reply

from ..factories import CaseFactory

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def case(organisation, laura):
    return CaseFactory(
        department=organisation["logistics"], owner=laura, status=Status.ROUTED, message=f"Mi pedido {SCRIPT}"
    )


def track_url(case) -> str:
    return reverse("track", args=[case.tracking_token])


def test_the_tracking_token_is_long_and_random(organisation):
    first, second = CaseFactory(), CaseFactory()
    assert first.tracking_token != second.tracking_token
    assert len(first.tracking_token) >= 32  # 24 random bytes, url-safe base64


def test_an_unknown_token_is_a_404(client, db):
    assert client.get("/track/not-a-real-token/").status_code == 404


def test_it_shows_status_reference_and_the_staff_reply(client, case, laura):
    case_reply(case=case, text="Lo sentimos, sale hoy mismo.", actor=laura)
    response = client.get(track_url(case))
    assert response.status_code == 200
    content = response.content.decode()
    assert case.reference in content
    assert "Lo sentimos, sale hoy mismo." in content
    assert str(Status.IN_PROGRESS.label) in content or "En curso" in content


def test_internal_notes_and_staff_names_never_reach_the_customer(client, case, laura):
    case_add_note(case=case, text="Cliente conflictivo, ojo", actor=laura)
    CaseEvent.objects.create(
        case=case, kind=CaseEvent.Kind.ROUTED, text="Logistics → Laura Secretname", is_public=True
    )
    content = client.get(track_url(case)).content.decode()
    assert "Cliente conflictivo" not in content
    assert "Secretname" not in content


def test_customer_text_is_escaped(client, case):
    content = client.get(track_url(case)).content.decode()
    assert SCRIPT not in content
    assert "&lt;script&gt;" in content


def test_a_customer_message_moves_a_waiting_case_back_to_in_progress(client, case, laura):
    case_change_status(case=case, status=Status.WAITING, actor=laura)
    response = client.post(track_url(case), {"text": "Aquí tienen la foto del paquete"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS
    assert case.events.filter(kind=CaseEvent.Kind.CUSTOMER_MESSAGE, is_public=True).count() == 1


def test_a_message_on_a_resolved_case_reopens_it(client, case, laura):
    case_change_status(case=case, status=Status.RESOLVED, actor=laura)
    client.post(track_url(case), {"text": "Sigue sin funcionar"})
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS
    assert case.resolved_at is None


def test_an_empty_message_is_refused_with_a_400_and_changes_nothing(client, case):
    events_before = case.events.count()
    response = client.post(track_url(case), {"text": " "})
    assert response.status_code == 400
    assert case.events.count() == events_before


def test_the_first_reply_sets_the_first_response_time_once(case, laura):
    first = case_reply(case=case, text="Primera respuesta", actor=laura)
    case_reply(case=case, text="Segunda", actor=laura)
    case.refresh_from_db()
    assert case.first_response_at == first.at


def test_the_thanks_page_links_to_the_tracking_page(client, organisation):
    response = client.post(
        "/feedback/new/",
        {
            "kind": "complaint",
            "subject": "Pedido",
            "message": "No ha llegado mi pedido",
            "name": "Ana",
            "email": "ana@example.com",
        },
    )
    thanks = client.get(response["Location"])
    case = thanks.context["case"]
    assert reverse("track", args=[case.tracking_token]) in thanks.content.decode()


@pytest.mark.parametrize(
    "path", ["/track/%00/", "/survey/%00/", "/track/%00/preferences/", "/track/x%00/files/1/"]
)
def test_a_nul_byte_in_a_customer_link_is_a_400_not_a_server_error(client, db, path):
    # PostgreSQL text cannot hold NUL: before the guard this reached the query and failed there.
    response = client.get(path)

    assert response.status_code == 400


@pytest.mark.parametrize(
    "path",
    [
        "/track/not%20a%20token/",
        "/track/%E2%9C%93/",
        "/survey/a.b/",
        "/track/a:b/preferences/",
        f"/track/{'x' * 65}/",
        "/track/x~/files/1/",
        "/feedback/thanks/CX-2026%20000001/",
    ],
)
def test_a_link_no_real_token_could_have_is_a_404_without_a_query(
    client, db, path, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = client.get(path)

    assert response.status_code == 404
