"""Demo rules for the stores department: rude shop staff, and something wrong with a shop."""

from .vocabulary import (
    NOT_SHOP_STAFF,
    NOT_STORE,
    PROBLEM,
    RUDE,
    SHOP_STAFF,
    STORE_PLACE,
    STORE_PROBLEM,
    Rule,
    words,
)

# --- Shops. A named shop tells the stores team where to look.
SHOP_STAFF_RULES: list[Rule] = [
    (
        "Mal trato en una tienda / Rude staff in a named shop",
        170,
        RUDE,
        [
            PROBLEM,
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
        NOT_SHOP_STAFF,
    ),
    (
        "Trato del personal / Staff attitude",
        180,
        words(
            RUDE,
            "mal trato, cara de fastidio, cara de asco, mala cara, ni me miro, me ignoro, me ignoraron,"
            " shouted, shouting, yelled, ignored me, shrugged, snapped at, told me to, called me, accused,"
            " humiliat*, embarrass*, intimidat*, walked off, walked away, on her phone, on his phone,"
            " con el movil, con el celular, mirando el movil",
        ),
        [PROBLEM, ("text", "contains_any", words(SHOP_STAFF, STORE_PLACE))],
        ["staff-attitude"],
        "stores",
        "",
        NOT_SHOP_STAFF,
    ),
    (
        "Personal de tienda / Shop staff",
        190,
        SHOP_STAFF,
        [
            PROBLEM,
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
        words(
            NOT_SHOP_STAFF,
            "gracias, thanks, thank you, amable, lovely, brilliant, helpful, felicitar, made my day",
        ),
    ),
]

# --- Shops: something wrong with the shop itself.
SHOP_RULES: list[Rule] = [
    (
        "Experiencia en tienda / Store experience",
        220,
        STORE_PROBLEM,
        [PROBLEM, ("text", "contains_any", STORE_PLACE)],
        ["store-experience"],
        "stores",
        "",
        # When shop staff are the subject, the staff rules tag it; the tag here
        # would usually be a second, wrong one.
        words(
            NOT_STORE,
            "cajera, cajero, cashier*, dependient*, vendedor*, encargad*, manager, supervisor, security,"
            " seguridad, vigilante, guardia, pharmacist, farmaceutic*, staff, employee*, empleado*,"
            " empleada*, rude, grosera, grosero, me dijo, said, told me, la chica, el chico, lad, girl on,"
            " guy on",
        ),
    ),
    (
        "En la tienda / In the shop",
        230,
        STORE_PROBLEM,
        [PROBLEM, ("text", "contains_any", STORE_PLACE)],
        [],
        "stores",
        "",
        NOT_STORE,
    ),
]
