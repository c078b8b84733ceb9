"""One customer across channels: normalised identities and how intake matches them."""

import threading

import pytest
from django.db import connection

from feedback import identity
from feedback.identity import customer_resolve, normalise_email, normalise_phone
from feedback.models import Customer, CustomerIdentity
from feedback.privacy import customer_erase
from tests.factories import CustomerFactory


@pytest.mark.parametrize(
    "written",
    ["+34 600 11 22 33", "600112233", "600-11-22-33", "0034 600 112 233", "(+34) 600.112.233"],
)
def test_a_spanish_mobile_is_stored_in_e164_however_it_is_written(written, settings):
    settings.CX_PHONE_REGION = "ES"

    assert normalise_phone(written) == "+34600112233"


def test_a_national_number_is_read_as_the_configured_country(settings):
    settings.CX_PHONE_REGION = "GB"

    assert normalise_phone("07700 900123") == "+447700900123"


def test_a_number_the_library_cannot_read_keeps_its_digits():
    assert normalise_phone("12") == "12"
    assert normalise_phone("  ") == ""


def test_emails_match_whatever_their_case():
    assert normalise_email("  Ana.Garcia@Example.COM ") == "ana.garcia@example.com"


class TestResolve:
    def test_a_new_customer_gets_every_contact_as_an_identity(self, db):
        customer = customer_resolve(
            name="Ana", email="Ana@Example.com", phone="600 11 22 33", customer_number="c-77"
        )

        assert set(customer.identities.values_list("kind", "value")) == {
            ("email", "ana@example.com"),
            ("phone", "+34600112233"),
            ("number", "C-77"),
        }

    def test_the_phone_written_another_way_is_the_same_person(self, db):
        ana = customer_resolve(name="Ana", phone="+34 600 11 22 33")

        assert customer_resolve(name="Ana G.", phone="600112233") == ana

    def test_a_second_email_given_with_a_known_phone_becomes_theirs(self, db):
        ana = customer_resolve(name="Ana", email="ana@home.example", phone="600112233")
        customer_resolve(name="Ana", email="ana@work.example", phone="600112233")

        assert customer_resolve(name="Ana", email="ANA@work.example") == ana
        assert Customer.objects.count() == 1
        assert ana.identities.filter(kind="email").count() == 2

    def test_an_identity_another_customer_holds_stays_theirs(self, db):
        bea = customer_resolve(name="Bea", email="shared@example.com")
        ana = customer_resolve(name="Ana", customer_number="C-1")

        # Ana by her number, giving an email Bea already uses: Ana is found, Bea keeps it.
        assert customer_resolve(name="Ana", customer_number="C-1", email="shared@example.com") == ana
        assert CustomerIdentity.objects.get(value="shared@example.com").customer == bea

    def test_customers_stored_before_identities_are_still_found(self, db):
        old = Customer.objects.create(name="Old", email="Old@Example.com")

        assert customer_resolve(name="Old", email="old@example.com") == old

    def test_an_erased_customer_is_never_found_again(self, db):
        ana = customer_resolve(name="Ana", email="ana@example.com", phone="600112233")
        customer_erase(customer=ana)

        again = customer_resolve(name="Ana", email="ana@example.com")

        assert again != ana
        assert not CustomerIdentity.objects.filter(customer=ana).exists()

    def test_the_factory_customers_have_identities_too(self, db):
        customer = CustomerFactory(email="f@example.com")

        assert customer_resolve(name="F", email="F@example.com") == customer


@pytest.mark.django_db(transaction=True)
def test_two_first_messages_from_one_person_at_once_make_one_customer(monkeypatch):
    """Both look the email up before either has stored it."""
    both_looked = threading.Barrier(2, timeout=10)
    find = identity.customer_find
    calls = []

    def find_then_wait_for_the_other(**kwargs):
        found = find(**kwargs)
        calls.append(found)
        if len(calls) <= 2:
            both_looked.wait()
        return found

    monkeypatch.setattr(identity, "customer_find", find_then_wait_for_the_other)
    found = []

    def resolve():
        try:
            found.append(customer_resolve(name="Ana", email="ana@example.com"))
        finally:
            connection.close()

    threads = [threading.Thread(target=resolve) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert calls[:2] == [None, None]  # a real race: neither saw the other
    assert len(found) == 2
    assert found[0] == found[1]
    assert Customer.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_migration_normalises_old_contacts_and_the_older_customer_keeps_a_shared_one():
    from django.core.management import call_command
    from django.db.migrations.executor import MigrationExecutor

    before, after = [("feedback", "0013_omnichannel")], [("feedback", "0014_customer_identities")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("feedback", "Customer")
    first = old.objects.create(name="Ana", email="Ana@Example.com", phone="600 11 22 33")
    second = old.objects.create(name="Ana bis", email="ana@example.com", customer_number="c-9")
    try:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(after)

        ana = Customer.objects.get(pk=first.pk)
        assert (ana.email, ana.phone) == ("ana@example.com", "+34600112233")
        assert CustomerIdentity.objects.get(value="ana@example.com").customer_id == first.pk
        assert CustomerIdentity.objects.get(kind="number").value == "C-9"
        assert CustomerIdentity.objects.get(kind="number").customer_id == second.pk
    finally:
        call_command("migrate", verbosity=0)


def test_a_message_arriving_while_its_customer_is_merged_away_lands_on_the_customer_kept(db, monkeypatch):
    """The submission found the merged-away record just before the merge deleted it."""
    from feedback.identity import customers_merge
    from feedback.services import case_create

    kept = customer_resolve(name="Ana", email="ana@home.example")
    twin = customer_resolve(name="Ana", email="ana@work.example")
    find = identity.customer_find
    merged = []

    def find_then_merge(**kwargs):
        found = find(**kwargs)
        if not merged:  # the merge commits between the look-up and the case's insert
            merged.append(customers_merge(target=kept, sources=[twin], actor=None))
        return found

    monkeypatch.setattr(identity, "customer_find", find_then_merge)

    case = case_create(
        name="Ana",
        email="ana@work.example",
        kind="complaint",
        channel="email",
        subject="Pedido",
        message="No ha llegado",
        language="es",
    )

    assert case.customer == kept
    assert not Customer.objects.filter(pk=twin.pk).exists()


def test_merging_twice_keeps_the_first_merges_record(db):
    from feedback.identity import customers_merge
    from feedback.models import CustomerMerge

    a = customer_resolve(name="A", email="a@example.com")
    b = customer_resolve(name="B", email="b@example.com")
    c = customer_resolve(name="C", email="c@example.com")
    a_id, b_id = a.pk, b.pk

    customers_merge(target=b, sources=[a], actor=None)
    customers_merge(target=c, sources=[b], actor=None)

    assert sorted(CustomerMerge.objects.values_list("source_id", "target_id")) == [(a_id, c.pk), (b_id, c.pk)]
    assert customer_resolve(name="A", email="a@example.com") == c
