"""Demo rules that only add a tag (refund, manners, praise, suggestion), no department."""

from .vocabulary import NOT_PRAISE, REFUND_WORDS, RUDE, Rule

# --- Tags only: they say what a message is about, the department comes from
# the rules above or the model.
TAG_ONLY_RULES: list[Rule] = [
    (
        "Reembolso / Refund",
        250,
        REFUND_WORDS,
        [NOT_PRAISE],
        ["refund"],
        "",
        "",
        "",
    ),
    (
        "Trato / Manners",
        260,
        RUDE,
        [NOT_PRAISE],
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
