"""The words of failure messages: paths, edges and diagnoses written out for a reader.

Numbers and findings come from the core (:mod:`symgrad.backprop`,
:mod:`symgrad.diagnose`); this module only writes them, the way the figures label
them (``x → (u²): ∂/∂u = 2u = 4``).

>>> from symgrad import Var
>>> x = Var(2.0, name="x")
>>> for line in paths_section((x**2 + 3)**2 + x, x, None):
...     print(line)
paths from x to the output at x=2 (local derivatives multiply along a path; the paths add up):
  path 1: x → (u²) → (u + 3) → (u²) → (+)
          factors 4 · 1 · 14 · 1 = 56
  path 2: x → (+)
          factors 1 = 1
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from . import diagnose
from .graph import leaves, local_partial
from .ops import CONST
from .pathsum import count_paths, paths
from .var import Var

__all__ = ["diagnosis", "edge_text", "elide", "fmt", "fmt_point", "node_text", "path_text",
           "paths_section", "printable", "suspect_lines"]

# Paths are listed up to this many; beyond, only counted.
SHOW_PATHS = diagnose.MAX_PATHS
# A path longer than this many edges is shown with its middle elided.
SHOW_EDGES = 16
# Suspect edges are listed up to this many.
SHOW_SUSPECTS = 10


def fmt_point(point: Mapping[str, float]) -> str:
    return ", ".join(f"{k}={v:.6g}" for k, v in point.items())


def fmt(value: float) -> str:
    from .render.labels import fmt_number

    return fmt_number(value).replace("−", "-")


def operands(out: Var) -> tuple[str, str]:
    """The operand names for messages about ``out``'s graph: as its figure names them,
    never the name of one of its inputs (see :func:`symgrad.render.labels.operand_names`)."""
    from .render.labels import operand_names

    return operand_names(v.name for v in leaves(out))


def node_text(v: Var, names: tuple[str, ...] = ("u", "v")) -> str:
    if v.op is None:
        return str(v.name)
    if v.op is CONST:
        return fmt(v.value)
    from .render.labels import op_caption

    consts = tuple(a.value if a.op is CONST else None for a in v.inputs)
    return f"({op_caption(v.op, consts, names=names)})"


def edge_text(node: Var, i: int, names: tuple[str, ...] = ("u", "v")) -> str:
    """``x → (u²): ∂/∂u = 2u = 4``, as the figures label an edge."""
    from .render.labels import partial_formula

    consts = tuple(a.value if a.op is CONST else None for a in node.inputs)
    formula = partial_formula(node.op, i, consts, names)  # type: ignore[arg-type]
    number = fmt(local_partial(node, i))
    shown = number if formula == number else f"{formula} = {number}"
    return (f"{node_text(node.inputs[i], names)} → {node_text(node, names)}: "
            f"∂/∂{names[i]} = {shown}")


def elide(items: list[str], keep: int = SHOW_EDGES) -> list[str]:
    """``items``, with the middle replaced by a count when there are more than ``keep``."""
    if len(items) <= keep:
        return items
    half = keep // 2
    return [*items[:half], f"… {len(items) - 2 * half} more …", *items[-half:]]


def path_text(path: Any, names: tuple[str, ...] = ("u", "v")) -> str:
    """``x → (u²) → (u + 3)``; an edge into an op that uses its input twice says which."""
    steps = [node_text(path.nodes[-1], names)]
    for j in range(len(path.positions) - 1, -1, -1):
        node, i = path.nodes[j], path.positions[j]
        twice = node.inputs.count(node.inputs[i]) > 1
        steps.append(node_text(node, names) + (f" as {names[i]}" if twice else ""))
    return " → ".join(elide(steps))


def paths_section(out: Var, target: Var, terms: Sequence[Any] | None) -> list[str]:
    """Every path from ``out`` to ``target`` with its factors, product and symbolic term."""
    total = count_paths(out, target)
    name = target.name
    if total == 0:
        return [f"there is no path from the output to {name}: the derivative is 0"]
    if total > SHOW_PATHS:
        return [f"there are {total} paths from the output to {name} (too many to list)"]
    lines = [f"paths from {name} to the output at {fmt_point(current_values(out))} "
             "(local derivatives multiply along a path; the paths add up):"]
    for k, p in enumerate(paths(out, target), start=1):
        factors = " · ".join(elide([fmt(f) for f in reversed(p.factors)])) or "1"
        term = f";  term {terms[k - 1]}" if terms is not None else ""
        lines.append(f"  path {k}: {path_text(p, operands(out))}")
        lines.append(f"          factors {factors} = {fmt(p.product)}{term}")
    return lines


def current_values(out: Var) -> dict[str, float]:
    return {str(v.name): v.value for v in leaves(out)}


def diagnosis(out: Var, target: Var, found: list[diagnose.Sample]) -> list[str]:
    """The findings of :func:`symgrad.diagnose.explain`, in words."""
    lines = []
    for f in diagnose.explain(out, target, found):
        if f.kind == "left out":
            which = " or ".join(("paths " if len(left) > 1 else "path ")
                                + ", ".join(map(str, left)) for left in f.paths)
            lines.append(f"the expected derivative leaves out {which}: the other paths add "
                         "up to the expected value, but a variable used in several places "
                         "contributes one term per path, and every path counts")
        elif f.kind == "missing factor":
            node, i = f.edge  # type: ignore[misc]
            lines.append(f"the expected derivative is missing the local factor of one edge "
                         f"on path {f.path}: {edge_text(node, i, operands(out))}")
        elif len(found[0].products) == 1:
            lines.append(f"the expected derivative is {f.ratio:.6g} times the true one along "
                         "the only path: a constant factor is off")
        else:
            lines.append(f"path {f.path}'s term would have to be {f.ratio:.6g} times what its "
                         "local factors give: a constant factor is off on it")
    return lines


def suspect_lines(out: Var, target: Var | None = None) -> list[str]:
    """Edges whose local derivative disagrees with its op's slope, in words."""
    names = operands(out)
    lines = [f"  {edge_text(s.node, s.position, names)}, but a finite difference of "
             f"{s.node.op.name} there gives {fmt(s.slope)}"  # type: ignore[union-attr]
             for s in diagnose.suspect_edges(out, target)]
    if not lines:
        return []
    more = len(lines) - SHOW_SUSPECTS
    shown = lines[:SHOW_SUSPECTS] + ([f"  … and {more} more"] if more > 0 else [])
    return ["local derivatives that disagree with their operation's own slope (a wrong "
            "partial rule in the op table, or a kink):", *shown]


def printable(text: str) -> str:
    """``text`` with every control or unprintable character escaped, so that a name or
    path echoed to the terminal cannot move the cursor, change colours or hide text.

    >>> print(printable("x\x1b[2Jy"), printable("plain, ünïcode"))
    x\\x1b[2Jy plain, ünïcode
    """
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
