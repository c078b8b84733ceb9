"""Our modules import each other without cycles, except the few listed here on purpose.

A cycle of module-level imports works only while every module in it happens
to be imported in the right order, and it ties the modules into one lump that
cannot be understood, tested or split apart alone. The graph is read from the
source with ``ast`` (no module is imported), so the test follows whatever
files exist: only imports that run when a module loads count — those inside
functions or under ``if TYPE_CHECKING:`` are how a cycle is deliberately
avoided.
"""

import ast
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("cxportal", "feedback", "routing", "notifications", "dashboards")

# Every cycle that may exist, as the set of modules in it, each with a one-line
# reason. A cycle not listed here (or a listed one that gains a member) fails.
# None exists today: services queue tasks and tasks call services back, and
# that pair is kept apart by importing the tasks inside the services' functions.
ALLOWED_CYCLES: list[frozenset[str]] = []


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def find_modules(root: Path, apps: Iterable[str]) -> dict[str, Path]:
    """Every module of ``apps`` under ``root``, by dotted name."""
    return {
        module_name(path, root): path
        for app in apps
        for path in sorted((root / app).rglob("*.py"))
        if "migrations" not in path.relative_to(root).parts
    }


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _load_time_imports(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    # Everything in the module body runs on import, including class bodies and
    # try/if blocks; function bodies run only when called.
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _load_time_imports(node.orelse)
        else:
            for child in ("body", "orelse", "finalbody", "handlers", "cases"):
                block = getattr(node, child, None) or []
                yield from _load_time_imports([s for item in block for s in _statements(item)])


def _statements(item: ast.AST) -> list[ast.stmt]:
    # except-handlers and match-cases hold their statements one level down.
    if isinstance(item, ast.ExceptHandler | ast.match_case):
        return item.body
    return [item] if isinstance(item, ast.stmt) else []


def _owning(name: str, modules: dict[str, Path]) -> str | None:
    # ``import routing.rules.conditions`` loads that module; keep the longest part we own.
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of ``modules`` that ``name`` imports when it loads."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _load_time_imports(ast.parse(path.read_text(encoding="utf-8")).body):
        if isinstance(node, ast.Import):
            targets = [_owning(alias.name, modules) for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            # ``from package import module`` imports the module; ``from module import name`` the module.
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else _owning(base, modules)
                for alias in node.names
            ]
        found.update(target for target in targets if target and target != name)
    return found


def import_graph(root: Path, apps: Iterable[str]) -> dict[str, set[str]]:
    modules = find_modules(root, apps)
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


@pytest.fixture(scope="module")
def our_cycles() -> list[frozenset[str]]:
    found = cycles(import_graph(ROOT, APPS))
    for cycle in found:
        print("import cycle:", " <-> ".join(sorted(cycle)))
    return found


@pytest.mark.parametrize("app", APPS)
def test_modules_import_each_other_without_unlisted_cycles(app, our_cycles):
    ours = [cycle for cycle in our_cycles if any(m.split(".")[0] == app for m in cycle)]
    unlisted = [sorted(cycle) for cycle in ours if cycle not in ALLOWED_CYCLES]
    assert unlisted == []


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for target in graph.get(todo.pop(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def test_the_rules_file_format_sits_below_versions_and_the_services_that_write_rules():
    graph = import_graph(ROOT, APPS)

    assert "routing.rulefile" in graph["routing.versions"]
    assert {"routing.rulefile", "routing.versions"} <= graph["routing.transfer"]
    assert not {"routing.versions", "routing.transfer"} & reachable(graph, "routing.rulefile")
    assert "routing.transfer" not in reachable(graph, "routing.versions")


def test_notifications_sit_below_routing_and_feedback():
    """Routing and feedback record and send messages through notifications, never the reverse.

    Only its admin (the interface, which scopes the log by department) imports
    routing; the rest reaches routing's models only through feedback's (a case
    has a department), never its services, tasks or set-up.
    """
    graph = import_graph(ROOT, APPS)
    below = [
        name for name in graph if name.split(".")[0] == "notifications" and name != "notifications.admin"
    ]

    assert "notifications.services" in graph["routing.services"]
    assert "notifications.services" in graph["routing.escalation"]
    for name in below:
        assert not {m for m in graph[name] if m.split(".")[0] == "routing"}, name
        reached = {m for m in reachable(graph, name) if m.split(".")[0] == "routing"}
        assert {m for m in reached if not m.startswith(("routing.models", "routing.sla"))} == set(), name


def test_it_finds_a_cycle_through_relative_and_package_imports(tmp_path):
    app = tmp_path / "shop"
    (app / "engine").mkdir(parents=True)
    files = {
        "__init__.py": "",
        "models.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .orders import Order\n",
        "orders.py": "from .engine import pricing\n",
        "engine/__init__.py": "",
        "engine/pricing.py": "import shop.tax\n",
        "tax.py": "from . import orders\nfrom .models import Item\n\ndef later():\n    from .engine import pricing\n",
    }
    for name, text in files.items():
        (app / name).write_text(text, encoding="utf-8")

    graph = import_graph(tmp_path, ["shop"])

    assert graph["shop.models"] == set()
    assert graph["shop.tax"] == {"shop.orders", "shop.models"}
    assert cycles(graph) == [frozenset({"shop.orders", "shop.engine.pricing", "shop.tax"})]
