"""Normalise the customers' contacts and record them as identities.

Phones become E.164 (national numbers read as CX_PHONE_REGION's) and emails
lower-case. Where two customers share a contact, the older keeps it as an
identity; staff can merge them afterwards.
"""

import phonenumbers
from django.conf import settings
from django.db import migrations


def _phone(value: str) -> str:
    value = value.strip()
    if not value:
        return ""
    try:
        parsed = phonenumbers.parse(value, settings.CX_PHONE_REGION)
        if phonenumbers.is_possible_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        pass
    digits = "".join(ch for ch in value if ch.isdigit())
    return f"+{digits}" if value.startswith("+") and digits else digits


def forwards(apps, schema_editor):
    Customer = apps.get_model("feedback", "Customer")
    CustomerIdentity = apps.get_model("feedback", "CustomerIdentity")
    taken = set(CustomerIdentity.objects.values_list("kind", "value"))
    new = []
    for customer in Customer.objects.filter(erased_at__isnull=True).order_by("pk").iterator():
        email, phone = customer.email.strip().lower(), _phone(customer.phone)
        if (email, phone) != (customer.email, customer.phone):
            Customer.objects.filter(pk=customer.pk).update(email=email, phone=phone)
        for kind, value in (
            ("number", customer.customer_number.strip().upper()),
            ("email", email),
            ("phone", phone),
        ):
            if value and (kind, value) not in taken:
                taken.add((kind, value))
                new.append(CustomerIdentity(customer_id=customer.pk, kind=kind, value=value))
        if len(new) >= 1000:
            CustomerIdentity.objects.bulk_create(new)
            new = []
    CustomerIdentity.objects.bulk_create(new)


class Migration(migrations.Migration):
    dependencies = [("feedback", "0013_omnichannel")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
