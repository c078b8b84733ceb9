"""Shared fixtures: a small organisation with people in three roles.

Like a real site: ``laura`` owns logistics, ``luis`` works in it, ``bruno``
owns billing (an outsider to logistics), ``carmen`` owns the fallback
customer-service department, and ``elena`` is an executive who sees all.
"""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache

from routing.config import forget_compiled_ruleset
from routing.models import Department, Tag

from .factories import (
    CaseFactory,
    DepartmentFactory,
    RuleConditionFactory,
    RuleFactory,
    SLAPolicyFactory,
    TagFactory,
    UserFactory,
)


@pytest.fixture(autouse=True)
def _fast_and_static(settings, tmp_path):
    """Tests hash passwords cheaply, serve static files without collectstatic
    and keep uploads in their own temporary folder.

    Production keeps the slow hasher and the hashed-name manifest storage;
    neither is what a test is about.
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "uploads"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fresh_ruleset_cache():
    """Each test starts like a new worker with an empty cache.

    Rules a previous test compiled were rolled back with its transaction,
    but the locmem cache and the process's compiled rule set outlive it.
    """
    cache.clear()
    forget_compiled_ruleset()


@pytest.fixture
def sla(db):
    return SLAPolicyFactory(name="standard", first_response_hours=8, resolution_hours=72)


@pytest.fixture
def laura(db):
    return UserFactory(username="laura", first_name="Laura")


@pytest.fixture
def luis(db):
    return UserFactory(username="luis", first_name="Luis")


@pytest.fixture
def bruno(db):
    return UserFactory(username="bruno", first_name="Bruno")


@pytest.fixture
def carmen(db):
    return UserFactory(username="carmen", first_name="Carmen")


@pytest.fixture
def elena(db):
    user = UserFactory(username="elena", first_name="Elena")
    group, _ = Group.objects.get_or_create(name="Executives")
    group.permissions.add(
        Permission.objects.get(codename="view_all_cases"),
        Permission.objects.get(codename="view_case", content_type__app_label="feedback"),
    )
    user.groups.add(group)
    return user


@pytest.fixture
def customer_service(carmen, sla) -> Department:
    return DepartmentFactory(
        slug="customer-service", name="Customer service", owner=carmen, sla_policy=sla, is_fallback=True
    )


@pytest.fixture
def logistics(laura, luis, sla) -> Department:
    department = DepartmentFactory(
        slug="logistics", name="Logistics", owner=laura, backup_owner=luis, sla_policy=sla
    )
    department.members.add(luis)
    return department


@pytest.fixture
def billing(bruno, sla) -> Department:
    return DepartmentFactory(slug="billing", name="Billing", owner=bruno, sla_policy=sla)


@pytest.fixture
def organisation(customer_service, logistics, billing):
    """Three departments (fallback included) and the demo's delivery tag."""
    TagFactory(slug="delivery-delay")
    return {"customer-service": customer_service, "logistics": logistics, "billing": billing}


@pytest.fixture
def staff_permissions():
    """Give users the admin permissions their seed_demo role would have."""

    def grant(user, *codenames: str) -> None:
        codenames = codenames or ("view_case", "change_case", "view_caseevent", "view_customer")
        user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))

    return grant


# A rule and a case it routes to logistics: what routing's and notifications' tests start from.
@pytest.fixture
def late_delivery_rule(organisation):
    rule = RuleFactory(
        name="Late delivery", order=10, set_department=organisation["logistics"], set_priority="high"
    )
    rule.add_tags.set(Tag.objects.filter(slug="delivery-delay"))
    RuleConditionFactory(
        rule=rule, group="any", field="text", operator="contains_any", value="retras*, no ha llegado"
    )
    return rule


@pytest.fixture
def late_case(late_delivery_rule):
    return CaseFactory(subject="Pedido 12345", message="Mi pedido no ha llegado, lleva 5 días de RETRASO")
