"""Messages as customers write them: the starter messages with varied numbers, greetings and typos.

Used by ``bench/triage.py`` to make the settled cases it retrains on and the
new cases it routes.
"""

import random
import re
import unicodedata

STORES = [
    "Madrid Gran Vía", "Barcelona Diagonal", "Valencia Centro", "Sevilla Nervión", "Bilbao Abando",
    "Zaragoza Puerto Venecia", "Málaga Larios", "Murcia Thader", "A Coruña Marineda", "Alicante Plaza Mar",
    "Valladolid Río Shopping", "Palma Fan Mallorca", "Granada Nevada", "Oviedo Los Prados",
]  # fmt: skip
NAMES = ["Lucía", "Javier", "Marta", "Pablo", "Ana", "Sergio", "Nuria", "Emma", "Oliver", "Sophie", "James"]
GREETINGS = {
    "es": ["Hola,", "Buenos días,", "Buenas tardes.", "Hola buenas,", "Buenas,"],
    "en": ["Hi,", "Hello,", "Good morning,", "Hi there,", "Dear team,"],
}
SIGN_OFFS = {
    "es": ["Gracias.", "Un saludo.", "Saludos, {name}.", "Espero respuesta.", "Gracias de antemano, {name}"],
    "en": ["Thanks.", "Regards, {name}.", "Cheers", "Thank you.", "Many thanks, {name}"],
}
ORDER_REFERENCES = {
    "es": ["Pedido {n}.", "Nº de pedido: {n}.", "(pedido {n})", "Mi número de pedido es el {n}."],
    "en": ["Order #{n}.", "Order number {n}.", "(order {n})", "My order number is {n}."],
}
STORE_MENTIONS = {
    "es": ["Fue en la tienda de {store}.", "(tienda {store})", "Compré en {store}."],
    "en": ["This was at the {store} store.", "({store} store)", "Bought at {store}."],
}
_NUMBER = re.compile(r"\d+")
_LONG_WORD = re.compile(r"[^\W\d_]{4,}")


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:  # two letters swapped
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 1:  # a letter left out
        return word[:i] + word[i + 1 :]
    if kind == 2:  # a letter doubled
        return word[: i + 1] + word[i:]
    return "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c))


def varied(item: dict, rng: random.Random) -> tuple[str, str]:
    """The subject and message of ``item`` as another customer might have written them."""
    language = item["language"] if item["language"] in GREETINGS else "es"
    numbers = lambda m: str(rng.randint(1, 10 ** len(m.group(0))))  # noqa: E731
    subject = _NUMBER.sub(numbers, item["subject"])
    text = _NUMBER.sub(numbers, item["message"])
    text = _LONG_WORD.sub(lambda m: _typo(m.group(0), rng) if rng.random() < 0.04 else m.group(0), text)
    parts = [text]
    if rng.random() < 0.25:
        reference = rng.choice(ORDER_REFERENCES[language]).format(n=rng.randint(10_000_000, 99_999_999))
        parts.insert(rng.choice((0, 1)), reference)
    if rng.random() < 0.12:
        parts.append(rng.choice(STORE_MENTIONS[language]).format(store=rng.choice(STORES)))
    if rng.random() < 0.3:
        parts.insert(0, rng.choice(GREETINGS[language]))
    if rng.random() < 0.3:
        parts.append(rng.choice(SIGN_OFFS[language]).format(name=rng.choice(NAMES)))
    message = " ".join(parts)
    roll = rng.random()
    if roll < 0.05:
        message = message.lower()
    elif roll < 0.07:
        message = message.upper()
    return subject, message
