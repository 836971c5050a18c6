"""The maths that explains a wrong derivative: which path, edge or factor is to blame.

When a claimed derivative disagrees with the graph, the chain rule says where to look.
The derivative is a sum over paths of products of local factors, so at several points
this module compares the claim with that sum:

* :func:`explain`: a claim that equals the sum of *some* paths forgot the others; one
  that equals the sum with one local factor left out forgot that edge; one that is a
  constant multiple of a path's term has a constant off on it;
* :func:`suspect_edges`: an edge whose local derivative (from the op table's rule)
  disagrees with a finite difference of the op's own value (a wrong rule, or a kink);
* :func:`at_kinks`: op nodes whose input sits exactly on a kink of the op, where the
  derivative is undefined and methods legitimately disagree.

Everything here is numbers and Vars; the faces (:mod:`symgrad.testing`) write the text.

>>> from symgrad import Var
>>> x = Var(2.0, name="x")
>>> z = x * x
>>> found = explain(z, x, samples(z, x, lambda p: p["x"], {"x": 2.0}, 4, True))
>>> found[0].kind, found[0].paths                # d(x·x)/dx = x + x, not x
('left out', ((1,), (2,)))
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from .backprop import grad
from .errors import DomainError, SymgradError
from .finite import difference
from .graph import evaluate, leaves, local_partial, nodes
from .ops import CONST
from .pathsum import paths
from .var import Var

__all__ = ["Finding", "Sample", "Suspect", "at_kinks", "close", "explain", "op_slope",
           "points", "samples", "suspect_edges"]

#: ``explain`` tries subsets of paths only when there are at most this many.
SUBSET_PATHS = 10
#: Paths are sampled (and explained) only when there are at most this many.
MAX_PATHS = 12
_SEED = 20240601


@dataclass
class Sample:
    """The chain rule's numbers at one point: the derivative, path products and factors."""

    point: dict[str, float]
    derivative: float
    products: list[float]
    factors: list[tuple[float, ...]]
    expected: float


@dataclass(frozen=True)
class Finding:
    """One explanation: ``kind`` is ``"left out"`` (``paths``: the alternatives, each a
    tuple of 1-based path numbers), ``"missing factor"`` (``path``, ``edge``: the
    node and argument position) or ``"scaled"`` (``path``, ``ratio``)."""

    kind: str
    paths: tuple[tuple[int, ...], ...] = ()
    path: int = 0
    edge: tuple[Var, int] | None = None
    ratio: float = 1.0


@dataclass(frozen=True)
class Suspect:
    """An edge whose rule gives ``rule`` but whose op's own slope is ``slope``."""

    node: Var
    position: int
    rule: float
    slope: float


def close(a: float, b: float, rtol: float = 1e-7, atol: float = 1e-10) -> bool:
    """``|a − b| <= atol + rtol·max(|a|, |b|)``."""
    return abs(a - b) <= atol + rtol * max(abs(a), abs(b))


def points(values: Mapping[str, float], count: int) -> Iterator[dict[str, float]]:
    """``values`` itself, then ``count − 1`` seeded random points near it."""
    yield dict(values)
    rng = random.Random(_SEED)
    for _ in range(count - 1):
        yield {k: v * (1 + rng.uniform(-0.2, 0.2)) + rng.uniform(-0.05, 0.05)
               for k, v in values.items()}


def samples(out: Var, target: Var, expected_at: Callable[[dict[str, float]], float],
            values: Mapping[str, float], count: int, with_paths: bool) -> list[Sample]:
    """Evaluate the graph, its paths and the claim ``expected_at(point)`` at ``count``
    points (the first is ``values``); inputs and values are restored afterwards.

    Points where anything is undefined are skipped.
    """
    inputs = leaves(out)
    saved = [v.value for v in inputs]
    order = nodes(out)
    found = []
    try:
        for point in points(values, count):
            try:
                for v in inputs:
                    if v.name in point:
                        v.value = point[v.name]
                evaluate(out, order)
                listed = paths(out, target, limit=MAX_PATHS) if with_paths else []
                found.append(Sample(point, grad(out, target), [p.product for p in listed],
                                    [p.factors for p in listed], expected_at(point)))
            except DomainError:
                continue
    finally:
        for v, s in zip(inputs, saved, strict=True):
            v.value = s
        evaluate(out, order)
    return found


def explain(out: Var, target: Var, found: list[Sample]) -> list[Finding]:
    """Which path, or which local factor on a path, would explain the claim."""
    if len(found) < 2 or not found[0].products:
        return []
    n = len(found[0].products)
    if any(len(s.products) != n for s in found):
        return []
    listed = paths(out, target, limit=MAX_PATHS)

    def holds(guess: Callable[[Sample], float]) -> bool:
        try:
            return all(close(guess(s), s.expected) for s in found)
        except ZeroDivisionError:
            return False

    if 1 < n <= SUBSET_PATHS:
        for size in range(n - 1, 0, -1):
            left_out = []
            for keep in itertools.combinations(range(n), size):
                def partial_sum(s: Sample, keep: tuple[int, ...] = keep) -> float:
                    return sum(s.products[k] for k in keep)

                if holds(partial_sum):
                    left_out.append(tuple(k + 1 for k in range(n) if k not in keep))
            if left_out:
                return [Finding("left out", paths=tuple(sorted(left_out)))]
    findings: list[Finding] = []
    for k in range(n):
        for j, node in enumerate(listed[k].nodes[:-1]):
            def without(s: Sample, k: int = k, j: int = j) -> float:
                return s.derivative - s.products[k] + s.products[k] / s.factors[k][j]

            if found[0].factors[k][j] != 1.0 and holds(without):
                findings.append(Finding("missing factor", path=k + 1,
                                        edge=(node, listed[k].positions[j])))
        if findings:
            continue
        ratios = []
        for s in found:
            if s.products[k] == 0:
                break
            ratios.append((s.expected - (s.derivative - s.products[k])) / s.products[k])
        if len(ratios) == len(found) and all(close(r, ratios[0]) for r in ratios) \
                and not close(ratios[0], 1.0):
            findings.append(Finding("scaled", path=k + 1, ratio=ratios[0]))
    return findings


def op_slope(node: Var, i: int) -> float:
    """d node / d input ``i`` by Richardson differences of the op's own value."""
    op = node.op
    args = [a.value for a in node.inputs]

    def f(v: float) -> float:
        moved = list(args)
        moved[i] = v
        return float(op.numeric(*moved))  # type: ignore[union-attr]

    return difference(f, args[i], "richardson", None)


def suspect_edges(out: Var, target: Var | None = None, rtol: float = 1e-5,
                  atol: float = 1e-8) -> list[Suspect]:
    """Edges (on paths to ``target``, or all) whose rule disagrees with the op's slope."""
    order = nodes(out)
    relevant: dict[Var, bool] = {}
    for v in order:
        relevant[v] = target is None or v is target or any(relevant[c] for c in v.inputs)
    found = []
    seen: dict[tuple[int, int], None] = {}
    for node in order:
        if node.op is None or node.op is CONST or not relevant[node]:
            continue
        for i, a in enumerate(node.inputs):
            if a.op is CONST or not relevant[a] or (id(node), i) in seen:
                continue
            seen[id(node), i] = None
            try:
                rule, slope = local_partial(node, i), op_slope(node, i)
            except (SymgradError, ArithmeticError, ValueError):
                continue
            if not close(rule, slope, rtol, atol):
                found.append(Suspect(node, i, rule, slope))
    return found


def at_kinks(out: Var) -> list[Var]:
    """Op nodes whose input sits exactly on one of the op's kinks (relu at 0).

    >>> from symgrad import Var
    >>> x = Var(0.0, name="x")
    >>> [v.op.name for v in at_kinks(x.relu() + x.sigmoid())]
    ['relu']
    """
    return [v for v in nodes(out)
            if v.op is not None and v.op.kinks and len(v.inputs) == 1
            and v.inputs[0].value in v.op.kinks]
