"""A real Chromium against Django's live server.

Debian's Chromium is driven through Playwright (which cannot download its own
browsers here). The live server runs in a thread of this process, with
Celery eager, so a submitted case is routed before the thanks page loads,
as a worker would do it a moment later in production.
"""

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from routing.models import Tag

from ..factories import RuleConditionFactory, RuleFactory

CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-dev-shm-usage",
    # The network is closed: no update checks, no sync, no first-run pages.
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def _chromium_path() -> str | None:
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Chromium for the session; each test gets its own context."""
    executable = _chromium_path()
    if executable is None:
        pytest.skip("Chromium is not installed (apt-get install chromium)")

    # Playwright's sync API keeps an event loop running in this thread, and
    # Django refuses ORM calls from a thread with a running loop. Tests and
    # the live server are plain synchronous code, so the check is switched
    # off for as long as Playwright runs (to the end of the session).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory) -> Path:
    """Where each test leaves a full-page screenshot: $CX_SCREENSHOT_DIR or a pytest temp dir."""
    configured = os.environ.get("CX_SCREENSHOT_DIR")
    if not configured:
        return tmp_path_factory.mktemp("screenshots")
    directory = Path(configured)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture
def page(browser, live_server, screenshot_dir, request) -> Iterator[Page]:
    """A fresh context per test (no cookies or storage carried over), on the live server.

    A Spanish-speaking customer in Madrid: the site's default language is
    Spanish, and the browser's own preference would otherwise be en-US.
    """
    context = browser.new_context(base_url=live_server.url, locale="es-ES", timezone_id="Europe/Madrid")
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        # Also on failure: the screenshot shows where the test stopped.
        name = re.sub(r"[^\w.-]+", "_", request.node.name)
        try:
            page.screenshot(path=screenshot_dir / f"{name}.png", full_page=True)
        finally:
            context.close()


@pytest.fixture
def console_errors(page: Page) -> list[str]:
    """Every console error and uncaught exception of the page (a CSP violation is one)."""
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"{message.text} ({message.location.get('url')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


@pytest.fixture
def delivery_rule(organisation):
    """The demo's late-delivery rule: such messages go to logistics (laura)."""
    rule = RuleFactory(
        name="Late delivery", order=10, set_department=organisation["logistics"], set_priority="high"
    )
    rule.add_tags.set(Tag.objects.filter(slug="delivery-delay"))
    RuleConditionFactory(
        rule=rule, group="any", field="text", operator="contains_any", value="retras*, no ha llegado, late"
    )
    return rule
