"""Take the README screenshots from a running portal (``make run``).

    .venv/bin/python scripts/screenshots.py [--url http://127.0.0.1:8000] [--password ...]

Submits the walk-through complaint, then photographs the form, the case in
laura's admin (with its triage explanation), her rules and a what-if trial
of one of them, and elena's dashboard with Debian's Chromium.
"""

import argparse
import re
import shutil
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
MESSAGE = "Mi pedido 12345 no ha llegado, lleva 5 días de retraso"


def login(page, url: str, username: str, password: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{url}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")


def settle(page) -> None:
    """Wait until the page's images and styles have loaded, so the picture shows them."""
    page.wait_for_load_state("networkidle")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--password", default="cxdemo-2026")
    args = parser.parse_args()
    url = args.url.rstrip("/")
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="es-ES")
        page.goto(f"{url}/feedback/new/")
        page.select_option("#id_kind", "complaint")
        page.fill("#id_subject", "Pedido sin entregar")
        page.fill("#id_message", MESSAGE)
        page.fill("#id_order_reference", "12345")
        page.fill("#id_name", "Ana García")
        page.fill("#id_email", "ana.garcia@example.com")
        settle(page)
        page.screenshot(path=str(OUT / "form.png"), full_page=True)
        page.click("#submit-id-submit")
        reference = page.inner_text("#reference").strip()
        settle(page)
        page.screenshot(path=str(OUT / "thanks.png"))
        print("submitted", reference)
        time.sleep(3)  # the worker routes it meanwhile

        login(page, url, "laura", args.password)
        page.goto(f"{url}/admin/feedback/case/?q={reference}")
        page.click(f"text={reference}")
        settle(page)
        page.screenshot(path=str(OUT / "admin.png"), full_page=True)
        page.goto(f"{url}/admin/feedback/case/")
        settle(page)
        page.screenshot(path=str(OUT / "admin-list.png"))
        page.goto(f"{url}/admin/routing/rule/")
        settle(page)
        page.screenshot(path=str(OUT / "rules.png"), full_page=True)
        # Staff entry: carmen takes Ana's call; typing her email finds her record.
        login(page, url, "carmen", args.password)
        page.goto(f"{url}/admin/feedback/case/add/")
        page.fill("#id_name", "Ana García")
        page.fill("#id_phone", "600 11 22 33")
        # Ana's first case is logistics': carmen is told the contact is known, not shown whose.
        page.fill("#id_email", "ana.garcia@example.com")
        page.wait_for_selector("[data-known-elsewhere]:not([hidden]), [data-matches] button", timeout=10_000)
        page.fill("#id_subject", "Llamada: pedido 12345")
        page.fill("#id_message", "Llama: el pedido 12345 sigue sin llegar, una semana de retraso.")
        page.fill("#id_order_reference", "12345")
        settle(page)
        page.screenshot(path=str(OUT / "staff-entry.png"), full_page=True)
        page.click("#staff-entry-form input[type=submit]")
        time.sleep(3)  # routed meanwhile
        # The customer's 360° view: both cases, two channels.
        login(page, url, "admin", args.password)
        page.goto(f"{url}/admin/feedback/customer/?q=ana.garcia%40example.com")
        page.click("#result_list tbody tr a")
        settle(page)
        page.screenshot(path=str(OUT / "customer.png"), full_page=True)

        # What-if: a draft (never saved) sending refund requests to billing, tried on the last 90 days.
        login(page, url, "admin", args.password)
        page.goto(f"{url}/admin/routing/rule/add/")
        page.fill("#id_name", "Reembolsos a facturación / Refunds to billing")
        page.select_option("#id_set_department", label="Facturación / Billing")
        page.check("#id_override_department")
        page.select_option("#id_conditions-0-field", "text")
        page.select_option("#id_conditions-0-operator", "contains_any")
        page.fill("#id_conditions-0-value", "reembolso, devolución del dinero, refund, money back")
        page.click("button[name=_try]")
        page.wait_for_selector("#trial-summary, #trial-summary-hidden, p.errornote", timeout=120_000)
        settle(page)
        page.screenshot(path=str(OUT / "what-if.png"), full_page=True)

        login(page, url, "elena", args.password)
        page.goto(f"{url}/dashboards/")
        settle(page)
        page.screenshot(path=str(OUT / "dashboard.png"), full_page=True)
        browser.close()
    print("screenshots in", OUT, sorted(re.sub(r".*/", "", str(f)) for f in OUT.glob("*.png")))


if __name__ == "__main__":
    main()
