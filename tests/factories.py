import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

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

    name = factory.Sequence(lambda n: f"Customer {n}")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")


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
