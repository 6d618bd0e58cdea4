"""The import graph of app/, read with ast: no cycle, every arrow pointing down (routes → services →
models → core), no adapter importing another, and no import inside a function without a comment
saying why. See ARCHITECTURE.md."""

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"

CORE, MODELS, SERVICES, ROUTES = 0, 1, 2, 3
LAYER_NAMES = {CORE: "core", MODELS: "models", SERVICES: "services", ROUTES: "routes"}
# Top-level modules of app/ that are adapters or put them together; the rest of app/*.py is core.
TOP_LEVEL_ROUTES = {"app.web", "app.deps", "app.main", "app.cli", "app.__main__", "app.pages", "app.openapi"}
# Shared by every adapter: what pages and API routes are built with.
ADAPTER_TOOLS = {"app.web", "app.deps", "app.openapi"}


def _modules() -> dict[str, Path]:
    modules = {}
    for path in sorted(APP.rglob("*.py")):
        parts = path.relative_to(APP.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    return modules


MODULES = _modules()
PACKAGES = {name for name, path in MODULES.items() if path.name == "__init__.py"}


def layer(name: str) -> int:
    parts = name.split(".")
    if len(parts) == 2:  # app/<module>.py
        if name in TOP_LEVEL_ROUTES:
            return ROUTES
        return MODELS if name == "app.models" else CORE
    last = parts[-1]
    if len(parts) >= 3 and parts[2] in ("pages", "api"):  # a domain's pages.py, or its pages/ package
        return ROUTES
    if last in ("models", "schemas"):
        return MODELS
    return SERVICES


def _resolve(target: str) -> str | None:
    while target and target not in MODULES:
        target = target.rpartition(".")[0]
    return target or None


def _context(lines: list[str], number: int) -> str:
    """An import's line, the lines of the imports just above it and the first other line above
    them: where a comment saying why would be."""
    found = [lines[number - 1]]
    above = number - 2
    while above >= 0 and lines[above].strip().startswith(("from ", "import ")):
        found.append(lines[above])
        above -= 1
    if above >= 0:
        found.append(lines[above])
    return "\n".join(found)


def _imports(name: str, path: Path):
    """(imported module or None, line, inside a function?, the lines around it)."""
    source = path.read_text()
    lines = source.splitlines()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def walk(node, in_function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                targets = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                targets = [f"{base}.{alias.name}" for alias in child.names] + [base]
            else:
                function = isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
                yield from walk(child, in_function or function)
                continue
            context = _context(lines, child.lineno)
            # `from app.forum import queries` names app.forum.queries, not the package.
            resolved = {_resolve(t) for t in targets if t.startswith("app")} - {None, name} - PACKAGES
            for target in sorted(resolved) or [None]:
                yield target, child.lineno, in_function, context

    yield from walk(ast.parse(source), False)


GRAPH: dict[str, set[str]] = {
    name: {target for target, _line, inner, _ctx in _imports(name, path) if target and not inner}
    for name, path in MODULES.items()
}


def test_no_import_cycle():
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in GRAPH[node]:
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in GRAPH:
        if node not in index:
            connect(node)
    assert cycles == []


def test_every_import_points_down():
    upward = [
        f"{name} ({LAYER_NAMES[layer(name)]}) imports {target} ({LAYER_NAMES[layer(target)]})"
        for name, targets in GRAPH.items()
        for target in targets
        if layer(target) > layer(name)
    ]
    assert upward == []


def test_no_adapter_imports_another():
    crossing = [
        f"{name} imports {target}"
        for name, targets in GRAPH.items()
        if layer(name) == ROUTES and name not in ("app.main", "app.cli", "app.__main__")
        for target in targets
        if layer(target) == ROUTES
        and target not in ADAPTER_TOOLS
        # A domain's pages/ package joins its own routers: one adapter, split by topic.
        and not target.startswith(name + ".")
    ]
    assert crossing == []


def test_imports_inside_functions_say_why():
    unexplained = [
        f"{path.relative_to(APP.parent)}:{line}"
        for name, path in MODULES.items()
        for _target, line, inner, context in _imports(name, path)
        if inner and "#" not in context
    ]
    assert unexplained == []


def test_the_checks_see_the_graph():
    """The walk finds what it should: a known import, and the layers of known modules."""
    assert "app.forum.queries" in GRAPH["app.forum.pages.reading"]
    assert "app.cache" in GRAPH["app.audit"]
    assert layer("app.forum.pages") == layer("app.forum.pages.reading") == ROUTES
    assert layer("app.search.engines.sqlite") == SERVICES
    assert layer("app.forum.models") == MODELS
    assert layer("app.cache") == CORE
    assert len(MODULES) > 80
