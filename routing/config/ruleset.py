"""The set-up version token and this process's compiled rules.

Every worker compares the token in the cache (``RULESET_VERSION_KEY``) with
the one it built its caches under: ``routing.signals`` bumps it after any
change to what routing reads, so an edit reaches every worker on its next
case. ``active_ruleset`` is the compiled rule set kept per token; the
promise (``promises``), the triage thresholds (``thresholds``) and the
whole routing set-up (``setup``) are kept per token too.
"""

import logging
import uuid

from django.core.cache import cache
from django.db.models import Count, Max

from ..models import Rule
from ..rules import RuleSet
from ..selectors import rule_specs

# Bumped (see routing.signals) whenever a rule, condition or rule action changes.
RULESET_VERSION_KEY = "routing:ruleset-version"

log = logging.getLogger(__name__)


def ruleset_version() -> str:
    """A token that changes whenever the rules do, read with one cache GET.

    Every worker process compares it with the token its compiled rule set
    was built under, so an edit reaches all workers on their next case. If
    the cache is unreachable the database answers instead: routing must not
    fail because Redis is down.
    """
    try:
        version = cache.get(RULESET_VERSION_KEY)
        if version is None:
            # First use, or the cache was flushed: start a new token that
            # every process will adopt (``add`` keeps a concurrent one).
            cache.add(RULESET_VERSION_KEY, _new_version(), timeout=None)
            version = cache.get(RULESET_VERSION_KEY)
    except Exception as exc:
        # One line, not a traceback: an outage would otherwise flood the log.
        log.warning("Cache unreachable (%s); checking the rule set version in the database.", exc)
        version = None
    if version is None:
        return "db:" + ruleset_version_in_database()
    return f"cache:{version}"


def ruleset_version_in_database() -> str:
    # Any save bumps updated_at, a delete changes the count.
    stamp = Rule.objects.aggregate(n=Count("id"), last=Max("updated_at"))
    return f"{stamp['n']}:{stamp['last'].isoformat() if stamp['last'] else ''}"


def _new_version() -> str:
    return uuid.uuid4().hex


def ruleset_changed() -> None:
    """Tell every worker process to recompile its rules on its next case.

    Called by ``routing.signals`` after the change commits. A cache outage
    is logged, not raised: the edit itself must still be saved.
    """
    global _bump_failing
    try:
        cache.set(RULESET_VERSION_KEY, _new_version(), timeout=None)
    except Exception as exc:
        # Say it once per outage: seeding a hundred rules must not print a hundred lines.
        if not _bump_failing:
            log.warning(
                "Could not bump the rule set version (%s); workers refresh when the cache is back.", exc
            )
        _bump_failing = True
    else:
        _bump_failing = False


_bump_failing = False


_compiled: dict[str, RuleSet] = {}


def active_ruleset() -> RuleSet:
    """The enabled rules, compiled once per process and per rule-set version."""
    version = ruleset_version()
    ruleset = _compiled.get(version)
    if ruleset is None:
        _compiled.clear()
        ruleset = _compiled[version] = RuleSet(rule_specs(Rule.objects.filter(enabled=True)))
    return ruleset


def forget_compiled_ruleset() -> None:
    """Drop this process's compiled rules and routing set-up (tests simulate a fresh worker)."""
    # Imported here: those modules read the version from this one.
    from .promises import _promises
    from .setup import forget_routing_setup
    from .thresholds import _triage_settings

    _compiled.clear()
    _triage_settings.clear()
    _promises.clear()
    forget_routing_setup()
