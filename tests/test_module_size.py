"""No module of ours grows past what one reader holds in mind (~350 lines).

A module that passes the limit is split by job, as ``routing/models/`` and
``feedback/services/`` are; migrations (generated) and tests are not counted.
"""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("cxportal", "feedback", "routing", "notifications", "dashboards", "bench", "scripts")
MOST_LINES = 350


def our_modules() -> list[Path]:
    return [
        path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.relative_to(ROOT).parts
    ]


def test_it_looks_at_every_app():
    found = {path.relative_to(ROOT).parts[0] for path in our_modules()}

    assert found == set(PACKAGES)


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_is_longer_than_the_limit(package):
    too_long = {
        str(path.relative_to(ROOT)): lines
        for path in our_modules()
        if path.relative_to(ROOT).parts[0] == package
        and (lines := len(path.read_text(encoding="utf-8").splitlines())) > MOST_LINES
    }

    assert too_long == {}
