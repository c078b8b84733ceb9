"""Spanish is complete: every string in the code is translated and compiled."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "locale"
PO = LOCALE / "es" / "LC_MESSAGES" / "django.po"
# Spanish for third-party apps that ship none (django-axes), kept by hand.
VENDOR_PO = LOCALE / "vendor" / "es" / "LC_MESSAGES" / "django.po"
SOURCES = ("cxportal", "feedback", "routing", "dashboards", "templates")


@pytest.mark.parametrize("path", [PO, VENDOR_PO], ids=["project", "vendor"])
def test_every_spanish_entry_is_translated_and_not_fuzzy(path):
    po = polib.pofile(str(path))
    missing = [e.msgid for e in po if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]
    assert missing == []


@pytest.mark.parametrize("path", [PO, VENDOR_PO], ids=["project", "vendor"])
def test_compiled_catalogue_matches_the_po_file(path):
    po = polib.pofile(str(path))
    mo = polib.mofile(str(path.with_suffix(".mo")))
    compiled = {(e.msgctxt, e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items()))) for e in mo}
    expected = {
        (e.msgctxt, e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items())))
        for e in po
        if not e.obsolete and e.translated()
    }
    assert compiled == expected, "run: make messages"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext (xgettext) is not installed")
def test_no_string_in_the_code_is_missing_from_the_catalogue(tmp_path):
    # makemessages on a copy of the sources, so the repository is untouched.
    base = Path(settings.BASE_DIR)
    for name in (*SOURCES, "manage.py"):
        src = base / name
        if src.is_dir():
            shutil.copytree(src, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "migrations"))
        else:
            shutil.copy(src, tmp_path / name)
    shutil.copytree(LOCALE, tmp_path / "locale")
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "--locale", "es", "--no-obsolete", "--no-location"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        # No settings module: makemessages then scans the working directory.
        env={"PATH": "/usr/local/bin:/usr/bin:/bin"},
    )
    fresh = polib.pofile(str(tmp_path / "locale" / "es" / "LC_MESSAGES" / "django.po"))
    untranslated = sorted(e.msgid for e in fresh if not e.translated() or "fuzzy" in e.flags)
    assert untranslated == []


def test_the_sign_in_lockout_admin_speaks_spanish():
    from axes.models import AccessAttempt
    from django.utils import translation

    with translation.override("es"):
        assert str(AccessAttempt._meta.verbose_name_plural) == "intentos de acceso"
