"""What a worker reads once per change, not once per case.

* ``setup``: ``routing_setup()``, everything routing a case needs (rules,
  teams, policies, tags, webhooks, the live triage model);
* ``ruleset``: the set-up version token every cache here is kept under,
  and the compiled rules (``active_ruleset``);
* ``promises``: the first response the customer is promised at intake;
* ``thresholds``: the departments' triage thresholds and the fallback.
"""

from .promises import Promise, promised_first_response, promised_first_response_hours
from .ruleset import (
    RULESET_VERSION_KEY,
    active_ruleset,
    forget_compiled_ruleset,
    ruleset_changed,
    ruleset_version,
    ruleset_version_in_database,
)
from .setup import Policy, RoutingSetup, Team, forget_routing_setup, routing_setup
from .thresholds import TriageSettings, triage_settings

__all__ = [
    "RULESET_VERSION_KEY",
    "Policy",
    "Promise",
    "RoutingSetup",
    "Team",
    "TriageSettings",
    "active_ruleset",
    "forget_compiled_ruleset",
    "forget_routing_setup",
    "promised_first_response",
    "promised_first_response_hours",
    "routing_setup",
    "ruleset_changed",
    "ruleset_version",
    "ruleset_version_in_database",
    "triage_settings",
]
