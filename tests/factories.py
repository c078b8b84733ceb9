import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from feedback.identity import identities_sync
from feedback.models import Case, Channel, Customer, Kind
from routing.models import Department, Rule, RuleCondition, SLAPolicy, Tag


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@cx.example")
    first_name = factory.LazyAttribute(lambda u: u.username.capitalize())
    is_staff = True
    password = factory.django.Password("pw")


class SLAPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SLAPolicy
        django_get_or_create = ("name",)

    name = "standard"
    first_response_hours = 8
    resolution_hours = 72


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("slug",)
        skip_postgeneration_save = True

    name = factory.LazyAttribute(lambda d: d.slug.replace("-", " ").capitalize())
    slug = factory.Sequence(lambda n: f"department-{n}")
    owner = factory.SubFactory(UserFactory)
    sla_policy = factory.SubFactory(SLAPolicyFactory)

    @factory.post_generation
    def add_owner_as_member(self, create, extracted, **kwargs):
        if create:
            self.members.add(self.owner)


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"tag-{n}")
    name = factory.LazyAttribute(lambda t: t.slug)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Customer {n}")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")

    @factory.post_generation
    def identities(customer, create, extracted, **kwargs):
        # As the intake services do: the contacts become identities to match on.
        if create:
            identities_sync(customer=customer)


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    customer = factory.SubFactory(CustomerFactory)
    kind = Kind.COMPLAINT
    channel = Channel.WEB
    subject = "Pedido"
    message = "Mi pedido no ha llegado"
    reference = factory.Sequence(lambda n: f"CX-2026-{n + 1:06d}")
    created_at = factory.LazyFunction(timezone.now)


class RuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rule

    name = factory.Sequence(lambda n: f"Rule {n}")


class RuleConditionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RuleCondition

    rule = factory.SubFactory(RuleFactory)
    group = "any"
    field = "text"
    operator = "contains_any"
    value = "retraso"


def email_of_length(length: int, letter: str = "a") -> str:
    """A valid address of exactly ``length`` characters (70 to 320).

    The local part is at most 64 characters and each domain label at most 63,
    as the address rules allow; ``letter`` fills the local part.
    """
    local = letter * 64
    labels = []
    left = length - len(local) - 1 - len(".com")
    while left > 0:
        label = min(63, left)
        if 0 < left - label < 3:  # keep the next label 2+ characters long (its dot counts)
            label -= 3
        labels.append("d" * label)
        left -= label + 1
    return f"{local}@{'.'.join(labels)}.com"


# Order and promise dates no real order has (year 1, year 9999...): refused by the form and the API.
FAR_DATES = [
    ("order_date", "0001-01-01"),
    ("order_date", "1900-06-15"),
    ("promised_delivery_date", "0001-01-03"),
    ("promised_delivery_date", "9999-12-31"),
    ("promised_delivery_date", "2200-01-01"),
]
