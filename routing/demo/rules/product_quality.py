"""Demo rules for the product-quality department: products that fail in use."""

from .vocabulary import NOT_PRAISE, Rule

# --- Products that fail in use.
PRODUCT_QUALITY_RULES: list[Rule] = [
    (
        "Se estropeó al poco / Failed after little use",
        200,
        "day, days, week, weeks, month, months, use, uses, wash, washes, wear, wears, dia, dias, semana,"
        " semanas, mes, meses, usos, lavados",
        [
            NOT_PRAISE,
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
        [NOT_PRAISE],
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
]
