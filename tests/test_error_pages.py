"""Error pages: branded and in the visitor's language, never Django's plain ones."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.utils import translation
from django.views import defaults


def test_an_unknown_address_gets_the_portal_s_404_in_spanish_by_default(client, db):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    page = response.content.decode()
    assert "CX Portal" in page
    assert "Página no encontrada" in page


def test_it_speaks_english_to_who_asks_for_it(client, db):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")

    assert "Page not found" in response.content.decode()


@pytest.mark.parametrize(
    ("view", "arguments", "status", "spanish"),
    [
        (defaults.server_error, (), 500, "Algo ha fallado por nuestra parte"),
        (defaults.permission_denied, (PermissionDenied(),), 403, "Sin acceso"),
        (defaults.bad_request, (Exception(),), 400, "Petición no válida"),
    ],
)
def test_the_other_error_pages_are_the_portal_s_too(view, arguments, status, spanish):
    request = RequestFactory().get("/")

    with translation.override("es"):
        response = view(request, *arguments)

    assert response.status_code == status
    page = response.content.decode()
    assert "CX Portal" in page
    assert spanish in page
