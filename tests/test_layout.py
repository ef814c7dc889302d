"""The package's layout as data: short one-job modules, no import cycles, a flat public API that imports."""

from __future__ import annotations

import ast
import functools
import re
import subprocess
import sys
from pathlib import Path

import pytest

import kg

PACKAGE = Path(kg.__file__).parent
MODULES = {
    ".".join(("kg", *path.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(".__init__"): path
    for path in sorted(PACKAGE.rglob("*.py"))
}
MAX_LINES = 300


def _is_type_checking(test: ast.expr) -> bool:
    """`if TYPE_CHECKING:` or `if typing.TYPE_CHECKING:`: imports for the type checker, never run."""
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported(tree: ast.AST, module: str) -> set[str]:
    """The kg modules `module` imports, at the top or inside functions, leaving out type-checking-only imports."""
    found: set[str] = set()
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for statement in node.orelse:
                visit(statement)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # a relative import, resolved against the importing module's package
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # `from kg import reason`
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return {name for name in found if name in MODULES and name != module}


@functools.cache
def import_graph() -> dict[str, set[str]]:
    return {module: _imported(ast.parse(path.read_text(encoding="utf-8")), module) for module, path in MODULES.items()}


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The groups of modules that import one another, directly or through others (strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[frozenset[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(frozenset(group))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_module_says_its_one_job_in_one_line(module: str) -> None:
    docstring = ast.get_docstring(ast.parse(MODULES[module].read_text(encoding="utf-8")))
    assert docstring, f"{MODULES[module]}: no module docstring"
    assert "\n" not in docstring.strip(), f"{MODULES[module]}: the module docstring is more than one line"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_module_is_short(module: str) -> None:
    lines = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{MODULES[module]}: {lines} lines; split it by job (at most {MAX_LINES})"


def test_no_import_cycles() -> None:
    """The modules follow the data's path (load, reason, validate, query, export/serve): none imports another that
    imports it back, directly or around a loop, not even inside a function."""
    found = [sorted(group) for group in cycles(import_graph())]
    assert found == [], f"modules that import one another: {found}"


def test_the_cycle_finder_sees_imports_inside_functions_but_not_type_checking_ones() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from kg.graph import KnowledgeGraph\n"
        "def f():\n    from kg import reason\n    import kg.terms\n"
    )
    assert _imported(tree, "kg.cli") == {"kg", "kg.reason", "kg.terms"}
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [frozenset({"a", "b", "c"})]


def test_the_public_api_is_one_flat_sorted_list() -> None:
    tree = ast.parse(MODULES["kg"].read_text(encoding="utf-8"))
    assigned = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
    ]
    assert len(assigned) == 1, "__all__ is assigned once"
    assert isinstance(assigned[0], ast.List), "__all__ is one list literal"
    assert all(isinstance(item, ast.Constant) and isinstance(item.value, str) for item in assigned[0].elts)
    # The order ruff keeps (RUF022): CONSTANTS, then Classes, then functions, each alphabetical.
    kinds = [(0 if re.fullmatch(r"[A-Z0-9_]+", name) else 1 if name[0].isupper() else 2, name) for name in kg.__all__]
    assert kinds == sorted(kinds)
    assert len(set(kg.__all__)) == len(kg.__all__)


@pytest.mark.parametrize("name", kg.__all__)
def test_every_public_name_imports(name: str) -> None:
    value = getattr(kg, name)
    assert value is not None
    namespace: dict[str, object] = {}
    exec(f"from kg import {name}", namespace)
    assert namespace[name] is value


def test_the_type_checker_sees_what_the_package_gives() -> None:
    """kg/__init__.py imports each public name for the type checker from the module it lends it from at run time."""
    tree = ast.parse(MODULES["kg"].read_text(encoding="utf-8"))
    seen = {
        alias.asname or alias.name: node.module
        for block in tree.body
        if isinstance(block, ast.If) and _is_type_checking(block.test)
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    lent = dict(kg._LAZY)
    assert seen == lent
    assert set(kg.__all__) == {*lent, "__version__"}


def test_the_package_imports_none_of_its_modules() -> None:
    """`import kg` is instant: the command line and every public name load their modules on first use."""
    code = "import sys, kg; print(sorted(m for m in sys.modules if m.startswith('kg.')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
