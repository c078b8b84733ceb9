"""The demo organisation loaded by ``seed_demo``: departments, people, tags, rules."""

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

SLA_POLICIES = [
    # name, first response hours, resolution hours
    ("standard", 8, 72),
    ("urgent", 2, 24),
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

# name, order, any-of keywords (Spanish and English), extra conditions, tags, department, priority
RULES = [
    (
        "Retraso en la entrega / Late delivery",
        10,
        # "tarde" alone also means "afternoon" ("por la tarde"): only phrases.
        "retraso*, retrasad*, llego tarde, llega tarde, llegan tarde, llegaron tarde, muy tarde,"
        " no ha llegado, no me ha llegado, no llega, todavia no, aun no,"
        " sigo esperando, late, delay*, delayed, hasn't arrived, has not arrived, not arrived,"
        " not delivered, still waiting, never arrived, where is my order",
        [],
        ["delivery-delay"],
        "logistics",
        "high",
    ),
    (
        "Artículo dañado / Damaged item",
        20,
        "roto, rota, rotos, rotas, dañado*, golpead*, abollad*, aplastad*, damaged, broken, smashed, crushed, dented,"
        " cracked",
        [],
        ["damaged-item"],
        "logistics",
        "",
    ),
    (
        "Artículo equivocado / Wrong item",
        30,
        "equivocado, equivocada, otro producto, no es lo que pedi, wrong item, wrong product, wrong size,"
        " wrong colour, wrong color, not what i ordered",
        [],
        ["wrong-item"],
        "logistics",
        "",
    ),
    (
        "Falta un artículo / Missing item",
        40,
        "falta, faltaba, faltan, incompleto, incompleta, missing, incomplete, not in the box, only received",
        [],
        ["missing-item"],
        "logistics",
        "",
    ),
    (
        "Error de facturación / Billing error",
        50,
        "cobrado dos veces, doble cargo, cobro, cobraron, factura*, importe, cargo, charged twice, double charge,"
        " overcharged, invoice*, billing, bill, charge, charged",
        [],
        ["billing-error"],
        "billing",
        "",
    ),
    (
        "Reembolso / Refund",
        60,
        "reembolso, devolucion del dinero, devolver el dinero, abono, refund*, money back, reimburse*",
        [],
        ["refund"],
        "billing",
        "",
    ),
    (
        "Defecto de producto / Product defect",
        70,
        "defectuos*, no funciona, dejo de funcionar, averiad*, se rompio, fallo de fabrica, defect*, faulty,"
        " doesn't work, does not work, stopped working, not working, malfunction*",
        [],
        ["product-defect"],
        "product-quality",
        "",
    ),
    (
        "Trato del personal / Staff attitude",
        80,
        "maleducad*, grosero, grosera, muy borde, mal trato, desagradable, dependient*, rude, impolite, unfriendly,"
        " staff, employee, cashier",
        [],
        ["staff-attitude"],
        "stores",
        "",
    ),
    (
        "Experiencia en tienda / Store experience",
        90,
        # "caja" alone is also the parcel's box: only the till is meant here.
        "tienda, cola, probador*, en caja, cajera, cajero, store, shop, queue, fitting room, checkout",
        [],
        ["store-experience"],
        "stores",
        "",
    ),
    (
        "Web o app / Website or app",
        100,
        "web, pagina, app, aplicacion, contrasena, iniciar sesion, website, site, login, log in, password,"
        " checkout page, error message",
        [],
        ["website-app"],
        "digital",
        "",
    ),
    (
        "Felicitación / Praise",
        110,
        "gracias, felicidades, enhorabuena, encantad*, excelente, genial, thank you, thanks, great, excellent,"
        " amazing, wonderful, love",
        [("kind", "in", "praise, comment")],
        ["praise"],
        "",
        "",
    ),
    (
        "Sugerencia / Suggestion",
        120,
        "sugerencia, sugiero, propongo, estaria bien, podrian, suggest*, would be nice, could you, idea",
        [],
        ["suggestion"],
        "",
        "",
    ),
]
