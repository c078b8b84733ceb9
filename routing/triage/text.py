"""How the triage model reads a message: one normal form for tweets, reviews and emails.

Real customers write "not dlvd after 1 wk", "x q no me llega el pedidooo??"
and "@Shop_help https://t.co/x1 STILL NOTHING". Before any feature is
computed the text is lower-cased and stripped of accents (as the rules
engine does), links, handles, e-mail addresses and numbers become one
placeholder each (an order number says "order", not which order),
letters repeated for emphasis are cut to two, and the commonest SMS
spellings and abbreviations of Spanish and English are spelled out.
Whatever the table misses, the character n-grams of the model still see.
"""

import re

from routing.rules.text import normalize

_URL = re.compile(r"(?:https?://|www\.)\S+")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")
_HANDLE = re.compile(r"@\w+")
_HASHTAG = re.compile(r"#(\w+)")
_REPEAT = re.compile(r"(\w)\1{2,}")
_WORD = re.compile(r"\w+|[^\w\s]")
# Digits inside a word ("b4", "2day") are kept for the abbreviation table;
# a number on its own becomes a placeholder.
_NUMBER = re.compile(r"\b\d+(?:[.,:/-]\d+)*\b")

# Spelled-out forms of SMS spellings and abbreviations, after accents are
# stripped. Only forms that mean one thing in customer messages: "x" (por)
# or "r" (are) are left to the character n-grams.
ABBREVIATIONS = {
    # Spanish
    "q": "que",
    "k": "que",
    "ke": "que",
    "xq": "porque",
    "pq": "porque",
    "porq": "porque",
    "xk": "porque",
    "tb": "tambien",
    "tmb": "tambien",
    "tbn": "tambien",
    "xfa": "por favor",
    "porfa": "por favor",
    "pf": "por favor",
    "dnd": "donde",
    "dd": "donde",
    "msj": "mensaje",
    "toy": "estoy",
    "nse": "no se",
    "kiero": "quiero",
    "aki": "aqui",
    "dsd": "desde",
    "ped": "pedido",
    "hrs": "horas",
    "dev": "devolucion",
    "reembolzo": "reembolso",
    "rembolso": "reembolso",
    "finde": "fin de semana",
    "cel": "celular",
    "compu": "computadora",
    # English
    "u": "you",
    "ur": "your",
    "pls": "please",
    "plz": "please",
    "pleeze": "please",
    "thx": "thanks",
    "thnx": "thanks",
    "ty": "thank you",
    "dlvd": "delivered",
    "dlvrd": "delivered",
    "deliv": "delivery",
    "pkg": "package",
    "pckg": "package",
    "parcl": "parcel",
    "ord": "order",
    "wk": "week",
    "wks": "weeks",
    "yr": "year",
    "b4": "before",
    "2day": "today",
    "2morrow": "tomorrow",
    "tmrw": "tomorrow",
    "cuz": "because",
    "coz": "because",
    "bc": "because",
    "acct": "account",
    "acc": "account",
    "pw": "password",
    "pwd": "password",
    "msg": "message",
    "recd": "received",
    "rcvd": "received",
    "amt": "amount",
    "cust": "customer",
    "svc": "service",
    "w/": "with",
    "w/o": "without",
    "idk": "i do not know",
    "cant": "cannot",
    "wont": "will not",
    "dont": "do not",
    "doesnt": "does not",
    "didnt": "did not",
    "isnt": "is not",
    "havent": "have not",
    "hasnt": "has not",
}


def prepare(subject: str, message: str) -> str:
    """The normal form of a message that every feature is computed from."""
    text = f"{subject}\n{message}" if subject else message
    # Most messages have no link, address, handle or hashtag: skip the search.
    if "http" in text or "www." in text:
        text = _URL.sub(" xurl ", text)
    if "@" in text:
        text = _HANDLE.sub(" xhandle ", _EMAIL.sub(" xemail ", text))
    if "#" in text:
        text = _HASHTAG.sub(r" \1 ", text)
    text = normalize(text)
    text = _REPEAT.sub(r"\1\1", text)
    if "w/" in text:
        text = text.replace("w/o", " w/o ").replace("w/", " w/ ")
    words = []
    for token in text.split():
        bare = token.strip(".,;:!?¡¿()[]\"'…*")
        expanded = ABBREVIATIONS.get(bare)
        words.append(token.replace(bare, expanded, 1) if expanded else token)
    return _NUMBER.sub(" 0 ", " ".join(words))


def words_of(text: str) -> list[str]:
    """The words of a prepared text, as the explanations name them."""
    return [w for w in _WORD.findall(text) if w[0].isalnum()]
