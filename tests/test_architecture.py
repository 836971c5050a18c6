"""The shape of the code: one op is one table entry, modules hold one concern, layers
import one way.  These read the source (the AST), so they fail on a regression."""

import ast
import sys
from pathlib import Path

import pytest

from symgrad.ops import OPS

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "symgrad"
SOURCES = sorted(p for p in PACKAGE.rglob("*.py"))

#: The core: it imports neither SymPy nor Graphviz (nor anything outside the stdlib).
CORE = {"ops", "scopes", "var", "graph", "backprop", "pathsum", "fold", "forward",
        "finite", "diagnose", "analysis", "compile", "compiled", "codegen", "_check",
        "_source", "parse", "errors"}


#: Optional extras the core may import inside a function (never at the top).
OPTIONAL = {"numpy"}


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def docstring_nodes(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                found.add(id(body[0].value))
    return found


def op_name_spellings(path: Path) -> list[str]:
    """Where a module spells an op's name: string constants, function and class names,
    attributes and keywords (docstrings and the op table itself excluded)."""
    names = set(OPS)
    tree = ast.parse(path.read_text())
    skip = docstring_nodes(tree)
    hits = []
    for node in ast.walk(tree):
        spelled = None
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            spelled = node.value
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            spelled = node.name
        elif isinstance(node, ast.Attribute):
            spelled = node.attr
        elif isinstance(node, ast.keyword):
            spelled = node.arg
        if spelled in names:
            hits.append(f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')} {spelled}")
    return hits


def test_op_names_are_spelled_in_the_table_and_hardly_anywhere_else():
    hits = [h for p in SOURCES if p.name != "ops.py" for h in op_name_spellings(p)]
    print("\n".join(hits))
    assert len(hits) <= 15, "\n".join(hits)


def imports_of(path: Path) -> set[str]:
    """Every symgrad module ``path`` imports, at the top or deferred inside functions."""
    tree = ast.parse(path.read_text())
    here = module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("symgrad")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if not target.startswith("symgrad"):
                continue
            found.add(target)
            for a in node.names:  # "from . import diagnose" imports a module
                if (PACKAGE.parent / Path(*f"{target}.{a.name}".split("."))).with_suffix(
                        ".py").exists():
                    found.add(f"{target}.{a.name}")
    return found - {module_name(path)}


def import_graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in SOURCES}
    graph = {}
    for name, path in modules.items():
        # importing a.b also runs a/__init__; edges to packages count as such
        graph[name] = {m for m in imports_of(path) if m in modules}
    return graph


def test_the_import_graph_has_no_cycle_even_with_deferred_imports():
    graph = import_graph()
    # A package's __init__ re-exporting its own submodules is not a layering cycle.
    for name, deps in graph.items():
        graph[name] = {d for d in deps if not d.startswith(name + ".")}
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(start: str) -> None:
        stack = [(start, iter(sorted(graph[start])))]
        state[start] = 1
        path = [start]
        while stack:
            node, it = stack[-1]
            for nxt in it:
                if state.get(nxt) == 1:
                    cycle.extend([*path[path.index(nxt):], nxt])
                    return
                if nxt not in state:
                    state[nxt] = 1
                    path.append(nxt)
                    stack.append((nxt, iter(sorted(graph[nxt]))))
                    break
            else:
                stack.pop()
                path.pop()
                state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)
        assert not cycle, " -> ".join(cycle)


def test_the_core_imports_no_face_and_no_heavy_package():
    """At the top, the core imports only the standard library; inside a function it may
    import an optional extra (NumPy, for Compiled.batch), never SymPy or Graphviz."""
    for path in SOURCES:
        name = module_name(path)
        if name.split(".")[-1] not in CORE or name.count(".") != 1:
            continue
        tree = ast.parse(path.read_text())
        top = {id(n) for n in tree.body}
        for node in ast.walk(tree):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            for mod in mods:
                root = mod.split(".")[0]
                allowed = {"symgrad"} | (set() if id(node) in top else OPTIONAL)
                assert root in sys.stdlib_module_names or root in allowed, (name, mod)
        deps = {d.split(".")[1] for d in imports_of(path) if d.count(".") >= 1}
        assert deps <= CORE, (name, deps - CORE)


def test_no_module_imports_another_modules_private_names():
    for path in SOURCES:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith(
                    "symgrad")):
                private = [a.name for a in node.names
                           if a.name.startswith("_") and not a.name.endswith("__")]
                assert not private, f"{path.relative_to(ROOT)}:{node.lineno} imports {private}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_is_over_400_lines(path):
    assert len(path.read_text().splitlines()) <= 400


def test_drawing_a_figure_walks_the_graph_once(monkeypatch):
    """draw() with a highlighted input, and the explorer, make one topological walk: the
    order, consumers, gradient, path counts and paths all come from one Analysis."""
    import symgrad
    import symgrad.analysis
    import symgrad.var

    walks = []
    real = symgrad.var.postorder

    def counting(out):
        walks.append(out)
        return real(out)

    for module in (symgrad.var, symgrad.analysis, symgrad.graph, symgrad.backprop):
        if hasattr(module, "postorder"):
            monkeypatch.setattr(module, "postorder", counting)
    x, y = symgrad.Var(2.0, name="x"), symgrad.Var(1.0, name="y")
    out = (x**2 + 3) ** 2 + x * y
    out.backward()                                  # one walk of its own
    walks.clear()
    source = symgrad.draw(out, highlight=x).source  # figure + legend + paths + grads
    assert "sum = " in source and len(walks) == 1
    walks.clear()
    page = symgrad.explore(out, wrt="x")            # figure + every pass + paths
    assert page.data["reverse"]["steps"] and len(walks) == 1
