"""The demo organisation loaded by ``seed_demo``: departments, people, tags, rules."""

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


def _words(*groups: str) -> str:
    return ", ".join(groups)


# Praise and suggestions are the contact centre's; questions and comments can be problems.
_NOT_PRAISE = ("kind", "in", "complaint, claim, question, comment")
# A question about a shop ("do you open on Sundays?") is not a complaint about it.
_PROBLEM = ("kind", "in", "complaint, claim, comment")

# Thanks for something that went right: nothing to fix.
_THANKS = (
    "just wanted to say, only wanted to say, solo queria decir, solo queria comentar, quiero felicitar,"
    " felicitar, felicitaciones, pass it on, pass on my thanks, above and beyond, five stars, 5 stars,"
    " well done, made my day, made my night, da gusto, muy amable, super amable, so kind, dead easy, no fuss,"
    " sin problemas, puntual, impecable*"
)

# --- Money coming back -----------------------------------------------------------
# "I want my money back" goes with whatever went wrong (a broken parcel is
# logistics'); a refund that was promised and has not arrived is billing's.
_REFUND_WORDS = (
    "reembols*, rembols*, reembolz*, refund*, refnd*, reimburs*, reintegr*, reingres*, money back,"
    " my money back, mi dinero, mi plata, devuelvan el dinero, devolverme el dinero, devuelvan la plata,"
    " devuelvanme la plata, devolver el dinero, devolvais el dinero, me regresen mi dinero, store credit,"
    " back on my card, back to my card"
)
_REFUND = _words(
    _REFUND_WORDS,
    "money, the money, my money, dinero, el dinero, plata, la plata, lucas, importe, el importe, abono,"
    " abonar*, abonad*, abonaron, me devuelvan, me devolvais, me devolvieron, me han devuelto,"
    " no me devuelven, me devolvian, me regresen, devolverme el importe, back on my account, pounds back,"
    " zero pounds, no money",
)
# The goods went back, the order was cancelled or the refund was promised...
_REFUND_UNDER_WAY = (
    "devolvi, devolvimos, devolvio, he devuelto, hemos devuelto, ya devolvi, lo devolvi, la devolvi,"
    " los devolvi, las devolvi, de mi devolucion, de la devolucion, por la devolucion, returned, sent back,"
    " sent it back, sent them back, took it back, took them back, took back, posted it back, for my return,"
    " for the return, on my return, cancele, cancelled, canceled, cancelaron, anularon, cancelado, cancelada,"
    " pending, pendiente, todavia, sigo esperando, still waiting, still not, still no, still hasn't,"
    " still hasnt, still haven't, approved, aprobad*, been processed, was processed, already processed,"
    " procesad*, issued, emitid*, prometieron, promised, agreed, where is my refund, where's my refund,"
    " wheres my refund, y mi reembolso, y la plata, y el dinero, where's my money"
)
# ...or the refund itself is wrong: partial, late, refused, to the wrong card.
_REFUND_PROBLEM = (
    "vale en vez de, vale en lugar de, en vale, un vale, gift card instead, voucher instead, credit instead,"
    " only refunded, partial refund, refunded half, refunded the wrong, solo me devolvieron,"
    " me devolvieron solo, me devolvieron la mitad, de menos, less than i paid, refund is less, refunds take,"
    " no veo el reembolso, aun no veo, not seen the refund, havent seen the refund, refund hasn't,"
    " refund hasnt, refund has not, refund still, reembolso no, reembolso todavia, reembolso aun,"
    " refund was rejected, refund rejected, reembolso denegado, refused a refund, refused to refund,"
    " refused my refund, refund was refused, won't refund, wont refund, no me quieren devolver,"
    " niegan a devolverme, niegan a devolver, no me devuelven, no me devolvieron, no me han devuelto,"
    " not refunded, haven't refunded, havent refunded, refunded for the item, came through but, not back,"
    " no aparece, no ha aparecido, sigue sin aparecer, tarda, tardan, how long, cuanto tarda, ni noticias,"
    " nada de nada, still nothing, nothing yet, gift card, tarjeta regalo, monedero, loyalty points,"
    " points instead, nota credito, nota de credito, credit note, old card, tarjeta vieja, expired, paypal,"
    " klarna, rechaz*, rejected, denied, denegad*, se niegan, partial, parcial, quitaron, deducted,"
    " restocking fee"
)
# A parcel that never came: the delivery is what went wrong, not the refund.
_NOT_DELIVERED = (
    "marked as delivered, never arrived, never came, never turned up, never showed, never delivered,"
    " not delivered, nunca llego, nunca llegaron, no llego, no ha llegado, no me ha llegado, no recibi,"
    " sin llegar, out for delivery"
)

# --- Parcels -----------------------------------------------------------------------
# Damage words are logistics' only next to a word about the parcel arriving:
# "roto" alone may be a trolley in a shop or a kettle after a month.
_DAMAGE = (
    "roto, rota, rotos, rotas, en pedazos, añicos, trizas, hecho trizas, dañad*, golpead*, golpe, golpes,"
    " abollad*, abolladura, aplastad*, hundid*, rajad*, estrellad*, partid*, quebrad*, trizad*,"
    " desportillad*, descascarillad*, rayad*, mojad*, empapad*, reventad*, hecho polvo, hecha polvo,"
    " destrozad*, doblad*, chueca, chueco, torcid*, derretid*, descongelad*, agujero, damaged, broken,"
    " smashed, crushed, dented, dent, cracked, crack, shattered, scratched, scratches, scuff*, chip, chipped,"
    " soaked, soaking, wet, bent, torn, ripped, snapped, split, in pieces, in 2 pieces, in 3 pieces,"
    " squashed, smushed, burst, defrosted, melted, gouge, hole, rattling, suena como"
)
_ARRIVAL = (
    "llego, llegaron, ha llegado, han llegado, vino, venia, venian, vinieron, recibi, recibido, recibida,"
    " me entregaron, entregado, entregada, entregaron, arrived, came, turned up, delivered, delivery,"
    " received, on arrival, al llegar, al recibir, al abrirlo, al abrirla, al abrir la caja, al desembalar,"
    " desembalar, when i opened, when i unpacked, unpacked, out of the box, in the box, box, boxes, caja,"
    " paquete, parcel, package, encomienda, embalaje, packaging, envoltorio, in the bag, en la bolsa,"
    " fragile, fragil, forklift, footprint, dropped, fell off, repartidor, courier, driver, transportista,"
    " envio, pedido"
)
# Broken after some use is a defect; a broken trolley or lift is the shop's;
# "caja" is the till as often as the box.
_NOT_IN_TRANSIT = (
    "after using, after a week, after two weeks, after a month, after months, weeks of use, months of use,"
    " despues de usarlo, despues de usarla, despues de usar, a la semana de, al mes de, de uso,"
    " primer lavado, first wash, primera lavada, first use, primer uso, first time i, primera vez que,"
    " stopped working, dejo de funcionar, trolley*, carro, carros, carrito*, probador*, ascensor, parking,"
    " car park, aparcamiento, estacionamiento, branch, sucursal, checkout, postcode, lote, batch, box says,"
    " la caja dice, la caja pone, cajera, cajero, cajas, en caja, la caja registradora"
)
# A delivery word about something else: a return, a code or an email that did not
# come, a refund of the delivery fee, a person who was late, or thanks.
_NOT_LATE = _words(
    "devolvi, devolucion, devolvimos, he devuelto, returned, sent back, sent it back, return, refund*,"
    " reembols*, reintegr*, codigo, code, correo de confirmacion, confirmation email, email de confirmacion,"
    " contrasena, password, sms, verificar, registro, registrarme, order placed, link, enlace, cupon,"
    " newsletter, voucher, confirmation, confirmacion, no me llego correo, llego el correo, llega el correo,"
    " llego ningun correo, llego el mail, llego ningun email, gastos de envio, delivery fee, delivery charge,"
    " goodwill, money, dinero, plata, despacho gratis, envio gratis, free delivery, free shipping,"
    " cobraron el despacho, cobraron el envio, reimburs*, factura, invoice, no llega a, no llega ni,"
    " llegue tarde, i was late, me hizo llegar tarde, llegar tarde, a abrir, to open, bang on time, on time,"
    " a tiempo, antes de tiempo, antes de la hora",
    _THANKS,
)

# --- The website and the app -------------------------------------------------------
# Customers name the web or the app as the place they saw a price, a stock level
# or their tracking: it takes something going wrong there to make it digital's.
_DIGITAL_PLACE = (
    "app, apps, la app, aplicacion, web, la web, website, site, pagina, pagina web, online, my account,"
    " mi cuenta, checkout, carrito, basket, buscador, search, filter*, filtro*, notificacion*, notifications,"
    " sesion, codigo, code, cupon, voucher code, link, enlace, formulario, form"
)
_DIGITAL_FAULT = (
    "error, errores, no carga, no cargan, no abre, no me deja, no deja, no puedo, no funciona, no funcionan,"
    " no va, se cierra, se cuelga, se queda cargando, se quedo cargando, colgada, colgado, se cae, caida,"
    " caido, en blanco, no aparece, no aparecen, no me aparece, no me aparecen, desaparec*, se borr*,"
    " me borro, bloquead*, caducad*, no valido, no es valido, invalido, no acepta, no reconoce, me saca,"
    " me pide, reinstal*, se traba, traba, vacia el carrito, me vacia, no encuentra, no encuentro como,"
    " se activa solo, en ingles, en portugues, no muestra, no me muestra, lenta, lento, lentisima, crash*,"
    " keeps crashing, froze, frozen, freezes, freezing, stuck, spinning, spins, blank, won't load, wont load,"
    " doesn't load, doesnt load, not loading, keeps logging, logged me out, logs me out, kicked out, bounces,"
    " greyed out, grayed out, grey box, does nothing, nothing happens, no pasa nada, glitch*, bug, buggy,"
    " invalid, not valid, vanished, disappeared, disappearing, resets, won't let me, wont let me,"
    " doesn't let me, doesnt let me, can't log, cant log, loop, broken link, not working, doesn't work,"
    " doesnt work, isn't working, translated, doesn't show, doesnt show, not showing, won't show, wont show,"
    " aren't showing, arent showing, empties, emptying, slow, takes forever, removed it, never appears,"
    " keeps asking"
)

# --- Shops -----------------------------------------------------------------------
# "Tienda" or "store" alone says where something happened (a refund asked for in a
# shop is billing's): a shop rule needs the place and something wrong with it.
_STORE_PLACE = (
    "tienda, tiendas, sucursal, local, en caja, en cajas, super, el super, supermercado, hiper,"
    " centro comercial, mall, store, shop, branch, supermarket, superstore, shop floor, in store, in-store,"
    " seccion, section, carniceria, pescaderia, panaderia, fruteria, verduleria, charcuteria, cajas, entrada,"
    " entrance, probador*, fitting room*, changing room*, car park, aparcamiento, estacionamiento,"
    " parqueadero, parking, trolley*, carros, carritos, autocobro, self checkout*, tills, queue*, aisle*,"
    " pasillo*"
)
# A shop's fittings count as something wrong: customers name them when they fail.
_STORE_PROBLEM = (
    "probador*, fitting room*, changing room*, aparcamiento, estacionamiento, parking, car park, parking lot,"
    " trolley*, carros, carritos, cestas, baskets, autocobro, autocaja*, self checkout*, self-checkout*,"
    " self service till, self service tills, tills, cajas abiertas, una caja abierta, una sola caja,"
    " solo una caja, cajas cerradas, only one till, one till open, 2 tills, two tills, queue*, colas,"
    " mucha cola, una cola, la cola, de cola, haciendo cola, hacer cola, fila, filas, estanterias,"
    " estanteria, shelves, lineales, anaquel, pasillo*, aisle*, neveras, freezers, fridges, congeladores,"
    " refrigeradores, apagados, banos, bano, toilets, toilet*, aseos, sucio, sucia, sucios, sucias, dirty,"
    " filthy, smelly, olor, aire acondicionado, air con, heating, calefaccion, horario, opening hours,"
    " closed early, cerrado, cerrada, cerraron, cierran antes, cerraron antes, closes at, abren a las,"
    " opens at, open at, shutters, persiana, doors locked, puerta cerrada, mostrador, counter, vacio, vacia,"
    " vacios, vacias, empty, no hay, no habia, nunca hay, never any, never have, out of stock, sin stock,"
    " suelo mojado, wet floor, puddle, charco, resbal*, slipped, goteras, humedad, ratas, rata, raton, mouse,"
    " mice, cucarach*, moscas, flies, avispas, wasps, musica, music, loud, volumen, escalator,"
    " escaleras mecanicas, escaleras electricas, ascensor, lift, elevator, silla, sillas, seating, carteles,"
    " signs, senalizacion, una sola persona, one person, nadie atendiendo, no one on, nobody on, no staff,"
    " sin personal, falta de personal, staff shortage, desordenad*, messy, a mess, caos, chaos"
)
# A shop named in a message about something else: a price or a refund (billing),
# an online order or a delivery, a suggestion, or a compliment.
_NOT_STORE = (
    "precio, price, charged, cobr*, refund*, reembols*, devolucion, receipt, ticket, paid for, pague, app,"
    " web, website, online, pedido online, online order, pedido, my order, the order, an order, your order,"
    " click and collect, in-store pickup, pickup, recogida en tienda, retiro en tienda, para recoger, parcel,"
    " paquete, delivery, entrega, envio, llego, arrived, live chat, chat, could you, podrian, podriais,"
    " deberian, deberiais, would be, seria, estaria, ojala, suggest*, sugiero, sugerencia, idea, you should,"
    " should let, love this, me encanta, lovely, gorgeous, well done, much better, amplio, amplia, muy bien,"
    " esta bien, bien senalizado, great, good, nice, limpio, limpia, clean, comodo, genial, me gusta, gas,"
    " silla de coche, silla de bebe, peligro"
)
# Rudeness, whoever it comes from.
_RUDE = (
    "maleducad*, mal educad*, grosero, grosera, groseria, malos modos, malas formas, malas maneras,"
    " de mala gana, de malas maneras, de mala manera, desagradable, falta de respeto, irrespetuos*, me grito,"
    " nos grito, se rio de mi, se burlo, muy borde, fue borde, super borde, bastante borde, prepotente,"
    " prepotencia, despota, soberbio, me trato fatal, me trato mal, trato pesimo, atendio mal,"
    " atendio re mal, atendio fatal, me hablo mal, me hablo fatal, le hablo mal, le hablo fatal, me colgo,"
    " rude, rudely, impolite, unfriendly, unhelpful, unprofessional, condescending, dismissive, sarcastic,"
    " snide, patronising, patronizing, shouted at, yelled at, swore at, hung up on me, attitude,"
    " rolled her eyes, rolled his eyes, laughed at me, tutting, sighing, sighed"
)
# The people who work in a shop (not the courier, not the contact centre).
_SHOP_STAFF = (
    "cajera, cajero, cajeras, cashier*, checkout girl, on the till, on till, dependient*, vendedor*,"
    " vendedora*, reponedor*, vigilante, guardia, security, seguridad, on the door, at the door,"
    " de la puerta, de la entrada, encargad*, gerente, store manager, floor manager, duty manager,"
    " jefe de seccion, supervisor*, mostrador, counter, charcuteria, carniceria, pescaderia, fruteria,"
    " panaderia, farmaceutic*, pharmacist, optician, sales guy, sales assistant, shop assistant, assistant,"
    " staff member, member of staff, colleague, empleado*, empleada*, senorita, la chica de, el chico de,"
    " el de la, la de la, the guy on, the girl on, the woman on, the lad on, the man on"
)
# Rude staff of the contact centre or a courier are someone else's; a refused
# price or refund is billing's.
_NOT_SHOP_STAFF = (
    "telefono, chat, agente, teleoperador*, llamada, llame, phone call, called, agent, call centre,"
    " call center, repartidor, driver, courier, rider, delivery, entrega, price, precio, charged, cobr*,"
    " refund*, reembols*, receipt, ticket, tax, impuesto, voucher, coupon, cupon, cargos, no attitude,"
    " no questions, me colgo, colgo, hung up, marque"
)

RULES = [
    # --- The website and the app, when a log-in or payment fails: digital's even
    # when a charge or a refund is mentioned ("the page crashed and I was charged").
    (
        "Web o app: acceso y pago / Website or app: log-in and payment",
        10,
        "iniciar sesion, inicio de sesion, contrasena, password, log in, login, logged out, sign in, captcha,"
        " verification code, codigo de verificacion, codigo por sms, codigo de acceso, 404, 403, error 500,"
        " 502, pantalla en blanco, white screen, blank screen, app crash*, app keeps crashing,"
        " se cierra la app, la app se cierra, la app se cuelga, la app no abre, app won't open,"
        " app wont open, checkout page, payment page, pagina de pago, pasarela de pago, pasarela de pagos,"
        " promo code, discount code, codigo de descuento, codigo promocional, something went wrong,"
        " algo salio mal, registrarme, sign up, cuenta bloqueada, account locked, locked out, pago rechazado,"
        " payment failed, payment declined, transaccion rechazada, payment error, error al pagar,"
        " error en el pago",
        [_NOT_PRAISE],
        ["website-app"],
        "digital",
        "",
        # A voucher refused at the till, or a discount the site showed but the card
        # statement does not (data/LABELS.md), is a billing matter.
        "cajera, cajero, cashier, at the till, the till, en caja, full price, precio completo,"
        " charged the full, sin descuento, on my statement, en el extracto, en mi extracto, estado de cuenta",
    ),
    # --- Billing first for a refund that is late, short or refused, whatever the
    # customer returned and why.
    (
        "Reembolso pendiente / Refund not received",
        20,
        _REFUND,
        [_NOT_PRAISE, ("text", "contains_any", _words(_REFUND_UNDER_WAY, _REFUND_PROBLEM))],
        ["refund"],
        "billing",
        "",
        _words(
            _NOT_DELIVERED,
            _THANKS,
            "replacement, pasarela, rapidisimo, rapido, sin preguntas, painless, no questions, easy, smooth",
        ),
    ),
    # --- Logistics: wrong, missing, damaged, late.
    (
        "Pedí una cosa y llegó otra / Ordered one thing, got another",
        30,
        "equivocad*, otro producto, otra talla, otro color, otro modelo, otra marca, en vez de, en lugar de,"
        " es lo que pedi, es el que pedi, es la que pedi, es lo que compre, es el que compre,"
        " de otra persona, de otro cliente, wrong item*, wrong product*, wrong size, wrong colour,"
        " wrong color, wrong model, wrong one, wrong order, wrong parcel, wrong thing, instead of,"
        " not what i ordered, not what i bought, someone else's, someone elses, not my order, isn't my order,"
        " isnt my order, got, received, me llego, me llegaron, me llega, me mandaron, me mandasteis,"
        " me habeis mandado, me enviaron, me han enviado, me han mandado, me ha llegado, me han llegado,"
        " vinieron, llegaron, sent me, box says",
        [
            _NOT_PRAISE,
            (
                "text",
                "contains_any",
                "pedi, pido, he pedido, ordered, compre, pedimos, encargue, i bought, i order, had ordered",
            ),
        ],
        ["wrong-item"],
        "logistics",
        "",
        # "Ordered on the 3rd, still not received" is a late delivery.
        _words(
            _NOT_DELIVERED,
            "devolvi, devolvieron, refunded, reembolsaron, reintegr*, still, todavia, aun no, not arrived,"
            " never, nunca, tracking, seguimiento, precio, price, cobr*, charged, invoice, factura, password,"
            " contrasena, cuenta, account, missing, falta*, only got, solo llego, solo vino, solo llegaron,"
            " probador*, montador*, correo",
        ),
    ),
    (
        "Artículo equivocado / Wrong item",
        40,
        "equivocad*, no es el mio, no es mio, no son los mios, no es la mia, no son mios, que no es mio,"
        " que no pedi, que no he pedido, que no he comprado, que no compre, otro articulo, producto distinto,"
        " producto diferente, modelo distinto, talla distinta, color distinto, distinto al que,"
        " diferente al que, different colour, different color, different size, different model,"
        " different product, different item, older model, modelo anterior, modelo mas viejo, mixed up,"
        " mix up, mix-up, someone else's, someone elses, de otra persona, de otro cliente, the one i ordered,"
        " the one i paid, what i paid for, isnt what i ordered, not what i ordered, es lo que pedi,"
        " es lo que encargue, wrong item*, wrong product*, wrong size, wrong colour, wrong color,"
        " wrong model, wrong flavour, wrong flavor, send the wrong, sent the wrong, sent me the wrong,"
        " received the wrong, got the wrong, delivered the wrong, sent a different, sent me a different,"
        " swapped for, substituted, substitution, substitutions, sustituido, sustituyeron, me cambiaron por,"
        " completely different, totally different",
        [
            _NOT_PRAISE,
            (
                "text",
                "contains_any",
                "pedi, pido, pedido, ordered, order, compre, paquete, parcel, package, box, caja, llego,"
                " arrived, recibi, recibido, received, delivered, entregaron, me mandaron, me enviaron, sent,"
                " send, got, came, vino, venia",
            ),
        ],
        ["wrong-item"],
        "logistics",
        "",
        # A wrong price, an invoice in someone else's name, someone else's account
        # or address on screen: billing's or digital's. Paying to send it back is a refund.
        _words(
            "precio, price, cobr*, charged, invoice, factura, boleta, password, contrasena, cuenta, account,"
            " app, notificacion*, correo, mail, email, datos, privacy, privacidad, direccion, address,"
            " refunded, reembolsaron, devolvieron, devolvieran, return shipping, return postage,"
            " to send it back, envio de la devolucion, gastos de devolucion, montaje, probador*, shelf,"
            " estante*, etiqueta del lineal, shelf label",
            _THANKS,
        ),
    ),
    (
        "Falta un artículo / Missing item",
        50,
        "falta un, falta una, faltan, faltaba*, falto, faltaron, me falta*, incomplet*, no venia, no venian,"
        " no venia el, no venia la, no venian los, no venian las, no trajeron, venia sin, vino sin,"
        " llego sin, llegaron sin, solo vino, solo venia, solo venian, solo vinieron, solo llego,"
        " solo llegaron, solo me llego, solo han llegado, solo me entregaron, solo trajeron, estaba vacia,"
        " estaba vacio, venia vacia, caja vacia, missing, items missing, missing items, missing from,"
        " not in the box, not included, wasn't in, wasnt in, weren't in, werent in, only got, only received,"
        " only one arrived, came without, arrived without, turned up without, delivered without, empty box,"
        " was short, were short, short two, short one, didn't come, didnt come, half the order,"
        " half my order",
        [_NOT_PRAISE],
        ["missing-item"],
        "logistics",
        "",
        # "Hace falta" (it is needed), "falta el ticket" (the receipt), "falta de
        # personal"; a missing refund, sign or loyalty points; a seal missing is a defect.
        _words(
            "hace falta, falta el ticket, falta la factura, falta de, falta un trozo, falta un pedazo,"
            " no vino nadie, missing delivery, returned, devolvi, sent back, refunded, reembolsaron,"
            " reintegraron, plata, dinero, money, credited, invoice, factura, vat, iva, charged twice, twice,"
            " dos veces, minutos, minutes, sello, precinto, seal, trolley*, aisle*, shelf, shelves, estante*,"
            " sign, signs, cartel*, points, puntos, come off, came off, off the total, diferentes, distinto,"
            " someone else's, someone elses",
            _THANKS,
        ),
    ),
    (
        "Llegó sin una parte / Arrived without a part",
        60,
        "sin el, sin la, sin los, sin las, without the, without any, minus the, except the, but no, no traia,"
        " no trajo, nowhere to be, isn't there, isnt there, aren't there, arent there, wasn't there,"
        " no venia, no venian, solo una, solo uno, only one, only 1, only 2, only two",
        [
            _NOT_PRAISE,
            (
                "text",
                "contains_any",
                "vino, venia, llego, llegaron, me llego, came, arrived, turned up, delivered, in the box,"
                " en la caja, el paquete, the box, the parcel, bundle, pack, set, pedido, order",
            ),
        ],
        ["missing-item"],
        "logistics",
        "",
        _words(
            "sin problemas, sin problema, without any problem, without any issue, without warning,"
            " without asking, sin avisar, sin preguntar, no vino nadie, sello, precinto, seal, refund*,"
            " reembols*, devolvi, returned, money, dinero, plata, charged, cobr*, tracking, seguimiento, app,"
            " web, website, tienda, store",
            _THANKS,
        ),
    ),
    (
        "Artículo dañado / Damaged in transit",
        70,
        _DAMAGE,
        [_NOT_PRAISE, ("text", "contains_any", _ARRIVAL)],
        ["damaged-item"],
        "logistics",
        "",
        _words(_NOT_IN_TRANSIT, _THANKS),
    ),
    (
        "Retraso en la entrega / Late delivery",
        80,
        "no ha llegado, no me ha llegado, no han llegado, no me han llegado, no llega, no llegan,"
        " no me llego, no llego, nunca llego, nunca llegaron, sigue sin llegar, sin llegar, aun no llega,"
        " todavia no llega, no ha venido nadie, no vino nadie, nadie vino, nadie llego, retras*, demora*,"
        " demorad*, atraso, atrasad*, out for delivery, not arrived, hasn't arrived, hasnt arrived,"
        " has not arrived, haven't received, havent received, never arrived, never came, never turned up,"
        " never showed, never delivered, not delivered, wasn't delivered, waiting for my order,"
        " waiting for my parcel, waiting for my package, waiting for my delivery, still waiting for it,"
        " waiting on my order, waiting on my parcel, where is my order, where's my order, wheres my order,"
        " where is my parcel, where's my parcel, where is my package, where is my delivery, wheres my stuff,"
        " where's my stuff, late delivery, delivery was late, arrived late, turned up late, came late,"
        " day late, days late, week late, weeks late, hours late, hrs late, mins late, minutes late,"
        " llega tarde, llego tarde, llegaron tarde, ha llegado tarde, han llegado tarde, llegan tarde,"
        " delayed, delay, slow delivery, slowest delivery, fuera de plazo, plazo de entrega, sigo esperando,"
        " seguimos esperando, still nothing, missed delivery, failed delivery, delivery failed,"
        " entrega fallida, rescheduled, rebooked, reprogramad*, missed you, cliente ausente,"
        " aviso de ausente, not been dispatched, hasn't been dispatched, hasnt been dispatched,"
        " not dispatched, awaiting dispatch, preparing for dispatch, pending dispatch, label created,"
        " no lo han enviado, sin enviar, lost parcel, lost package, paquete perdido, pedido perdido,"
        " se perdio, extraviad*, return to sender, devuelto al remitente, didn't turn up, didnt turn up,"
        " didn't show up, didnt show up, nobody came, nobody turned up, no one came, no one turned up,"
        " no show, card through the door, estimated delivery, delivery estimate, fecha de entrega,"
        " fecha prometida, entrega garantizada, despacho atrasado, not recieved, havent recieved,"
        " haven't recieved, not rcvd, no m a llegado, no me a llegado, no a llegado, no ha yegado, no yega,"
        " mi pedido no llega, mi paquete no llega, el pedido no llega, el paquete no llega, cuando llega mi,"
        " still ntg, nvr arrived, never arrvd, havent got my order, haven't got my order,"
        " havent got my parcel, haven't got my parcel, no ha llegao, no me ha llegao, wheres my pkg,"
        " where's my pkg",
        [_NOT_PRAISE],
        ["delivery-delay"],
        "logistics",
        "high",
        _NOT_LATE,
    ),
    # Couriers and tracking: a delivery problem, and a late one unless the
    # parcel came broken, short or wrong (those rules tag it).
    (
        "Transporte y seguimiento / Courier and tracking",
        90,
        "seguimiento, rastreo, tracking, in transit, en transito, en reparto, en camino, en preparacion,"
        " en almacen, marked as delivered, marked delivered, marked it as delivered, marked it delivered,"
        " says delivered, shows delivered, marcado como entregado, marco entregado, marcaron entregado,"
        " marco como entregado, figura como entregado, pone entregado, dice entregado,"
        " aparece como entregado, safe place, left my parcel, left the parcel, dejo el paquete, left outside,"
        " left on the doorstep, find the address, find my address, domicilio no localizado,"
        " no encontraba la direccion, paqueteria, mensajeria, transportista, transportadora, courier,"
        " repartidor, domiciliario, delivery driver, delivery guy, delivery man, rider, mensajero, chofer,"
        " flete, cadete, moto del delivery, depot, sorting centre, centro de distribucion, encomienda,"
        " el despacho, dlvd, dlvry, delivry, delievery, delivary, deliverd, pkg, pckg, parcle",
        [_NOT_PRAISE],
        ["delivery-delay"],
        "logistics",
        "high",
        _words(
            _NOT_LATE,
            _DAMAGE,
            "falta*, missing, only got, only had, solo me, solo llego, solo vino, solo llegaron, half my,"
            " mitad, wrong, equivocad*, someone else's, someone elses, de otra persona, instead of,"
            " en vez de, en lugar de",
        ),
    ),
    (
        "Esperando el pedido / Waiting for the order",
        100,
        "esperando, esperar, waiting, still not here, not here yet, its not here, it's not here, isn't here,"
        " isnt here, no ha venido, any update, update on my order, update on order, cuando llega,"
        " cuando me llega, cuando va a llegar, when will it arrive, when will my order, when is it coming,"
        " is it actually coming, ni rastro, no sign of it, estimated delivery, fecha de entrega,"
        " fecha prometida, promised by, prometida, guaranteed, garantizada, 24h, 24hs, 48h, 48hs, 2-day,"
        " next day, bin store, left it outside, failed, ausente, entrega cancelada, cancelaron la entrega,"
        " delivery was cancelled, delivery cancelled, listo para recoger, ready for collection, the van,"
        " delivery van, furgoneta, camioneta",
        [
            _NOT_PRAISE,
            (
                "text",
                "contains_any",
                "pedido, paquete, envio, entrega, encomienda, compra, order, parcel, package, delivery,"
                " delivered, shopping, groceries, van, driver, repartidor, courier, mensajero",
            ),
        ],
        ["delivery-delay"],
        "logistics",
        "high",
        # Waiting for a refund, an answer or a queue in a shop; asking for a better slot.
        _words(
            "refund*, reembols*, money, dinero, plata, invoice, factura, reply, respuesta, respond,"
            " contesta*, phone, telefono, call, llamada, chat, app, web, website, site, pagina, thanks,"
            " gracias, would be, could you, podrian, seria, estaria, deberian, deberiais, would help,"
            " any chance, suggest*, idea, till, caja, queue, cola, store, tienda, charged, cobr*,"
            " click and collect",
            _THANKS,
        ),
    ),
    # --- The website and the app, when something there goes wrong.
    (
        "Web o app: errores / Website or app: errors",
        110,
        _DIGITAL_PLACE,
        [_NOT_PRAISE, ("text", "contains_any", _DIGITAL_FAULT)],
        ["website-app"],
        "digital",
        "",
        # The app's tracking page, the shop's card machine or stock, an invoice to download.
        "tracking, seguimiento, rider, driver, repartidor, courier, delivered, entregado, turned up, refund*,"
        " reembols*, cajera, cajero, cashier, at the till, en caja, self checkout, tienda, store, shop,"
        " sucursal, parking, car park, stock, batch, factura, invoice, vat, iva, estaria bueno, estaria bien,"
        " would be",
    ),
    (
        "Web o app: funciones / Website or app: features",
        120,
        "notificacion*, notifications, push notification*, buscador, search bar, search results, the search,"
        " boton de, the button, button just, button does, mi perfil, two-factor, 2fa, two factor,"
        " codigo por sms, sms code, ficha del producto, ficha de producto, add to basket, anadir al carrito,"
        " agregar al carrito, mis compras, mis pedidos, order history, historial de pedidos, favoritos,"
        " wishlist, lista de deseos, timing out, times out, timed out, lentisima, lentisimo,"
        " takes forever to load, painfully slow, dark mode, modo oscuro",
        [_NOT_PRAISE],
        ["website-app"],
        "digital",
        "",
        # Wishes for the app are suggestions; a help button in a car park is the shop's.
        "sugerencia, sugiero, would be, could you, podrian, podriais, deberian, deberiais, estaria bien,"
        " estaria bueno, seria, ojala, please add, idea, would love, me encantaria, wish, tracking,"
        " seguimiento, rider, driver, repartidor, courier, delivered, entregado, llego, arrived, turned up,"
        " pedido llega, order arrives, refund*, reembols*, devolvi, returned, cajera, cajero, cashier,"
        " en caja, at the till, charged, cobr*, cargo, statement, extracto, bank, banco, factura, invoice,"
        " rfc, vat, iva, phone, telefono, call, llamada, battery, bateria, help button, barrier, barrera,"
        " car park, parking",
    ),
    # --- Billing.
    (
        "Cobro duplicado o de más / Charged twice or too much",
        130,
        "cobrado dos veces, cobraron dos veces, cobro doble, doble cobro, doble cargo, dos cargos,"
        " dos cobros, tres cargos, cargo duplicado, cobro duplicado, cargos duplicados, pagos duplicados,"
        " dos veces el mismo, charged twice, double charged, charged me twice, two payments, three payments,"
        " two charges, three charges, paid twice, taken twice, twice for the same, overcharg*,"
        " cobrado de mas, cobraron de mas, cobran de mas, cobrando de mas, no reconozco, don't recognise,"
        " dont recognise, don't recognize, dont recognize, still being charged, still charged,"
        " still getting charged, me siguen cobrando, siguen cobrando, kept charging, keep charging, comision,"
        " direct debit, domiciliacion, pending payments, pending charges, estado de cuenta, card statement,"
        " bank statement, extracto",
        [_NOT_PRAISE],
        ["billing-error"],
        "billing",
        "",
        "garantia, warranty, web, app, website, site, pagina, page, screen, pantalla",
    ),
    # "Factura" is also the proof of purchase for a warranty or a missing item:
    # the invoice must be the thing that is wrong or wanted.
    (
        "Factura / Invoice",
        140,
        "factura, facturas, invoice, invoices, iva, vat, boleta, rfc, nif, cif, receipt, recibo, ticket,"
        " bill, billing address, direccion de facturacion, datos de facturacion",
        [
            _NOT_PRAISE,
            (
                "text",
                "contains_any",
                "a nombre, datos, nif, rfc, cif, rut, iva, vat, empresa, company, business, corregir,"
                " corrijan, rectific*, emitir, emitan, reissue, re-issue, correct, corrected, electronica,"
                " fiscal, incorrect*, incorrecta, incorrecto, mal calculad*, wrong vat, necesito la factura,"
                " necesito factura, need an invoice, need a vat, vat receipt, copy of the invoice,"
                " copia de la factura, expenses, gastos, contabilidad, accounts, billing address,"
                " direccion de facturacion, datos de facturacion, someone else's, someone elses,"
                " de otra persona",
            ),
        ],
        ["billing-error"],
        "billing",
        "",
        "garantia, warranty, descargar, download, app, web, website, pagina, llego, llegaron, arrived,"
        " turned up, delivered",
    ),
    # The shelf said one price and the till another: billing's, although it
    # happened in a shop.
    (
        "Precio en caja / Price at the till",
        150,
        "precio, price, priced, etiqueta, shelf, lineal, descuento, discount, oferta, offer, promocion, 2x1,"
        " 3x2, 3 for 2, voucher, cupon, coupon, member price, socio, loyalty, no me lo aplicaron,"
        " not applied, didn't apply, didnt apply, wasn't applied, wasnt applied, no se aplico,"
        " never taken off, not taken off, didn't come off, didnt come off, no me lo descontaron,"
        " no me descontaron, dos veces, twice, kilos, kg, bag charge",
        [
            _NOT_PRAISE,
            (
                "text",
                "contains_any",
                "en caja, at the till, the till, cobr*, charged, rang, scanned, escane*, pague, me pasaron,"
                " pasaron, receipt, ticket, recibo, statement, extracto, cajera, cajero, cashier",
            ),
        ],
        ["billing-error"],
        "billing",
        "",
        # A code refused by the website is digital's; a rude cashier is the shop's.
        "app, web, website, site, pagina, online, carrito, basket, code, codigo, expired, caducidad,"
        " caducad*, mal estado, refund*, reembols*, devolvi, returned, cola, queue, rude, grosera, grosero,"
        " snotty, parking, car park",
    ),
    (
        "Cobro indebido / Unexpected charge",
        160,
        "cobr*, charged, charge, charges, cargo, cargos, payment, payments, billed, bill",
        [
            _NOT_PRAISE,
            (
                "text",
                "contains_any",
                "no pedi, nunca pedi, never ordered, didn't order, didnt order, haven't ordered,"
                " havent ordered, i never, no reconozco, don't recognise, dont recognise, twice, dos veces,"
                " 3x, three times, tres veces, in euros, en euros, in dollars, en dolares, conversion,"
                " foreign, full price, precio completo, precio full, sin descuento, without the discount,"
                " mas caro, de mas, fee, comision, membership, membresia, subscription, suscripcion,"
                " suscribi, tip, propina, envio gratis, free delivery, free shipping, despacho gratis,"
                " click and collect, retiro en sucursal, recogida en tienda, cancelled, canceled, cancele,"
                " cancelada, cancelado, di de baja, unsubscribed, late fee, recargo, intereses, cuota,"
                " cuotas, pay in 3, instalment*, plazos, no coincide, doesn't match, does not match,"
                " different amount, importe distinto, wrong amount, importe incorrecto, importe equivocado,"
                " el envio, de envio, gastos de envio, el despacho, for delivery, for shipping, shipping fee,"
                " delivery fee, delivery charge, postage",
            ),
        ],
        ["billing-error"],
        "billing",
        "",
        "app, web, website, site, pagina, online, page, screen, pantalla, error, crash*, froze, garantia,"
        " warranty, llego, llegaron, arrived, turned up, delivered, missing, falta*, never arrived,"
        " nunca llego, no llego, tracking, seguimiento, retraso, late, tarde, plazo, cobertura, driver,"
        " repartidor, payment card, card details, parking, car park, days off, day off",
    ),
    # --- Shops. A named shop tells the stores team where to look.
    (
        "Mal trato en una tienda / Rude staff in a named shop",
        170,
        _RUDE,
        [
            _PROBLEM,
            (
                "text",
                "contains_any",
                "en la tienda de, en la sucursal de, en el local de, en su tienda de, en vuestra tienda de,"
                " en la tienda del, store in, shop in, branch in",
            ),
        ],
        ["staff-attitude", "store-experience"],
        "stores",
        "",
        _NOT_SHOP_STAFF,
    ),
    (
        "Trato del personal / Staff attitude",
        180,
        _words(
            _RUDE,
            "mal trato, cara de fastidio, cara de asco, mala cara, ni me miro, me ignoro, me ignoraron,"
            " shouted, shouting, yelled, ignored me, shrugged, snapped at, told me to, called me, accused,"
            " humiliat*, embarrass*, intimidat*, walked off, walked away, on her phone, on his phone,"
            " con el movil, con el celular, mirando el movil",
        ),
        [_PROBLEM, ("text", "contains_any", _words(_SHOP_STAFF, _STORE_PLACE))],
        ["staff-attitude"],
        "stores",
        "",
        _NOT_SHOP_STAFF,
    ),
    (
        "Personal de tienda / Shop staff",
        190,
        _SHOP_STAFF,
        [
            _PROBLEM,
            (
                "text",
                "contains_any",
                "me dijo, told me, told my, said, me contesto, contesto, refused, se nego, no me dejo,"
                " no la dejo, no lo dejo, wouldnt let, wouldn't let, made me, me hizo, accused, acuso,"
                " laughed, se rio, se reia, comment, comentario, remark, joke, broma, shouted, grito,"
                " grabbed, ignored, ignoro, ignoring, walked off, se fue, sighed, resopl*, mala cara,"
                " cara de, tone, tono, in front of, delante de, patronising, patronizing, condescending,"
                " dismissive, brusque, snotty, shifty, criminal, ladron*, ratero*, mentiros*, liar, thief,"
                " rude, grosera, grosero, maleducad*, de malas maneras, de mala gana, fatal, on her phone,"
                " on his phone, con el movil, con el celular, couldn't be bothered, couldnt be bothered,"
                " snapped, regano, me echo la bronca, bronca",
            ),
        ],
        ["staff-attitude"],
        "stores",
        "",
        _words(
            _NOT_SHOP_STAFF,
            "gracias, thanks, thank you, amable, lovely, brilliant, helpful, felicitar, made my day",
        ),
    ),
    # --- Products that fail in use.
    (
        "Se estropeó al poco / Failed after little use",
        200,
        "day, days, week, weeks, month, months, use, uses, wash, washes, wear, wears, dia, dias, semana,"
        " semanas, mes, meses, usos, lavados",
        [
            _NOT_PRAISE,
            # "After two weeks", "a los tres meses", "4 months old": how long it lasted.
            (
                "text",
                "regex",
                r"\b(after|within)\s+(a|one|two|three|four|five|six|a few|a couple of|[1-9]|1[0-2])\s+"
                r"(days?|weeks?|months?|uses?|wash(es)?|wears?)\b"
                r"|\b(\d{1,2}|a|one|two|three|four|five|six)\s+(days?|weeks?|months?)\s+old\b"
                r"|\b(a los|tras|despu[eé]s de|al cabo de)\s+(dos|tres|cuatro|cinco|seis|pocos|\d{1,2})\s+"
                r"(d[ií]as|semanas|meses|usos|lavados|puestas)\b"
                r"|\btiene\s+(un|una|dos|tres|cuatro|cinco|seis|\d{1,2})\s+(semanas?|mes(es)?)\b"
                r"|\b(al mes|a la semana|a los pocos d[ií]as)\s+de\b",
            ),
        ],
        ["product-defect"],
        "product-quality",
        "",
        # A parcel that took two weeks, a return window, an offer that lasted a week.
        "llego, llegaron, arrived, delivered, entregado, entrega, delivery, envio, tracking, seguimiento,"
        " pedido, order, parcel, paquete, refund*, reembols*, devolvi, returned, return, returns, devolver,"
        " devolucion, charged, cobr*, app, web, website, tienda, store, shop, staff, cajera, cashier, oferta,"
        " rebajas",
    ),
    (
        "Defecto de producto / Product defect",
        210,
        "dejo de, stopped working, stopped charging, stopped heating, stopped cooling, it stopped,"
        " has stopped, just stopped, ya no funciona, ya no enciende, ya no prende, ya no carga,"
        " ya no calienta, no enciende, no prende, won't turn on, wont turn on, won't switch on,"
        " doesn't turn on, won't charge, wont charge, hold a charge, hold charge, no funciona, no funcionan,"
        " doesn't work, doesnt work, does not work, not working properly, won't work, wont work, no carga,"
        " no cargan, no calienta, solo calienta, only heats, no enfria, no congela, doesn't heat,"
        " doesnt heat, doesn't cool, no aspira, lost suction, lost pressure, battery drains, battery dies,"
        " battery died, battery is dead, la bateria no dura, bateria dura, no dura nada, se apaga,"
        " se apaga solo, se apaga sola, turns itself off, switches itself off, turns off by itself,"
        " switches off, keeps switching off, keeps turning off, cuts out, keeps cutting out, se reinicia,"
        " restarts itself, reboots, se desconecta, disconnects, drops connection, loses connection,"
        " no responde, not responding, unresponsive, flicker*, parpadea, dead pixel*, pixeles muertos,"
        " linea vertical, vertical line, marca mal, inaccurate, se calienta, overheat*, sobrecalient*,"
        " huele a quemado, olia a quemado, smell of burning, smells of burning, smelled of burning,"
        " burning smell, smells like burning, echo humo, smoke, sparked, chispas, se derritio, melted,"
        " hace ruido, hace un ruido, makes a noise, noisy, rattles, squeak*, rechin*, pierde agua, gotea,"
        " leaks, leaking, drips, dribbles, jammed, se atasca, se rompio, se rompieron, se rompio al,"
        " se rompio a los, se rompio con, se partio, se descompuso, se dano, se daño, fallado, fallada,"
        " tiene una falla, con falla, broke after, broke within, snapped after, came off, se solto,"
        " fell apart, falling apart, came apart, se deshizo, se despeg*, despegad*, descosi*, se descos*,"
        " deshilach*, frayed, peeling, se pela, pelando, destine, se destino, desteñ*, encogi*, shrank,"
        " shrunk, faded, pilling, bolitas, bobbling, pelusa, went flat, rust, rusty, rusting, oxidad*,"
        " defect*, defectuos*, faulty, fallo de fabrica, manufacturing, malfunction*, dud, mala calidad,"
        " calidad pesima, poor quality, cheap quality, low quality, rubbish quality, flimsy, endeble, junk,"
        " no sirve, useless, waterproof, impermeable, non stick, non-stick, antiadherente, irrompible,"
        " shockproof, larga duracion, long lasting, long-lasting, primer lavado, first wash, after washing,"
        " al lavar, first time i, primer dia, segundo dia, day one, second time i, 2nd time i,"
        " primera vez que, segunda vez que, primer uso, first use, first wear, one wear, meses de uso,"
        " semanas de uso, uso normal, normal use, en garantia, under warranty, dentro de garantia,"
        # Food and cosmetics: off, mouldy, a foreign body, a reaction.
        " moho, mould, mouldy, mold, moldy, hongos, rancio, rancia, rancid, stale, agri*, sour, fermentad*,"
        " fizzed, caducad*, use by, best before, fecha de caducidad, vence, in date, en fecha, fecha bien,"
        " date was fine, mal estado, olor raro, olia mal, huele mal, mal olor, smelled off, smells off,"
        " smelt off, smell off, smelled weird, smells weird, tasted off, tastes off, sabe raro, sabia raro,"
        " sabor raro, crudo, cruda, raw in the middle, pink inside, pink in the middle, viscos*, slime,"
        " slimy, bicho*, gusano*, bugs, insect*, slug, worm*, hair in, a hair, pelo en, pelos,"
        " cuerpo extraño, foreign body, piece of plastic, piece of metal, trozo de plastico, trozo de,"
        " glass in, cristal en, alergi*, alergeno*, allergic, allergen*, reaction, reaccion, nut free,"
        " may contain, puede contener, rash, ronchas, irrita*, ardiendo, ardor, burned my, me quemo, batch,"
        " lote, dangerous, peligros*, safety issue, safety hazard, fire hazard, casi me mato, started a fire",
        [_NOT_PRAISE],
        ["product-defect"],
        "product-quality",
        "",
        # The same words about the website, the shop's fittings (a card reader, the
        # air conditioning, a trolley), a parcel, or a faulty item taken back for a refund.
        "app, web, website, site, pagina, codigo, code, cupon, coupon, voucher, por defecto, sorting,"
        " tarjeta, datafono, card machine, card reader, self checkout, till, tills, caja, cajas, lector,"
        " checadora, desk, security, guard, lineal, shelf, aisle, aire acondicionado, air conditioning,"
        " air con, heating, calefaccion, parking, car park, ascensor, lift, escalator, trolley*, carro,"
        " carros, carrito*, puerta, door, folleto, oferta, llego, arrived, delivered, entregado,"
        " in the delivery, repartidor, driver, dented, abollad*, returned, devolvi, took it back, took back,"
        " took the, took my, went back to, back to the store, back in store, store credit, money back in,"
        " money still, refunded, reintegraron, reembolsaron, live chat, chat, agent, agente",
    ),
    # --- Shops: something wrong with the shop itself.
    (
        "Experiencia en tienda / Store experience",
        220,
        _STORE_PROBLEM,
        [_PROBLEM, ("text", "contains_any", _STORE_PLACE)],
        ["store-experience"],
        "stores",
        "",
        # When shop staff are the subject, the staff rules tag it; the tag here
        # would usually be a second, wrong one.
        _words(
            _NOT_STORE,
            "cajera, cajero, cashier*, dependient*, vendedor*, encargad*, manager, supervisor, security,"
            " seguridad, vigilante, guardia, pharmacist, farmaceutic*, staff, employee*, empleado*,"
            " empleada*, rude, grosera, grosero, me dijo, said, told me, la chica, el chico, lad, girl on,"
            " guy on",
        ),
    ),
    (
        "En la tienda / In the shop",
        230,
        _STORE_PROBLEM,
        [_PROBLEM, ("text", "contains_any", _STORE_PLACE)],
        [],
        "stores",
        "",
        _NOT_STORE,
    ),
    # --- The contact centre itself: nobody answers, hung up, a chatbot loop. Last,
    # so a refund or an order the customer is chasing keeps its own department.
    (
        "Atención al cliente / Contact centre",
        240,
        "on hold for, been on hold, mins on hold, minutes on hold, min on hold, hour on hold, hours on hold,"
        " hrs on hold, still on hold, left on hold, en espera 40, hold music, musiquita, call centre,"
        " call center, nadie contesta, no contesta nadie, no contestan, nadie responde, no responden,"
        " nadie me contesta, nadie me responde, no me contestan, no me contesto, no reply, no response,"
        " nobody answers, no one answers, nobody has replied, never replied, never got a reply,"
        " sin respuesta, auto-reply, auto reply, automatic reply, respuesta automatica, el automatico,"
        " chatbot, chat bot, asistente virtual, live chat, chat de ayuda, hung up on me, hung up on,"
        " me colgaron, me colgo, se corto la llamada, cortan la llamada, me cortan, cut off,"
        " departamento a otro, passed between, passed from, linea telefonica, 0800, el 900,"
        " telefono de atencion, contact form, formulario de contacto, unanswered, numero de caso,"
        " case number, complaints team, agente del chat, el agente, the agent, chat agent, phone agent,"
        " teleoperador*, operadora, operador, person on the phone, persona que me atendio,"
        " la persona del chat, el chico del chat, la chica del chat, la chica del 0800",
        [_NOT_PRAISE],
        [],
        "customer-service",
        "",
        "refund*, reembols*, money, dinero, plata, devolucion, devolvi, returned, pedido, order, parcel,"
        " paquete, delivery, entrega, envio, tracking, seguimiento, charged, cobr*, factura, invoice, broken,"
        " roto, faulty, defect*, app, web, website, tienda, store, shop, local, sucursal, desk, mostrador",
    ),
    # --- Tags only: they say what a message is about, the department comes from
    # the rules above or the model.
    (
        "Reembolso / Refund",
        250,
        _REFUND_WORDS,
        [_NOT_PRAISE],
        ["refund"],
        "",
        "",
        "",
    ),
    (
        "Trato / Manners",
        260,
        _RUDE,
        [_NOT_PRAISE],
        ["staff-attitude"],
        "",
        "",
        # A rude courier is a delivery problem (data/LABELS.md).
        "no attitude, not rude, driver, rider, repartidor, courier, transportista, delivery guy,"
        " delivery man, mensajero, chofer",
    ),
    # Praise only when the customer files it as praise: in comments "great" and
    # "gracias" are as often sarcasm or a polite sign-off on a complaint.
    (
        "Felicitación / Praise",
        270,
        "gracias, felicidades, felicit*, enhorabuena, encantad*, excelente, genial, estupend*, perfecto,"
        " perfecta, de diez, diez puntos, muy amable*, amabilidad, muy contento, muy contenta, un amor,"
        " impecable*, da gusto, thank*, great, excellent, amazing, wonderful, love, brilliant, fantastic,"
        " superb, well done, shout out, shoutout, impressed, helpful, lovely, legend, five stars, 10 10,"
        " above and beyond, made my day",
        [("kind", "in", "praise")],
        ["praise"],
        "",
        "",
        "but on time, snapped, roto, broken, late, tarde, wrong, missing, falta*, no llego, never, nunca",
    ),
    (
        "Sugerencia / Suggestion",
        280,
        "sugerencia, sugiero, sugerimos, propongo, propuesta, estaria bien, estaria bueno, seria genial,"
        " seria util, seria buena idea, seria mas comodo, ojala, podrian, podriais, deberian, deberiais,"
        " me gustaria que, pongan, suggest*, suggestion, would be nice, would be great, would help,"
        " would be helpful, would love, could you add, could you offer, could you put, could there be,"
        " why not, you should, please consider, maybe consider, maybe add, idea, please bring back,"
        " bring back, have you thought about, have you considered, any chance",
        # In a complaint "deberían" is a reproach, not an idea.
        [("kind", "in", "suggestion, comment, praise, question")],
        ["suggestion"],
        "",
        "",
        "ni idea, no idea, no tengo idea",
    ),
]
