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

# The office's hours: the standard policy counts only these (urgent runs 24/7).
CALENDAR = {
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

# name, order, any-of keywords (Spanish and English), extra conditions, tags, department, priority.
# Keywords are whole words, case- and accent-insensitive; ``word*`` is a prefix.
# Words that are also everyday words elsewhere ("tarde" afternoon, "caja" box,
# "borde" edge, "late" as in "open late", "charge" as in "free of charge",
# "falta" as in "hace falta") appear only inside phrases.
# tests/routing/test_demo_quality.py measures these rules on labelled messages.
# Staff and store rules need a complaint: praise for a shop assistant, or a
# question about a store's opening hours, is not a store problem.
_COMPLAINTS = ("kind", "in", "complaint, claim")
RULES = [
    (
        "Retraso en la entrega / Late delivery",
        10,
        "retraso*, retrasad*, llego tarde, llega tarde, llegan tarde, llegaron tarde, ha llegado tarde, muy tarde,"
        " no ha llegado, no me ha llegado, no han llegado, no me han llegado, no llega, no llegan, sin llegar,"
        " cuando llega, cuando va a llegar, sigo esperando, fuera de plazo, ha tardado, han tardado,"
        " late delivery, delivered late, arrived late, came late, turned up late, day late, days late,"
        " week late, weeks late, is late, was late, delay*, hasn't arrived, has not arrived, haven't received,"
        " not arrived, not delivered, never delivered, never arrived, still waiting, where is my order,"
        " where's my order, where is my parcel, where's my parcel, slow delivery, slowest delivery,"
        " stuck in transit, stuck at the depot",
        [],
        ["delivery-delay"],
        "logistics",
        "high",
    ),
    (
        "Artículo dañado / Damaged item",
        20,
        "roto, rota, rotos, rotas, dañad*, golpead*, abollad*, aplastad*, rajad*, desportillad*, rayad*,"
        " mojad*, estropead*, hecha polvo, hecho polvo, mal embalad*, damaged, broken, smashed, crushed, dented,"
        " cracked, shattered, scratch*, chipped, soaked, bent, torn",
        [],
        ["damaged-item"],
        "logistics",
        "",
    ),
    (
        "Artículo equivocado / Wrong item",
        30,
        "equivocad*, otro producto, otra talla, otro color, otro modelo, otra marca, no es lo que pedi,"
        " no es el que pedi, no es la que pedi, no es el mio, no es la mia, de otra persona, mandado otr*,"
        " enviado otr*, enviaron otr*, mandaron otr*, wrong item*, wrong product*, wrong size, wrong colour,"
        " wrong color, wrong model, sent the wrong, sent me the wrong, received the wrong, got the wrong,"
        " delivered the wrong, send the wrong, different model, older model, modelo distinto, talla distinta,"
        " color distinto, not what i ordered, not what i bought, someone else's, mixed up",
        [],
        ["wrong-item"],
        "logistics",
        "",
    ),
    (
        "Falta un artículo / Missing item",
        40,
        "falta un, falta una, falta el, falta la, faltan, faltaba*, me falta*, incomplet*, solo venia*,"
        " solo llegaron, solo me llegaron, solo me entregaron, venia sin, vino sin, llego sin, ha llegado sin,"
        " estaba vacia, estaba vacio, missing, not in the box, only received, only got, came without,"
        " arrived without, was empty, empty box, empty parcel, empty package",
        [],
        ["missing-item"],
        "logistics",
        "",
    ),
    (
        "Error de facturación / Billing error",
        50,
        "cobro*, cobrad*, cobrar*, cobraron, cobrasteis, doble cargo, cargo, cargos, factura*, importe incorrecto,"
        " importe cobrado, iva, no se aplico, charged, charges, a charge, the charge, double charge*,"
        " overcharg*, invoice*, billing, billed, my bill, paid twice, taken twice, went through twice, vat,"
        " not applied, wasn't applied, full price",
        [],
        ["billing-error"],
        "billing",
        "",
    ),
    (
        "Reembolso / Refund",
        60,
        "reembols*, abono, abonar*, abonad*, devolucion del dinero, devolver el dinero, devolverme el dinero,"
        " devolvais el dinero, devuelvan el dinero, devolvais su importe, quiero el dinero, mi dinero,"
        " refund*, money back, reimburs*, my money",
        [],
        ["refund"],
        "billing",
        "",
    ),
    (
        "Defecto de producto / Product defect",
        70,
        "defectuos*, defecto*, no funciona*, dejo de funcionar, ya no funciona, averi*, se rompio, fallo de fabrica,"
        " tiene un fallo, no enciende, no se enciende, no carga, no cargan, no calienta, se apaga*, no arranca,"
        " pierde agua, hace ruido, hace un ruido, mala calidad, calidad pesima, encogid*, se despeg*,"
        " en garantia, defect*, faulty, doesn't work, does not work, stopped working, not working,"
        " malfunction*, won't turn on, won't charge, won't start, keeps turning off, keeps switching,"
        " switching itself off, turns itself off, leak*, battery drains, poor quality, came apart, fell apart,"
        " shrank, shrunk, dead, under warranty",
        [],
        ["product-defect"],
        "product-quality",
        "",
    ),
    (
        "Trato del personal / Staff attitude",
        80,
        "maleducad*, grosero, grosera, groseria, muy borde, fue borde, bastante borde, mal trato, malos modos,"
        " malas formas, malas maneras, desagradable, falta de respeto, irrespetuos*, grit*, me colgo, se rio,"
        " sin hacerme caso, humillante, dependient*, cajera, cajero, empleado*, empleada*, encargad*,"
        " vigilante, teleoperador*, rude*, impolite, unfriendly, unhelpful, unprofessional, condescending,"
        " dismissive, sarcastic, attitude, swore, shout*, yelled, hung up, ignored me, staff, employee*,"
        " cashier*, manager, security guard",
        [_COMPLAINTS],
        ["staff-attitude"],
        "stores",
        "",
    ),
    (
        "Experiencia en tienda / Store experience",
        90,
        # "caja" alone is also the parcel's box: only the till is meant here.
        "tienda, tiendas, centro comercial, cola, colas, probador*, en caja, autocobro, pasillo*, aparcamiento,"
        " store, stores, shop, branch, queue*, fitting room*, changing room*, till, tills, self checkout,"
        " trolley*, car park, toilets",
        [_COMPLAINTS],
        ["store-experience"],
        "stores",
        "",
    ),
    (
        "Web o app / Website or app",
        100,
        "web, pagina, app, aplicacion, contrasena, iniciar sesion, carrito, cuenta online, actualizacion,"
        " notificacion*, codigo promocional, website, site, login, log in, password, checkout page,"
        " online account, basket, push notification*, promo code",
        # Customers name the web or the app as the place they saw a price or a
        # stock level; the rule wants something going wrong there (or a wish).
        [
            (
                "text",
                "contains_any",
                "error, no puedo, no me deja, no funciona*, no carga*, no me llega, no aparece*, no me aparece*,"
                " desaparec*, se cierra, se cuelga, colgad*, caid*, bloquead*, lent*, en blanco, incomod*,"
                " sugiero, estaria bien, can't, cannot, won't, doesn't, keep*, fail*, crash*, froze, frozen,"
                " down, blank, slow, expired, spinning, stuck, logged out,"
                " would be nice, would be great",
            )
        ],
        ["website-app"],
        "digital",
        "",
    ),
    (
        "Felicitación / Praise",
        110,
        "gracias, felicidades, felicit*, enhorabuena, encantad*, excelente, genial, estupend*, perfecto,"
        " perfecta, de diez, muy amable*, amabilidad, muy contento, muy contenta, thank*, great, excellent,"
        " amazing, wonderful, love, brilliant, fantastic, superb, well done, shout out, impressed, helpful,"
        " lovely, five stars, above and beyond",
        [("kind", "in", "praise, comment")],
        ["praise"],
        "",
        "",
    ),
    (
        "Sugerencia / Suggestion",
        120,
        "sugerencia, sugiero, sugerimos, propongo, propuesta, estaria bien, seria genial, seria buena idea,"
        " podrian, podriais, deberian, deberiais, me gustaria que, suggest*, would be nice, would be great,"
        " would help, could you add, could you offer, why not, you should, please consider, maybe consider,"
        " maybe add, idea",
        [],
        ["suggestion"],
        "",
        "",
    ),
]
