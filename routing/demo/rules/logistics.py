"""Demo rules for the logistics department: a wrong, missing, damaged or late delivery."""

from .vocabulary import (
    ARRIVAL,
    DAMAGE,
    NOT_DELIVERED,
    NOT_IN_TRANSIT,
    NOT_LATE,
    NOT_PRAISE,
    THANKS,
    Rule,
    words,
)

# --- Logistics: wrong, missing, damaged, late.
LOGISTICS_RULES: list[Rule] = [
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
            NOT_PRAISE,
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
        words(
            NOT_DELIVERED,
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
            NOT_PRAISE,
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
        words(
            "precio, price, cobr*, charged, invoice, factura, boleta, password, contrasena, cuenta, account,"
            " app, notificacion*, correo, mail, email, datos, privacy, privacidad, direccion, address,"
            " refunded, reembolsaron, devolvieron, devolvieran, return shipping, return postage,"
            " to send it back, envio de la devolucion, gastos de devolucion, montaje, probador*, shelf,"
            " estante*, etiqueta del lineal, shelf label",
            THANKS,
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
        [NOT_PRAISE],
        ["missing-item"],
        "logistics",
        "",
        # "Hace falta" (it is needed), "falta el ticket" (the receipt), "falta de
        # personal"; a missing refund, sign or loyalty points; a seal missing is a defect.
        words(
            "hace falta, falta el ticket, falta la factura, falta de, falta un trozo, falta un pedazo,"
            " no vino nadie, missing delivery, returned, devolvi, sent back, refunded, reembolsaron,"
            " reintegraron, plata, dinero, money, credited, invoice, factura, vat, iva, charged twice, twice,"
            " dos veces, minutos, minutes, sello, precinto, seal, trolley*, aisle*, shelf, shelves, estante*,"
            " sign, signs, cartel*, points, puntos, come off, came off, off the total, diferentes, distinto,"
            " someone else's, someone elses",
            THANKS,
        ),
    ),
    (
        "Llegó sin una parte / Arrived without a part",
        60,
        "sin el, sin la, sin los, sin las, without the, without any, minus the, except the, but no, no traia,"
        " no trajo, nowhere to be, isn't there, isnt there, aren't there, arent there, wasn't there,"
        " no venia, no venian, solo una, solo uno, only one, only 1, only 2, only two",
        [
            NOT_PRAISE,
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
        words(
            "sin problemas, sin problema, without any problem, without any issue, without warning,"
            " without asking, sin avisar, sin preguntar, no vino nadie, sello, precinto, seal, refund*,"
            " reembols*, devolvi, returned, money, dinero, plata, charged, cobr*, tracking, seguimiento, app,"
            " web, website, tienda, store",
            THANKS,
        ),
    ),
    (
        "Artículo dañado / Damaged in transit",
        70,
        DAMAGE,
        [NOT_PRAISE, ("text", "contains_any", ARRIVAL)],
        ["damaged-item"],
        "logistics",
        "",
        words(NOT_IN_TRANSIT, THANKS),
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
        [NOT_PRAISE],
        ["delivery-delay"],
        "logistics",
        "high",
        NOT_LATE,
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
        [NOT_PRAISE],
        ["delivery-delay"],
        "logistics",
        "high",
        words(
            NOT_LATE,
            DAMAGE,
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
            NOT_PRAISE,
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
        words(
            "refund*, reembols*, money, dinero, plata, invoice, factura, reply, respuesta, respond,"
            " contesta*, phone, telefono, call, llamada, chat, app, web, website, site, pagina, thanks,"
            " gracias, would be, could you, podrian, seria, estaria, deberian, deberiais, would help,"
            " any chance, suggest*, idea, till, caja, queue, cola, store, tienda, charged, cobr*,"
            " click and collect",
            THANKS,
        ),
    ),
]
