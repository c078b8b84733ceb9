"""What the browser tests do on the customer's pages, in one place."""

import re

from playwright.sync_api import Page, expect

REFERENCE = re.compile(r"^CX-\d{4}-\d{6}$")
THANKS_URL = re.compile(r"/feedback/thanks/CX-\d{4}-\d{6}/$")
TRACK_URL = re.compile(r"/track/[\w-]+/$")

# Matched by the delivery rule: it lands with logistics.
LATE_DELIVERY = {
    "subject": "Pedido 12345 con retraso",
    "message": "Mi pedido no ha llegado, lleva 5 días de retraso.",
    "name": "Marta Ruiz",
    "email": "marta@example.com",
}


def fill_feedback_form(page: Page, *, subject: str, message: str, name: str, email: str) -> None:
    page.locator("#id_subject").fill(subject)
    page.locator("#id_message").fill(message)
    page.locator("#id_name").fill(name)
    page.locator("#id_email").fill(email)


def submit_feedback(page: Page, *, path: str = "/feedback/new/", **fields: str) -> str:
    """Fill and send the public form; return the reference the thanks page shows."""
    page.goto(path)
    fill_feedback_form(page, **{**LATE_DELIVERY, **fields})
    page.locator("#feedback-form [type=submit]").click()
    expect(page).to_have_url(THANKS_URL)
    reference = page.locator("#reference")
    expect(reference).to_have_text(REFERENCE)
    return reference.inner_text().strip()
