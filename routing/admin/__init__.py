"""Configuration in the admin: departments, SLA policies, tags and rules (the notification log and webhooks: ``notifications.admin``).

A rule is checked by the engine itself (``routing.rules``) before it is
saved, so an invalid rule is refused here with the engine's own message and
never reaches a worker. Rules keep their history, travel as JSON and can be
tried on past cases before they go live (``rules``, ``rule_pages``). The
triage model's versions can be compared, rolled back and retrained
(``triage``).
"""

from . import config, rules, triage  # noqa: F401  (importing registers the admins)
