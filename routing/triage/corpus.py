"""The starter corpus and other labelled message files.

The starter corpus (``routing/triage/data/starter/*.jsonl``) trains the model
a new installation starts with. Every item was written for this project and
is released with it under its licence (MIT); ``source`` says so on each
line and ``data/README.md`` tells how the files were made. Labels follow
``data/LABELS.md``.
"""

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"
STARTER_DIR = DATA_DIR / "starter"

# What each department is accountable for (data/LABELS.md): a label whose
# first tag belongs elsewhere is a labelling mistake.
DEPARTMENT_TAGS: dict[str, frozenset[str]] = {
    "logistics": frozenset({"delivery-delay", "damaged-item", "wrong-item", "missing-item"}),
    "billing": frozenset({"refund", "billing-error"}),
    "product-quality": frozenset({"product-defect"}),
    "stores": frozenset({"staff-attitude", "store-experience"}),
    "digital": frozenset({"website-app"}),
    "customer-service": frozenset({"praise", "suggestion", "other"}),
}
TAGS = frozenset().union(*DEPARTMENT_TAGS.values())


def read_labelled(path: str | Path) -> list[dict[str, Any]]:
    """The items of a labelled file: JSON Lines, a JSON list, or ``{"items": [...]}``."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    data = json.loads(text)
    return data["items"] if isinstance(data, dict) else data


def read_folder(folder: str | Path) -> list[dict[str, Any]]:
    """Every item of every ``*.jsonl`` file in ``folder``, files in name order."""
    return [item for path in sorted(Path(folder).glob("*.jsonl")) for item in read_labelled(path)]


def starter_corpus() -> list[dict[str, Any]]:
    return read_folder(STARTER_DIR)


def department_of(item: Mapping[str, Any]) -> str:
    return item.get("department") or item["expected_department"]


def tags_of(item: Mapping[str, Any]) -> list[str]:
    return list(item.get("tags", item.get("expected_tags")) or [])


def problems(items: Iterable[dict[str, Any]]) -> list[str]:
    """What is wrong with labelled items (unknown labels, duplicate ids or texts)."""
    found, ids, texts = [], set(), set()
    for item in items:
        name = item.get("id", "?")
        department, tags = department_of(item), tags_of(item)
        if department not in DEPARTMENT_TAGS:
            found.append(f"{name}: unknown department {department!r}")
        elif tags and tags[0] not in DEPARTMENT_TAGS[department]:
            found.append(f"{name}: first tag {tags[0]!r} is not {department}'s")
        if not set(tags) <= TAGS:
            found.append(f"{name}: unknown tags {sorted(set(tags) - TAGS)}")
        if name in ids:
            found.append(f"{name}: duplicate id")
        text = (item.get("subject", ""), item.get("message", ""))
        if text in texts:
            found.append(f"{name}: duplicate text")
        ids.add(name)
        texts.add(text)
    return found
