"""The demo organisation's people and settings: departments with their owners and
backups, the demo password, the office calendar and holidays, SLA policies and tags.
"""

from typing import TypedDict

DEPARTMENTS = [
    # slug, name, owner login, owner name, backup login, SLA policy
    ("logistics", "Logística / Logistics", "laura", "Laura Gómez", "luis", "standard"),
    ("billing", "Facturación / Billing", "bruno", "Bruno Díaz", "berta", "standard"),
    ("product-quality", "Calidad de producto / Product quality", "paula", "Paula Ruiz", "pedro", "standard"),
    ("stores", "Tiendas / Stores", "sergio", "Sergio Martín", "sara", "standard"),
    ("digital", "Digital", "diana", "Diana López", "david", "standard"),
    (
        "customer-service",
        "Atención al cliente / Customer service",
        "carmen",
        "Carmen Vidal",
        "carlos",
        "standard",
    ),
]
FALLBACK = "customer-service"
# Every demo login's password unless seed_demo is given another; ``runportal --demo`` prints it.
DEFAULT_PASSWORD = "cxdemo-2026"  # noqa: S105  (demo logins only; seed_demo --password sets another)


class CalendarSpec(TypedDict):
    name: str
    time_zone: str
    weekdays: tuple[str, ...]
    opens_at: tuple[int, int]  # (hour, minute)
    closes_at: tuple[int, int]


# The office's hours: the standard policy counts only these (urgent runs 24/7).
CALENDAR: CalendarSpec = {
    "name": "Madrid office",
    "time_zone": "Europe/Madrid",
    "weekdays": ("monday", "tuesday", "wednesday", "thursday", "friday"),
    "opens_at": (9, 0),
    "closes_at": (18, 0),
}
# Spanish national holidays that fall on working days.
HOLIDAYS = [
    ("2026-01-01", "Año Nuevo"),
    ("2026-01-06", "Epifanía del Señor"),
    ("2026-04-03", "Viernes Santo"),
    ("2026-05-01", "Fiesta del Trabajo"),
    ("2026-10-12", "Fiesta Nacional de España"),
    ("2026-12-08", "Inmaculada Concepción"),
    ("2026-12-25", "Natividad del Señor"),
    ("2027-01-01", "Año Nuevo"),
    ("2027-01-06", "Epifanía del Señor"),
    ("2027-03-26", "Viernes Santo"),
    ("2027-10-12", "Fiesta Nacional de España"),
    ("2027-11-01", "Todos los Santos"),
    ("2027-12-06", "Día de la Constitución"),
    ("2027-12-08", "Inmaculada Concepción"),
]

SLA_POLICIES = [
    # name, first response hours, resolution hours, business-hours calendar
    ("standard", 8, 72, "Madrid office"),
    ("urgent", 2, 24, None),
]
# Faster targets by priority within a policy: policy, priority, first response, resolution.
SLA_TARGETS = [
    ("standard", "urgent", 2, 16),
    ("standard", "high", 4, 40),
]

TAGS = [
    ("delivery-delay", "Retraso en la entrega / Delivery delay"),
    ("damaged-item", "Artículo dañado / Damaged item"),
    ("wrong-item", "Artículo equivocado / Wrong item"),
    ("missing-item", "Artículo que falta / Missing item"),
    ("refund", "Reembolso / Refund"),
    ("billing-error", "Error de facturación / Billing error"),
    ("product-defect", "Defecto de producto / Product defect"),
    ("staff-attitude", "Trato del personal / Staff attitude"),
    ("store-experience", "Experiencia en tienda / Store experience"),
    ("website-app", "Web o app / Website or app"),
    ("praise", "Felicitación / Praise"),
    ("suggestion", "Sugerencia / Suggestion"),
    ("other", "Otros / Other"),
]
