"""Customer files: checked by content, kept private, served to the right people."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from feedback.models import Attachment, Case, CaseEvent

from ..factories import CaseFactory

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"0" * 64
VALID = {
    "kind": "complaint",
    "subject": "Caja rota",
    "message": "Llegó la caja rota",
    "name": "Ana",
    "email": "ana@example.com",
}


def upload(name: str, content: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_a_photo_and_a_pdf_are_stored_with_the_case(client, organisation):
    response = client.post(
        "/feedback/new/",
        {**VALID, "attachments": [upload("caja.png", PNG), upload("ticket.pdf", PDF, "application/pdf")]},
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert sorted((a.name, a.content_type) for a in case.attachments.all()) == [
        ("caja.png", "image/png"),
        ("ticket.pdf", "application/pdf"),
    ]


def test_the_type_comes_from_the_content_not_the_name(client, organisation):
    response = client.post(
        "/feedback/new/", {**VALID, "attachments": [upload("foto.png", b"MZ\x90\x00 not an image")]}
    )
    assert response.status_code == 400
    assert "attachments" in response.context["form"].errors
    assert not Case.objects.exists()


def test_more_than_three_files_are_refused(client, organisation):
    files = [upload(f"f{i}.png", PNG) for i in range(4)]
    response = client.post("/feedback/new/", {**VALID, "attachments": files})
    assert response.status_code == 400
    assert not Case.objects.exists()


def test_a_file_over_5_mb_is_refused(client, organisation):
    big = upload("big.png", PNG + b"0" * (5 * 1024 * 1024))
    response = client.post("/feedback/new/", {**VALID, "attachments": [big]})
    assert response.status_code == 400


def test_files_are_stored_outside_the_static_files_under_a_random_name(client, organisation, settings):
    client.post("/feedback/new/", {**VALID, "attachments": [upload("caja.png", PNG)]})
    path = Attachment.objects.get().file.path
    assert path.startswith(str(settings.MEDIA_ROOT))
    assert "caja" not in path


def test_the_link_holder_and_the_department_staff_can_open_a_file_others_cannot(
    client, organisation, laura, bruno, staff_permissions
):
    case = CaseFactory(department=organisation["logistics"], owner=laura)
    client.post(
        reverse("track", args=[case.tracking_token]), {"text": "Foto", "attachments": [upload("x.png", PNG)]}
    )
    attachment = Attachment.objects.get()
    assert attachment.event.kind == CaseEvent.Kind.CUSTOMER_MESSAGE

    response = client.get(reverse("track-attachment", args=[case.tracking_token, attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Security-Policy"] == "sandbox"
    assert b"".join(response.streaming_content) == PNG
    assert client.get(reverse("track-attachment", args=["wrong-token", attachment.pk])).status_code == 404

    staff_url = reverse("staff-attachment", args=[attachment.pk])
    assert client.get(staff_url).status_code == 302  # to the login page
    client.force_login(laura)
    assert client.get(staff_url).status_code == 200
    client.force_login(bruno)
    assert client.get(staff_url).status_code == 404


def test_rules_can_see_that_a_case_has_attachments(client, organisation):
    from django.utils import timezone

    from routing.selectors import facts_for_case

    client.post("/feedback/new/", {**VALID, "attachments": [upload("caja.png", PNG)]})
    case = Case.objects.get()
    assert facts_for_case(case, today=timezone.localdate()).has_attachments is True


def test_a_look_alike_name_is_stored_with_the_extension_of_what_the_file_is(client, organisation):
    files = [upload("poly.html", PNG), upload("../../informe.PDF", PDF, "application/pdf")]
    response = client.post("/feedback/new/", {**VALID, "attachments": files})

    assert response.status_code == 302
    assert sorted(Attachment.objects.values_list("name", flat=True)) == ["informe.PDF", "poly.png"]
    attachment = Attachment.objects.get(name="poly.png")
    download = client.get(reverse("track-attachment", args=[attachment.case.tracking_token, attachment.pk]))
    assert download["Content-Type"] == "image/png"
    assert 'filename="poly.png"' in download["Content-Disposition"]
