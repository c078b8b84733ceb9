"""Security headers and production settings: CSP on every page, HTTPS settings from the environment."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from feedback import services
from feedback.models import Attachment, Channel

from .feedback.test_attachments import PNG, upload

BASE_DIR = Path(__file__).resolve().parent.parent

# What the README documents for production behind an HTTPS proxy.
PRODUCTION_ENV = {
    "DEBUG": "0",
    "ALLOWED_HOSTS": "cx.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://cx.example.com",
    "SITE_URL": "https://cx.example.com",
    "CX_HTTPS": "1",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # Not what the browser tests set for themselves while Playwright runs in this process.
    inherited = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment = {key: value for key, value in inherited.items() if key not in PRODUCTION_ENV}
    environment.update(env)
    return subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), *args],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def check_deploy(var_dir: Path, **env: str) -> subprocess.CompletedProcess:
    return manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **{**PRODUCTION_ENV, **env},
        SECRET_KEY=secrets.token_urlsafe(50),
        CX_VAR_DIR=str(var_dir),
    )


def test_check_deploy_is_clean_in_the_documented_production_configuration(tmp_path):
    result = check_deploy(tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_without_the_https_settings(tmp_path):
    # The same check fails when HTTPS is not switched on: it can fail, so it proves something.
    result = check_deploy(tmp_path, CX_HTTPS="0")

    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr + result.stdout


def test_the_https_settings_come_from_the_environment(tmp_path):
    code = (
        "from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SECURE_PROXY_SSL_HEADER)"
    )
    result = manage("shell", "-c", code, **PRODUCTION_ENV, SECRET_KEY="x" * 50, CX_VAR_DIR=str(tmp_path))

    assert (
        result.stdout.strip().splitlines()[-1]
        == "True 31536000 True True ('HTTP_X_FORWARDED_PROTO', 'https')"
    )


def test_a_malformed_proxy_header_setting_stops_start_up_with_a_clear_message(tmp_path):
    result = manage("check", SECRET_KEY="x" * 50, CX_VAR_DIR=str(tmp_path), SECURE_PROXY_SSL_HEADER="https")

    assert result.returncode != 0
    assert 'SECURE_PROXY_SSL_HEADER must be "HEADER,value"' in result.stderr


def test_health_is_not_redirected_to_https(client, settings, db):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get(reverse("home")).status_code == 301
    # 200 or 503 by what the checks find (Redis is away in unit tests), never a redirect.
    assert client.get(reverse("health")).status_code in (200, 503)


# --- Content-Security-Policy ---------------------------------------------------


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=\"|\son[a-z]+=\"", re.I)


@pytest.fixture
def case(organisation):
    return services.case_create(
        subject="Pedido con retraso",
        message="Mi pedido no ha llegado.\nLínea dos.",
        name="Ana",
        email="ana@example.com",
        kind="complaint",
        channel=Channel.WEB,
        language="es",
    )


def pages(case) -> list[str]:
    return [
        reverse("home"),
        reverse("feedback:new"),
        reverse("track", args=[case.tracking_token]),
        reverse("dashboards:overview"),
        "/admin/",
        reverse("admin:feedback_case_changelist"),
        reverse("admin:feedback_case_change", args=[case.pk]),
        reverse("admin:routing_rule_changelist"),
        reverse("admin:routing_rule_add"),
        reverse("admin:routing_triageversion_changelist"),
        reverse("api-docs"),
        "/no-such-page/",
    ]


def test_every_page_has_a_strict_policy_and_no_inline_script_or_style(admin_client, case):
    for url in pages(case):
        response = admin_client.get(url)
        assert response.status_code in (200, 404), url
        directives = policy(response)
        assert directives["script-src"] == ["'self'"], url
        assert directives["style-src"] == ["'self'"], url
        assert directives["object-src"] == ["'none'"], url
        assert directives["frame-ancestors"] == ["'none'"], url
        html = response.content.decode()
        assert not INLINE_SCRIPT.search(html), (url, INLINE_SCRIPT.search(html))
        assert not INLINE_STYLE.search(html), (url, INLINE_STYLE.search(html))


def test_attachments_keep_their_own_sandbox_policy(client, case):
    attachment = services.attachments_store(case=case, files=[(upload("photo.png", PNG), "image/png")])[0]
    response = client.get(reverse("track-attachment", args=[case.tracking_token, attachment.pk]))

    assert response.status_code == 200
    assert response["Content-Security-Policy"] == "sandbox"
    assert Attachment.objects.count() == 1
