"""The package's imports point one way (docs/architecture.md, "Layers").

The graph is built from the source with ``ast``: every ``import`` and ``from … import`` of the
package's own modules, at module level and inside functions alike (a function-level import
hides a circle, it does not remove it). Two rules:

- no circle: no module reaches itself through the imports of others;
- the domain does not know its presentation: nothing in ``models/`` or ``services/`` imports
  from ``views/``, ``api/`` or ``admin/``.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = "wagtail_family_portal"
ROOT = Path(__file__).resolve().parent.parent / PACKAGE
DOMAIN = ("models", "services")
PRESENTATION = ("views", "api", "admin")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def package_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for path in ROOT.rglob("*.py")
        if "migrations" not in path.relative_to(ROOT).parts
    }


def resolve(current: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module a ``from … import`` names."""
    if not node.level:
        return node.module or ""
    base = current.split(".")
    if not is_package:
        base = base[:-1]
    if node.level > 1:
        base = base[: -(node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imported(current: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package's modules ``current`` imports (a name imported from a package counts as
    its submodule when there is one, else as the package)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = resolve(current, is_package, node)
            names = [
                f"{target}.{alias.name}" if f"{target}.{alias.name}" in modules else target
                for alias in node.names
            ]
        else:
            continue
        for name in names:
            # "import a.b.c" imports a, a.b and a.b.c; the deepest one of the package counts.
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name.startswith(PACKAGE) and name != current:
                found.add(name)
    return found


def import_graph() -> dict[str, set[str]]:
    """Each module and the modules whose import it runs: the ones it names and, since
    importing ``a.b.c`` runs ``a/__init__.py`` and ``a/b/__init__.py`` first, their packages."""
    modules = package_modules()
    graph = {}
    for name, path in modules.items():
        targets = imported(name, path, modules)
        for target in list(targets):
            parts = target.split(".")
            targets.update(".".join(parts[:end]) for end in range(2, len(parts)))
        graph[name] = targets
    return graph


def without_parents(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Leaves out the edges from a module to the packages above it: importing
    ``services.bookings.rules`` runs ``services/__init__.py`` and ``services/bookings/__init__``
    first, but a package's ``__init__`` re-exporting its submodules is not a circle of the code."""
    return {
        name: {target for target in targets if not name.startswith(target + ".")}
        for name, targets in graph.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
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
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_the_graph_is_read_from_the_package():
    graph = import_graph()
    # The test would pass on an empty graph: check it saw the package and its imports.
    assert f"{PACKAGE}.models.families" in graph
    assert f"{PACKAGE}.services.bookings" in graph
    assert f"{PACKAGE}.models.requests" in graph[f"{PACKAGE}.services.dossier"]


def test_a_function_level_import_counts(tmp_path):
    path = tmp_path / "example.py"
    path.write_text("def f():\n    from ..models import families\n    from . import base\n")
    modules = {
        f"{PACKAGE}.views.example": path,
        f"{PACKAGE}.views.base": path,
        f"{PACKAGE}.models": path,
        f"{PACKAGE}.models.families": path,
    }
    assert imported(f"{PACKAGE}.views.example", path, modules) == {
        f"{PACKAGE}.models.families",
        f"{PACKAGE}.views.base",
    }


def test_the_cycle_finder_finds_a_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_there_is_no_import_circle():
    found = cycles(without_parents(import_graph()))
    assert found == [], "import circles:\n" + "\n".join(" <-> ".join(c) for c in found)


@pytest.mark.parametrize("lower", DOMAIN)
def test_the_domain_does_not_import_its_presentation(lower):
    graph = import_graph()
    upward = sorted(
        f"{module} imports {target}"
        for module, targets in graph.items()
        if layer(module) == lower
        for target in targets
        if layer(target) in PRESENTATION
    )
    assert upward == [], "\n".join(upward)
