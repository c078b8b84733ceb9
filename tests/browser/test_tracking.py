"""The customer follows their case from the private link, in a real Chromium."""

import pytest
from playwright.sync_api import Page, expect

from feedback import services
from feedback.models import Case, CaseEvent

from .pages import TRACK_URL, submit_feedback

pytestmark = pytest.mark.browser

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def test_the_customer_follows_the_case_sees_our_reply_and_answers(page: Page, delivery_rule, laura):
    reference = submit_feedback(page)
    page.locator("#tracking-link").click()

    expect(page).to_have_url(TRACK_URL)
    case = Case.objects.get(reference=reference)
    assert page.url.endswith(f"/track/{case.tracking_token}/")
    expect(page.locator("#reference")).to_have_text(reference)
    expect(page.locator("#status")).to_have_text("Asignado")

    services.case_reply(case=case, text="Su pedido sale hoy con mensajero urgente.", actor=laura)
    page.reload()
    expect(page.locator("#status")).to_have_text("En curso")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Nuestra respuesta")
    expect(timeline).to_contain_text("Su pedido sale hoy con mensajero urgente.")
    # Staff names stay on our side.
    expect(timeline).not_to_contain_text("Laura")

    page.locator("#id_text").fill("Gracias, quedo a la espera. Adjunto foto de la caja.")
    # A real PNG's first bytes: the type is checked from the content.
    photo = {"name": "caja.png", "mimeType": "image/png", "buffer": PNG}
    page.locator("#id_attachments").set_input_files(photo)
    page.get_by_role("button", name="Enviar").click()

    expect(page.get_by_role("status")).to_contain_text("Gracias: su mensaje se ha añadido a su caso.")
    last = timeline.locator(":scope > li").last
    expect(last).to_contain_text("Gracias, quedo a la espera.")
    expect(last.get_by_role("link", name="caja.png")).to_be_visible()
    message = case.events.get(kind=CaseEvent.Kind.CUSTOMER_MESSAGE)
    assert [a.name for a in message.attachments.all()] == ["caja.png"]
    # The photo opens for the holder of the link.
    response = page.request.get(last.get_by_role("link", name="caja.png").get_attribute("href"))
    assert response.status == 200
    assert response.body() == PNG


def test_customer_text_is_shown_as_text_never_run_as_html(page: Page, delivery_rule):
    payload = '<img src=x onerror="window.__xss=1">'
    submit_feedback(page, subject=f"Retraso {payload}", message=f"Mi pedido no ha llegado {payload}")
    page.locator("#tracking-link").click()
    expect(page).to_have_url(TRACK_URL)

    script = "<script>window.__xss=2</script>"
    page.locator("#id_text").fill(f"Sigo esperando {script}")
    page.get_by_role("button", name="Enviar").click()
    expect(page.get_by_role("status")).to_be_visible()
    page.wait_for_load_state("load")

    main = page.locator("main")
    expect(main).to_contain_text(f"Retraso {payload}")
    expect(page.locator("#timeline .customer-text").first).to_have_text(f"Mi pedido no ha llegado {payload}")
    expect(page.locator("#timeline")).to_contain_text(f"Sigo esperando {script}")
    expect(main.locator("img")).to_have_count(0)
    expect(main.locator("script")).to_have_count(0)
    assert page.evaluate("typeof window.__xss") == "undefined"
