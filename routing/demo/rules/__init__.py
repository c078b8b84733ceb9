"""The demo's routing rules, ``RULES``, in the order they run; each department's
rules live in the module named for it, the words they share in ``vocabulary``."""

from .billing import BILLING_RULES, LATE_REFUND_RULES
from .customer_service import CONTACT_CENTRE_RULES
from .digital import ACCESS_AND_PAYMENT_RULES, WEBSITE_AND_APP_RULES
from .logistics import LOGISTICS_RULES
from .product_quality import PRODUCT_QUALITY_RULES
from .stores import SHOP_RULES, SHOP_STAFF_RULES
from .tags_only import TAG_ONLY_RULES
from .vocabulary import Rule

# The rules. Each is a tuple:
#   name, order, any-of keywords, extra conditions (all of), tags, department, priority, exclusions
# Keywords are comma-separated whole words or phrases, case- and accent-insensitive
# ("no llegó" matches "NO LLEGO"); ``word*`` is a prefix. Exclusions are keywords too:
# the rule does not match if any of them occurs (stored as a *none of* condition).
# Rules run in order and the first one that sets a department wins; every matching
# rule adds its tags. A learned model routes whatever no rule claims, so a rule that
# sets a department must be nearly always right: broad words ("tienda", "store",
# "money back", "delivered", "staff") only add a tag, or only count next to a second
# word that says what went wrong. Customers write in Spanish (Spain and Latin
# America) and English (UK and US), often in SMS style ("q", "xq", "pkg", "dlvd"),
# so the lists carry word families, regional words and common misspellings.
# Everyday idioms that look like a topic are excluded where they mislead: "hace
# falta" (it is needed) and "falta el ticket" are not a missing item, "por la
# tarde" is the afternoon, "caja" is the till as often as the box, "store" in
# "in-store pickup" is a delivery point, "money back in two days" is praise.
# tests/routing/test_demo_quality.py measures these rules on labelled messages;
# they were tuned on the starter corpus (routing/triage/data/starter/).

# The order of the sections below is the order the rules run in (and are seeded).
RULES: list[Rule] = [
    *ACCESS_AND_PAYMENT_RULES,
    *LATE_REFUND_RULES,
    *LOGISTICS_RULES,
    *WEBSITE_AND_APP_RULES,
    *BILLING_RULES,
    *SHOP_STAFF_RULES,
    *PRODUCT_QUALITY_RULES,
    *SHOP_RULES,
    *CONTACT_CENTRE_RULES,
    *TAG_ONLY_RULES,
]

__all__ = ["RULES", "Rule"]
