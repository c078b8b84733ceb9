"""Demo rules for the digital department: a log-in or payment that fails, and the
website or app going wrong."""

from .vocabulary import DIGITAL_FAULT, DIGITAL_PLACE, NOT_PRAISE, Rule

# --- The website and the app, when a log-in or payment fails: digital's even
# when a charge or a refund is mentioned ("the page crashed and I was charged").
ACCESS_AND_PAYMENT_RULES: list[Rule] = [
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
        [NOT_PRAISE],
        ["website-app"],
        "digital",
        "",
        # A voucher refused at the till, or a discount the site showed but the card
        # statement does not (data/LABELS.md), is a billing matter.
        "cajera, cajero, cashier, at the till, the till, en caja, full price, precio completo,"
        " charged the full, sin descuento, on my statement, en el extracto, en mi extracto, estado de cuenta",
    ),
]

# --- The website and the app, when something there goes wrong.
WEBSITE_AND_APP_RULES: list[Rule] = [
    (
        "Web o app: errores / Website or app: errors",
        110,
        DIGITAL_PLACE,
        [NOT_PRAISE, ("text", "contains_any", DIGITAL_FAULT)],
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
        [NOT_PRAISE],
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
]
