"""The words the demo rules are written with: keyword lists several rules share,
the ``kind`` conditions, and ``Rule``, the shape of one rule."""

# One rule: name, order, any-of keywords, extra conditions (all of), tags,
# department, priority, exclusions (routing.demo.rules explains each).
Rule = tuple[str, int, str, list[tuple[str, str, str]], list[str], str, str, str]


def words(*groups: str) -> str:
    return ", ".join(groups)


# Praise and suggestions are the contact centre's; questions and comments can be problems.
NOT_PRAISE = ("kind", "in", "complaint, claim, question, comment")
# A question about a shop ("do you open on Sundays?") is not a complaint about it.
PROBLEM = ("kind", "in", "complaint, claim, comment")

# Thanks for something that went right: nothing to fix.
THANKS = (
    "just wanted to say, only wanted to say, solo queria decir, solo queria comentar, quiero felicitar,"
    " felicitar, felicitaciones, pass it on, pass on my thanks, above and beyond, five stars, 5 stars,"
    " well done, made my day, made my night, da gusto, muy amable, super amable, so kind, dead easy, no fuss,"
    " sin problemas, puntual, impecable*"
)

# --- Money coming back -----------------------------------------------------------
# "I want my money back" goes with whatever went wrong (a broken parcel is
# logistics'); a refund that was promised and has not arrived is billing's.
REFUND_WORDS = (
    "reembols*, rembols*, reembolz*, refund*, refnd*, reimburs*, reintegr*, reingres*, money back,"
    " my money back, mi dinero, mi plata, devuelvan el dinero, devolverme el dinero, devuelvan la plata,"
    " devuelvanme la plata, devolver el dinero, devolvais el dinero, me regresen mi dinero, store credit,"
    " back on my card, back to my card"
)
REFUND = words(
    REFUND_WORDS,
    "money, the money, my money, dinero, el dinero, plata, la plata, lucas, importe, el importe, abono,"
    " abonar*, abonad*, abonaron, me devuelvan, me devolvais, me devolvieron, me han devuelto,"
    " no me devuelven, me devolvian, me regresen, devolverme el importe, back on my account, pounds back,"
    " zero pounds, no money",
)
# The goods went back, the order was cancelled or the refund was promised...
REFUND_UNDER_WAY = (
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
REFUND_PROBLEM = (
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
NOT_DELIVERED = (
    "marked as delivered, never arrived, never came, never turned up, never showed, never delivered,"
    " not delivered, nunca llego, nunca llegaron, no llego, no ha llegado, no me ha llegado, no recibi,"
    " sin llegar, out for delivery"
)

# --- Parcels -----------------------------------------------------------------------
# Damage words are logistics' only next to a word about the parcel arriving:
# "roto" alone may be a trolley in a shop or a kettle after a month.
DAMAGE = (
    "roto, rota, rotos, rotas, en pedazos, añicos, trizas, hecho trizas, dañad*, golpead*, golpe, golpes,"
    " abollad*, abolladura, aplastad*, hundid*, rajad*, estrellad*, partid*, quebrad*, trizad*,"
    " desportillad*, descascarillad*, rayad*, mojad*, empapad*, reventad*, hecho polvo, hecha polvo,"
    " destrozad*, doblad*, chueca, chueco, torcid*, derretid*, descongelad*, agujero, damaged, broken,"
    " smashed, crushed, dented, dent, cracked, crack, shattered, scratched, scratches, scuff*, chip, chipped,"
    " soaked, soaking, wet, bent, torn, ripped, snapped, split, in pieces, in 2 pieces, in 3 pieces,"
    " squashed, smushed, burst, defrosted, melted, gouge, hole, rattling, suena como"
)
ARRIVAL = (
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
NOT_IN_TRANSIT = (
    "after using, after a week, after two weeks, after a month, after months, weeks of use, months of use,"
    " despues de usarlo, despues de usarla, despues de usar, a la semana de, al mes de, de uso,"
    " primer lavado, first wash, primera lavada, first use, primer uso, first time i, primera vez que,"
    " stopped working, dejo de funcionar, trolley*, carro, carros, carrito*, probador*, ascensor, parking,"
    " car park, aparcamiento, estacionamiento, branch, sucursal, checkout, postcode, lote, batch, box says,"
    " la caja dice, la caja pone, cajera, cajero, cajas, en caja, la caja registradora"
)
# A delivery word about something else: a return, a code or an email that did not
# come, a refund of the delivery fee, a person who was late, or thanks.
NOT_LATE = words(
    "devolvi, devolucion, devolvimos, he devuelto, returned, sent back, sent it back, return, refund*,"
    " reembols*, reintegr*, codigo, code, correo de confirmacion, confirmation email, email de confirmacion,"
    " contrasena, password, sms, verificar, registro, registrarme, order placed, link, enlace, cupon,"
    " newsletter, voucher, confirmation, confirmacion, no me llego correo, llego el correo, llega el correo,"
    " llego ningun correo, llego el mail, llego ningun email, gastos de envio, delivery fee, delivery charge,"
    " goodwill, money, dinero, plata, despacho gratis, envio gratis, free delivery, free shipping,"
    " cobraron el despacho, cobraron el envio, reimburs*, factura, invoice, no llega a, no llega ni,"
    " llegue tarde, i was late, me hizo llegar tarde, llegar tarde, a abrir, to open, bang on time, on time,"
    " a tiempo, antes de tiempo, antes de la hora",
    THANKS,
)

# --- The website and the app -------------------------------------------------------
# Customers name the web or the app as the place they saw a price, a stock level
# or their tracking: it takes something going wrong there to make it digital's.
DIGITAL_PLACE = (
    "app, apps, la app, aplicacion, web, la web, website, site, pagina, pagina web, online, my account,"
    " mi cuenta, checkout, carrito, basket, buscador, search, filter*, filtro*, notificacion*, notifications,"
    " sesion, codigo, code, cupon, voucher code, link, enlace, formulario, form"
)
DIGITAL_FAULT = (
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
STORE_PLACE = (
    "tienda, tiendas, sucursal, local, en caja, en cajas, super, el super, supermercado, hiper,"
    " centro comercial, mall, store, shop, branch, supermarket, superstore, shop floor, in store, in-store,"
    " seccion, section, carniceria, pescaderia, panaderia, fruteria, verduleria, charcuteria, cajas, entrada,"
    " entrance, probador*, fitting room*, changing room*, car park, aparcamiento, estacionamiento,"
    " parqueadero, parking, trolley*, carros, carritos, autocobro, self checkout*, tills, queue*, aisle*,"
    " pasillo*"
)
# A shop's fittings count as something wrong: customers name them when they fail.
STORE_PROBLEM = (
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
NOT_STORE = (
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
RUDE = (
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
SHOP_STAFF = (
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
NOT_SHOP_STAFF = (
    "telefono, chat, agente, teleoperador*, llamada, llame, phone call, called, agent, call centre,"
    " call center, repartidor, driver, courier, rider, delivery, entrega, price, precio, charged, cobr*,"
    " refund*, reembols*, receipt, ticket, tax, impuesto, voucher, coupon, cupon, cargos, no attitude,"
    " no questions, me colgo, colgo, hung up, marque"
)
