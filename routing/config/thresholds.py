"""The departments' triage thresholds and the fallback, as triage reads them."""

from dataclasses import dataclass

from ..models import Department
from .ruleset import ruleset_version


@dataclass(frozen=True)
class TriageSettings:
    thresholds: dict[str, float]  # department slug -> the model's least confidence to route there
    fallback: str  # the department a case goes to when nothing else decides


_triage_settings: dict[str, TriageSettings] = {}


def triage_settings() -> TriageSettings:
    """The departments' triage thresholds and the fallback, read once per process and per rule-set version.

    Saving a department bumps that version (``routing.signals``), so an
    edited threshold reaches every worker on its next case, as rules do,
    without a query per case.
    """
    version = ruleset_version()
    settings = _triage_settings.get(version)
    if settings is None:
        departments = list(Department.objects.values_list("slug", "triage_threshold", "is_fallback"))
        settings = TriageSettings(
            thresholds={slug: threshold for slug, threshold, _ in departments},
            fallback=next((slug for slug, _, is_fallback in departments if is_fallback), ""),
        )
        _triage_settings.clear()
        _triage_settings[version] = settings
    return settings
