"""Demo rules for the billing department: a refund that has not come, wrong charges,
invoices and prices at the till."""

from .vocabulary import (
    NOT_DELIVERED,
    NOT_PRAISE,
    REFUND,
    REFUND_PROBLEM,
    REFUND_UNDER_WAY,
    THANKS,
    Rule,
    words,
)

# --- Billing first for a refund that is late, short or refused, whatever the
# customer returned and why.
LATE_REFUND_RULES: list[Rule] = [
    (
        "Reembolso pendiente / Refund not received",
        20,
        REFUND,
        [NOT_PRAISE, ("text", "contains_any", words(REFUND_UNDER_WAY, REFUND_PROBLEM))],
        ["refund"],
        "billing",
        "",
        words(
            NOT_DELIVERED,
            THANKS,
            "replacement, pasarela, rapidisimo, rapido, sin preguntas, painless, no questions, easy, smooth",
        ),
    ),
]

# --- Billing.
BILLING_RULES: list[Rule] = [
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
        [NOT_PRAISE],
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
            NOT_PRAISE,
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
            NOT_PRAISE,
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
            NOT_PRAISE,
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
]
