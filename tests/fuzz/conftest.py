"""Property-based fuzzing of the public pages and the API: shared settings and fixtures.

The default run is short enough for ``make test``; a longer one is

    CX_FUZZ_EXAMPLES=2000 .venv/bin/pytest -p no:cacheprovider tests/fuzz
"""

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import core as hypothesis_core
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.vendor import pretty
from schemathesis.generation.hypothesis import setup as schemathesis_setup

from routing.models import Priority

from ..factories import RuleConditionFactory, RuleFactory, TagFactory

PROFILE = "cx-fuzz"

# Hypothesis keeps a Unicode table (and, with a database, failing examples)
# under .hypothesis/ in the working directory; nothing of it belongs in the repository.
if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
    set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "cx-hypothesis")

# Schemathesis swaps Hypothesis's printer for one that prints nothing (fast
# for huge schemas), for every test in the session once its plugin loads: a
# failing example would then read ``data=,``. Our schema is three operations;
# a readable failing example is worth more than that speed.
schemathesis_setup()
hypothesis_core.RepresentationPrinter = pretty.RepresentationPrinter

settings.register_profile(
    PROFILE,
    # Small by default so ``make test`` stays within its budget on both databases.
    max_examples=int(os.environ.get("CX_FUZZ_EXAMPLES", "40")),
    # A request that routes a case and sends its emails takes tens of milliseconds,
    # more on a busy CI machine: timing is not what these tests are about.
    deadline=None,
    # No example database: a failure prints its reproducing example instead.
    database=None,
    print_blob=True,
    suppress_health_check=[
        # Every example undoes its own writes (``rolled_back``), so sharing the
        # function-scoped fixtures (organisation, client, settings) is safe.
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
        HealthCheck.filter_too_much,
    ],
)
settings.load_profile(PROFILE)


@pytest.fixture
def routing_rules(organisation):
    """Rules that read the fields the fuzzers fill: text, kind, dates, attachments."""
    tags = {slug: TagFactory(slug=slug) for slug in ("delivery-delay", "invoice", "evidence")}
    late = RuleFactory(name="Late delivery", order=10, set_department=organisation["logistics"])
    late.add_tags.add(tags["delivery-delay"])
    RuleConditionFactory(rule=late, value="retras*, no ha llegado, late")
    billing = RuleFactory(
        name="Invoice claims", order=20, set_department=organisation["billing"], set_priority=Priority.HIGH
    )
    billing.add_tags.add(tags["invoice"])
    RuleConditionFactory(rule=billing, group="all", field="kind", operator="equals", value="claim")
    RuleConditionFactory(rule=billing, group="all", value="factura*, cobro, invoice")
    very_late = RuleFactory(name="Very late", order=30, set_priority=Priority.URGENT)
    RuleConditionFactory(rule=very_late, field="days_late", operator="gte", value="7")
    evidence = RuleFactory(name="With evidence", order=40)
    evidence.add_tags.add(tags["evidence"])
    RuleConditionFactory(rule=evidence, field="has_attachments", operator="is", value="true")
    return organisation
