"""Demo rules for the customer-service department: the contact centre itself."""

from .vocabulary import NOT_PRAISE, Rule

# --- The contact centre itself: nobody answers, hung up, a chatbot loop. Last,
# so a refund or an order the customer is chasing keeps its own department.
CONTACT_CENTRE_RULES: list[Rule] = [
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
        [NOT_PRAISE],
        [],
        "customer-service",
        "",
        "refund*, reembols*, money, dinero, plata, devolucion, devolvi, returned, pedido, order, parcel,"
        " paquete, delivery, entrega, envio, tracking, seguimiento, charged, cobr*, factura, invoice, broken,"
        " roto, faulty, defect*, app, web, website, tienda, store, shop, local, sucursal, desk, mostrador",
    ),
]
