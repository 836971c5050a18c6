"""Derivatives in test suites: three assertions and the ``symgrad`` pytest plugin.

The assertions raise an ``AssertionError`` subclass
(:class:`~symgrad.errors.VerificationError` or
:class:`~symgrad.errors.GradientMismatchError`), so a test runner reports a failed
test, with a message that shows the numbers; bad arguments raise
:class:`~symgrad.errors.InputError` instead.  Under pytest the helpers' own frames are
hidden (``__tracebackhide__``), so a failure points at the line of your test.

:func:`assert_derivative`
    ``d expr / d wrt`` equals ``expected``: symbolically, or, when SymPy cannot decide,
    at seeded random points.  On failure it lists every path from the output to
    ``wrt`` with its local derivatives and says which path or which local factor
    would explain the difference.
:func:`assert_gradients_match`
    Backprop, symbolic backprop, ``sympy.diff`` and finite differences agree for every
    input of a graph (:func:`symgrad.verify`; :func:`symgrad.gradcheck` without
    SymPy).  On failure: the per-input table, and any edge whose local derivative
    disagrees with a finite difference of its own operation.
:func:`assert_close_to_finite_differences`
    For a plain Python function of floats: its gradient (from backprop through it, or
    from a ``grad`` function you give) matches finite differences.

>>> from symgrad import Var
>>> x, y = Var(2.0, name="x"), Var(1.0, name="y")
>>> z = (x**2 + 3)**2 + y
>>> assert_derivative(z, x, "4*x*(x**2 + 3)")
4*x*(x**2 + 3)
>>> assert_gradients_match(z).ok
True
>>> assert_derivative("x * x", "x", "x")
Traceback (most recent call last):
...
symgrad.errors.VerificationError: d/dx of x**2 is 2*x, not the expected x
...
diagnosis: the expected derivative leaves out path 1 or path 2: ...

The pytest plugin is registered through the ``pytest11`` entry point, so it is active
in every test run once symgrad is installed.  It adds:

* the fixture ``symgrad_check``, a :class:`SymgradCheck` whose ``derivative``,
  ``gradients`` and ``finite_differences`` methods are the three assertions with the
  run's tolerances;
* the marker ``@pytest.mark.symgrad(rtol=..., atol=..., method=...)``, which sets those
  tolerances for one test (or a class or module, with ``pytestmark``);
* the command-line options ``--symgrad-rtol``, ``--symgrad-atol`` and
  ``--symgrad-method``, which set them for the whole run (a marker wins).
"""

from __future__ import annotations

import itertools
import math
import numbers
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .backprop import count_paths, grad, local_partial, paths
from .errors import (
    DomainError,
    GradientMismatchError,
    InputError,
    SymgradError,
    UnsupportedError,
    VerificationError,
)
from .finite import METHODS, GradcheckReport, GradcheckRow, difference, gradcheck
from .graph import check_var, evaluate, leaf_named, leaves, nodes
from .ops import CONST, FLOAT
from .var import Var

__all__ = [
    "DEFAULT_ATOL",
    "DEFAULT_METHOD",
    "DEFAULT_RTOL",
    "SymgradCheck",
    "assert_close_to_finite_differences",
    "assert_derivative",
    "assert_gradients_match",
]

#: Default tolerances for comparisons against finite differences:
#: a number passes when ``|value − numeric| <= atol + rtol·|numeric|``.
DEFAULT_RTOL = 1e-6
DEFAULT_ATOL = 1e-8
#: The default finite-difference formula (see :mod:`symgrad.finite`).
DEFAULT_METHOD = "richardson"

# Paths are listed in failure messages up to this many; beyond, only counted.
_SHOW_PATHS = 12
# A path longer than this many edges is shown with its middle elided.
_SHOW_EDGES = 16
# Suspect edges are listed up to this many.
_SHOW_SUSPECTS = 10
# The diagnosis tries subsets of paths only when there are at most this many.
_SUBSET_PATHS = 10
_SEED = 20240601


# -- inputs ---------------------------------------------------------------------------------

def _real(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(f"{what} must be a real number, got {type(value).__name__}: "
                         f"{value!r}")
    f = float(value)
    if not math.isfinite(f):
        raise InputError(f"{what} must be finite, got {f!r}")
    return f


def _tolerances(rtol: object, atol: object) -> tuple[float, float]:
    r, a = _real(rtol, "rtol"), _real(atol, "atol")
    if r < 0 or a < 0 or (r == 0 and a == 0):
        raise InputError(f"rtol and atol must be non-negative and not both 0, got "
                         f"rtol={rtol!r}, atol={atol!r}")
    return r, a


def _check_at(at: object) -> dict[str, float]:
    if at is None:
        return {}
    if not isinstance(at, Mapping):
        raise InputError(f"at must be a mapping of variable names to numbers, such as "
                         f"{{'x': 2.0}}, got {type(at).__name__}: {at!r}")
    return {str(k): _real(v, f"at[{k!r}]") for k, v in at.items()}


def _candidates(names: Sequence[str], fixed: Mapping[str, float]) -> Iterator[dict[str, float]]:
    """Points to build an expression at: ``fixed`` values, the rest seeded at random."""
    missing = [n for n in names if n not in fixed]
    rng = random.Random(_SEED)
    for _ in range(1 if not missing else 25):
        point = dict(fixed)
        point.update({n: round(rng.uniform(0.3, 1.7), 3) for n in missing})
        yield point


def _build_somewhere(what: str, names: Sequence[str], fixed: Mapping[str, float],
                     build: Callable[[dict[str, float]], Var]) -> Var:
    """``build(point)`` at the first candidate point where the expression is defined."""
    last: DomainError | None = None
    tried = 0
    for point in _candidates(names, fixed):
        tried += 1
        try:
            return build(point)
        except DomainError as exc:
            last = exc
    if tried == 1 and last is not None:
        raise last
    raise InputError(f"could not find a point where {what} is defined ({last}); "
                     "pass at={...} with values where it is")


def _sympy_names(expr: Any) -> list[str]:
    return sorted(str(s) for s in expr.free_symbols)


def _as_graph(expr: object, at: object) -> Var:
    """A Var graph from a Var, a text expression or a SymPy expression."""
    fixed = _check_at(at)
    if isinstance(expr, Var):
        if fixed:
            raise InputError("at= is for text and SymPy expressions; a Var graph already "
                             "holds its values (set them on its input Vars instead)")
        return expr
    if isinstance(expr, str):
        from .parse import parse, parse_names

        names = parse_names(expr)
        return _build_somewhere(repr(expr), names, fixed, lambda p: parse(expr, **p))
    import sympy

    if isinstance(expr, sympy.Basic):
        from .symbolic import from_sympy

        names = _sympy_names(expr)
        return _build_somewhere(str(expr), names, fixed,
                                lambda p: from_sympy(expr, **p))  # type: ignore[arg-type]
    raise InputError(f"expr must be a symgrad.Var, a text expression such as "
                     f"'(x**2 + 3)**2 + y', or a SymPy expression; got "
                     f"{type(expr).__name__}: {expr!r}")


def _as_sympy(expected: object) -> Any:
    """``expected`` as a SymPy expression; text goes through the safe parser."""
    import sympy

    if isinstance(expected, sympy.Basic):
        if not isinstance(expected, sympy.Expr):
            raise InputError(f"expected must be a SymPy expression, got "
                             f"{type(expected).__name__}: {expected!r}")
        return expected
    if isinstance(expected, bool):
        raise InputError(f"expected must be an expression or a number, got {expected!r}")
    if isinstance(expected, numbers.Integral):
        return sympy.Integer(int(expected))
    if isinstance(expected, numbers.Real):
        return sympy.Float(_real(expected, "expected"))
    if isinstance(expected, str):
        from .parse import parse, parse_names
        from .symbolic import to_sympy

        names = parse_names(expected)
        graph = _build_somewhere(f"the expected derivative {expected!r}", names, {},
                                 lambda p: parse(expected, **p))
        return to_sympy(graph)
    raise InputError(f"expected must be a SymPy expression, a text expression such as "
                     f"'4*x*(x**2 + 3)', or a number; got {type(expected).__name__}: "
                     f"{expected!r}")


def _leaf(out: Var, wrt: object) -> Var:
    """The input Var ``wrt`` names (or is) in the graph under ``out``."""
    if isinstance(wrt, str):
        return leaf_named(wrt, nodes(out))
    if not isinstance(wrt, Var):
        raise InputError(f"wrt must be an input Var or its name, got "
                         f"{type(wrt).__name__}: {wrt!r}")
    if wrt.op is not None:
        raise InputError(f"wrt must be an input Var (a leaf) of the graph, got {wrt!r}")
    return wrt


# -- looking at a graph at several points -----------------------------------------------------

@dataclass
class _Sample:
    """The chain rule's numbers at one point: the derivative, path products and factors."""

    point: dict[str, float]
    derivative: float
    products: list[float]
    factors: list[tuple[float, ...]]
    expected: float


def _points(values: Mapping[str, float], count: int) -> Iterator[dict[str, float]]:
    yield dict(values)
    rng = random.Random(_SEED)
    for _ in range(count - 1):
        yield {k: v * (1 + rng.uniform(-0.2, 0.2)) + rng.uniform(-0.05, 0.05)
               for k, v in values.items()}


def _value_of(expr: Any, point: Mapping[str, float]) -> float:
    """A SymPy expression's value at ``point``, through a graph (never ``subs`` on text)."""
    from .symbolic import from_sympy

    names = _sympy_names(expr)
    try:
        return from_sympy(expr, **{n: point[n] for n in names}).value
    except UnsupportedError:  # a function the op table lacks: let SymPy evaluate it
        pass
    import sympy

    subs = {sympy.Symbol(n): sympy.Float(point[n], 30) for n in names}
    z = complex(expr.evalf(30, subs=subs))
    if abs(z.imag) > 1e-12 * max(1.0, abs(z.real)) or not math.isfinite(z.real):
        raise DomainError(f"{expr} has no real value at {_fmt_point(point)}")
    return z.real


def _samples(out: Var, target: Var, expected: Any, values: Mapping[str, float],
             count: int, with_paths: bool) -> list[_Sample]:
    """Evaluate the graph, its paths and ``expected`` at ``count`` points; restore values.

    The first point is ``values`` itself; points where anything is undefined are skipped.
    """
    inputs = leaves(out)
    saved = [v.value for v in inputs]
    order = nodes(out)
    found = []
    try:
        for point in _points(values, count):
            try:
                for v in inputs:
                    if v.name in point:
                        v.value = point[v.name]
                evaluate(out, order)
                listed = paths(out, target, limit=_SHOW_PATHS) if with_paths else []
                found.append(_Sample(point, grad(out, target), [p.product for p in listed],
                                     [p.factors for p in listed], _value_of(expected, point)))
            except DomainError:
                continue
    finally:
        for v, s in zip(inputs, saved, strict=True):
            v.value = s
        evaluate(out, order)
    return found


def _close(a: float, b: float, rtol: float = 1e-7, atol: float = 1e-10) -> bool:
    return abs(a - b) <= atol + rtol * max(abs(a), abs(b))


def _fmt_point(point: Mapping[str, float]) -> str:
    return ", ".join(f"{k}={v:.6g}" for k, v in point.items())


def _fmt(value: float) -> str:
    from .render.labels import fmt_number

    return fmt_number(value).replace("−", "-")


def _node_text(v: Var) -> str:
    if v.op is None:
        return str(v.name)
    if v.op is CONST:
        return _fmt(v.value)
    from .render.labels import op_caption

    consts = tuple(a.value if a.op is CONST else None for a in v.inputs)
    return f"({op_caption(v.op, consts)})"


def _edge_text(node: Var, i: int) -> str:
    """``x → (a²): ∂/∂a = 2a = 4``, as the figures label an edge."""
    from .render.labels import ARG_NAMES, partial_formula

    consts = tuple(a.value if a.op is CONST else None for a in node.inputs)
    formula = partial_formula(node.op, i, consts)  # type: ignore[arg-type]
    number = _fmt(local_partial(node, i))
    shown = number if formula == number else f"{formula} = {number}"
    return f"{_node_text(node.inputs[i])} → {_node_text(node)}: ∂/∂{ARG_NAMES[i]} = {shown}"


def _elide(items: list[str], keep: int = _SHOW_EDGES) -> list[str]:
    """``items``, with the middle replaced by a count when there are more than ``keep``."""
    if len(items) <= keep:
        return items
    half = keep // 2
    return [*items[:half], f"… {len(items) - 2 * half} more …", *items[-half:]]


def _path_text(path: Any) -> str:
    """``x → (a²) → (a + 3)``; an edge into an op that uses its input twice says which."""
    from .render.labels import ARG_NAMES

    steps = [_node_text(path.nodes[-1])]
    for j in range(len(path.positions) - 1, -1, -1):
        node, i = path.nodes[j], path.positions[j]
        twice = node.inputs.count(node.inputs[i]) > 1
        steps.append(_node_text(node) + (f" as {ARG_NAMES[i]}" if twice else ""))
    return " → ".join(_elide(steps))


def _paths_section(out: Var, target: Var, terms: Sequence[Any] | None) -> list[str]:
    """Every path from ``out`` to ``target`` with its factors, product and symbolic term."""
    total = count_paths(out, target)
    name = target.name
    if total == 0:
        return [f"there is no path from the output to {name}: the derivative is 0"]
    if total > _SHOW_PATHS:
        return [f"there are {total} paths from the output to {name} (too many to list)"]
    lines = [f"paths from {name} to the output at {_fmt_point(_current(out))} "
             "(local derivatives multiply along a path; the paths add up):"]
    for k, p in enumerate(paths(out, target), start=1):
        factors = " · ".join(_elide([_fmt(f) for f in reversed(p.factors)])) or "1"
        term = f";  term {terms[k - 1]}" if terms is not None else ""
        lines.append(f"  path {k}: {_path_text(p)}")
        lines.append(f"          factors {factors} = {_fmt(p.product)}{term}")
    return lines


def _current(out: Var) -> dict[str, float]:
    return {str(v.name): v.value for v in leaves(out)}


def _diagnose(out: Var, target: Var, samples: list[_Sample]) -> list[str]:
    """Which path, or which local factor on a path, would explain ``expected``."""
    if len(samples) < 2 or not samples[0].products:
        return []
    n = len(samples[0].products)
    if any(len(s.products) != n for s in samples):
        return []
    listed = paths(out, target, limit=_SHOW_PATHS)
    found: list[str] = []

    def holds(guess: Callable[[_Sample], float]) -> bool:
        try:
            return all(_close(guess(s), s.expected) for s in samples)
        except ZeroDivisionError:
            return False

    if n > 1 and n <= _SUBSET_PATHS:
        for size in range(n - 1, 0, -1):
            left_out = []
            for keep in itertools.combinations(range(n), size):

                def partial_sum(s: _Sample, keep: tuple[int, ...] = keep) -> float:
                    return sum(s.products[k] for k in keep)

                if holds(partial_sum):
                    left_out.append([k + 1 for k in range(n) if k not in keep])
            if left_out:
                which = " or ".join(("paths " if len(left) > 1 else "path ")
                                    + ", ".join(map(str, left)) for left in sorted(left_out))
                return [f"the expected derivative leaves out {which}: the "
                        "other paths add up to the expected value, but a variable used in "
                        "several places contributes one term per path, and every path counts"]
    def rest(s: _Sample, k: int) -> float:
        return s.derivative - s.products[k]

    for k in range(n):
        for j, node in enumerate(listed[k].nodes[:-1]):
            i = listed[k].positions[j]

            def without(s: _Sample, k: int = k, j: int = j) -> float:
                return rest(s, k) + s.products[k] / s.factors[k][j]

            if samples[0].factors[k][j] != 1.0 and holds(without):
                found.append(f"the expected derivative is missing the local factor of one "
                             f"edge on path {k + 1}: {_edge_text(node, i)}")
        if found:
            continue
        ratios = []
        for s in samples:
            if s.products[k] == 0:
                break
            ratios.append((s.expected - rest(s, k)) / s.products[k])
        if len(ratios) == len(samples) and all(_close(r, ratios[0]) for r in ratios) \
                and not _close(ratios[0], 1.0):
            if n == 1:
                found.append(f"the expected derivative is {ratios[0]:.6g} times the true one "
                             "along the only path: a constant factor is off")
            else:
                found.append(f"path {k + 1}'s term would have to be {ratios[0]:.6g} times "
                             "what its local factors give: a constant factor is off on it")
    return found


def _op_difference(node: Var, i: int) -> float:
    """d node / d input i by Richardson differences of the op's own value rule."""
    op = node.op
    args = [a.value for a in node.inputs]

    def f(v: float) -> float:
        moved = list(args)
        moved[i] = v
        return float(op.value(FLOAT, *moved))  # type: ignore[union-attr]

    return difference(f, args[i], "richardson", None)


def _suspect_edges(out: Var, target: Var | None = None, rtol: float = 1e-5,
                   atol: float = 1e-8) -> list[str]:
    """Edges (on paths to ``target``) whose local derivative disagrees with its op's slope."""
    order = nodes(out)
    relevant: dict[Var, bool] = {}
    for v in order:
        relevant[v] = target is None or v is target or any(relevant[c] for c in v.inputs)
    lines = []
    seen: set[tuple[int, int]] = set()
    for node in order:
        if node.op is None or node.op is CONST or not relevant[node]:
            continue
        for i, a in enumerate(node.inputs):
            if a.op is CONST or not relevant[a] or (id(node), i) in seen:
                continue
            seen.add((id(node), i))
            try:
                rule = local_partial(node, i)
                slope = _op_difference(node, i)
            except (SymgradError, ArithmeticError, ValueError):
                continue
            if not _close(rule, slope, rtol, atol):
                lines.append(f"  {_edge_text(node, i)}, but a finite difference of "
                             f"{node.op.name} there gives {_fmt(slope)}")  # type: ignore[union-attr]
    if not lines:
        return []
    more = len(lines) - _SHOW_SUSPECTS
    shown = lines[:_SHOW_SUSPECTS] + ([f"  … and {more} more"] if more > 0 else [])
    return ["local derivatives that disagree with their operation's own slope (a wrong "
            "partial rule in the op table, or a kink):", *shown]


# -- assert_derivative ----------------------------------------------------------------------

def assert_derivative(expr: Var | str | Any, wrt: Var | str, expected: Any, *,
                      at: Mapping[str, float] | None = None, rtol: float = 1e-9,
                      atol: float = 1e-12) -> Any:
    """Assert that ``d expr / d wrt`` is ``expected``; return the derivative (SymPy).

    ``expr`` is a :class:`~symgrad.Var` graph, a text expression (read by
    :func:`symgrad.parse`, never evaluated) or a SymPy expression.  ``wrt`` is an input
    Var or its name.  ``expected`` is a SymPy expression, a text expression (read by
    the same safe parser) or a number.  ``at`` gives variable values for text and
    SymPy ``expr``; variables without one get seeded random values in [0.3, 1.7] where
    the expression is defined.

    The derivative comes from symbolic backprop (:func:`symgrad.derivative`).  It
    passes when it equals ``expected`` as written, or ``sympy.simplify`` of the
    difference is 0, or, when SymPy cannot decide, the two agree within
    ``atol + rtol·max(|a|, |b|)`` at four seeded random points near the values.

    On failure a :class:`~symgrad.errors.VerificationError` says where the two differ,
    lists every path from the output to ``wrt`` with its local factors, product and
    symbolic term, and names the path or the edge whose local factor would explain the
    expected value (a forgotten path, a missing factor, a constant off).

    >>> assert_derivative("sigmoid(x)", "x", "sigmoid(x)*(1 - sigmoid(x))")
    exp(x)/(exp(x) + 1)**2
    >>> assert_derivative("(x**2 + 3)**2", "x", "2*(x**2 + 3)")
    Traceback (most recent call last):
    ...
    symgrad.errors.VerificationError: d/dx of (x**2 + 3)**2 is 4*x*(x**2 + 3), not the ...
    ...
    diagnosis: the expected derivative is missing the local factor of one edge on path 1: ...
    """
    __tracebackhide__ = True
    from .symbolic import derivative, same_function, to_sympy

    r, a = _real(rtol, "rtol"), _real(atol, "atol")
    out = _as_graph(expr, at)
    target = _leaf(out, wrt)
    want = _as_sympy(expected)
    actual = derivative(out, target)
    values = _current(out)
    extra = [n for n in _sympy_names(want) if n not in values]
    if extra:
        rng = random.Random(_SEED)
        values.update({n: round(rng.uniform(0.3, 1.7), 3) for n in extra})
    same, how = same_function(actual, want, values, r, a)
    if same:
        return actual
    from .symbolic import path_terms

    lines = [f"d/d{target.name} of {to_sympy(out)} is {actual}, not the expected {want}"]
    total = count_paths(out, target)
    listable = 0 < total <= _SHOW_PATHS
    samples = _samples(out, target, want, values, 4, listable)
    here = samples[0] if samples and samples[0].point == values else None
    if here is not None and not _close(here.derivative, here.expected, r, a):
        lines.append(f"  at {_fmt_point(values)}: the derivative is {here.derivative:.10g}, "
                     f"the expected {here.expected:.10g}")
    elif here is not None:
        lines.append(f"  they agree at {_fmt_point(values)}, but {how}")
    else:
        lines.append(f"  the two {how}")
    if extra:
        lines.append(f"  (the expected derivative uses {', '.join(extra)}, which the "
                     "expression does not)")
    lines += _paths_section(out, target, path_terms(out, target) if listable else None)
    if listable and not extra:
        lines += [f"diagnosis: {d}" for d in _diagnose(out, target, samples)]
    lines += _suspect_edges(out, target)
    raise VerificationError("\n".join(lines))


# -- assert_gradients_match -----------------------------------------------------------------

def assert_gradients_match(out: Var, rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL,
                           *, wrt: Sequence[Var | str] | Var | str | None = None,
                           symbolic: bool = True) -> Any:
    """Assert that every way of computing each partial derivative of ``out`` agrees.

    With ``symbolic=True`` (the default) this is :func:`symgrad.verify`: numeric
    backprop, symbolic backprop and ``sympy.diff`` must agree to 1e-9, and finite
    differences (Richardson) within ``atol + rtol·|numeric|``.  With
    ``symbolic=False`` (no SymPy; for graphs too big for it) it is
    :func:`symgrad.gradcheck`: backprop against finite differences.  ``wrt`` limits
    the check to some inputs (Vars or names); by default every input is checked.

    Returns the report (:class:`~symgrad.symbolic.VerificationReport` or
    :class:`~symgrad.finite.GradcheckReport`).  On failure it raises
    :class:`~symgrad.errors.GradientMismatchError` with the per-input table, every
    path to each failing input with its local factors, and any edge whose local
    derivative disagrees with a finite difference of its own operation (which is
    where a wrong partial rule shows itself).

    >>> from symgrad import Var
    >>> w, b = Var(0.5, name="w"), Var(-0.2, name="b")
    >>> report = assert_gradients_match(((w * 1.5 + b).sigmoid() - 1) ** 2)
    >>> [row.name for row in report.rows]
    ['w', 'b']
    """
    __tracebackhide__ = True
    check_var(out)
    r, a = _tolerances(rtol, atol)
    if not isinstance(symbolic, bool):
        raise InputError(f"symbolic must be True or False, got {symbolic!r}")
    if wrt is None:
        targets = leaves(out)
    else:
        chosen = [wrt] if isinstance(wrt, (Var, str)) else list(wrt)
        targets = [_leaf(out, w) for w in chosen]
    report: Any
    if symbolic:
        from .symbolic import verify

        report = verify(out, targets, fd_rtol=r, fd_atol=a, raise_on_failure=False)
    else:
        report = gradcheck(out, targets, rtol=r, atol=a, raise_on_failure=False)
    if report.ok:
        return report
    failing = [t for t, row in zip(targets, report.rows, strict=True) if not row.ok]
    lines = [f"the gradients of the output disagree for "
             f"{', '.join(str(t.name) for t in failing)}:", str(report)]
    for t in failing:
        lines += _paths_section(out, t, None)
    lines += _suspect_edges(out, None)
    raise GradientMismatchError("\n".join(lines))


# -- assert_close_to_finite_differences -------------------------------------------------------

def _result(value: object, what: str) -> float:
    if isinstance(value, Var):
        value = value.value
    return _real(value, what)


def assert_close_to_finite_differences(
    f: Callable[..., Any],
    point: float | Sequence[float] | Mapping[str, float],
    grad: Callable[..., Any] | None = None,
    *,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    method: str = DEFAULT_METHOD,
    h: float | None = None,
) -> GradcheckReport:
    """Assert that the gradient of a plain Python function matches finite differences.

    The contract:

    * ``point`` is one number, a sequence of numbers, or a mapping of names to numbers.
      ``f`` is called as ``f(x)``, ``f(*point)`` or ``f(**point)`` accordingly, and
      must return a real number (a :class:`~symgrad.Var` result counts by its value).
    * ``grad=None``: ``f`` is called once more with :class:`~symgrad.Var` inputs in
      place of the numbers, and backprop through what it builds is the gradient.  So
      ``f`` must work on floats and on Vars alike: write it with arithmetic and
      symgrad's functions (``symgrad.exp(x)``, ``symgrad.sigmoid(x)``, which take
      numbers too), not ``math.exp`` or Var methods.
    * ``grad`` a function: called like ``f``, it returns the gradient: one number for
      one input, else a sequence of numbers in the order of ``point`` (or a mapping by
      name for a mapping ``point``).
    * Each coordinate is differenced with ``method`` (``"forward"``, ``"backward"``,
      ``"central"`` or ``"richardson"``, the default) and step ``h`` (by default the
      method's balanced step, :func:`symgrad.finite.default_step`), and passes when
      ``|gradient − numeric| <= atol + rtol·|numeric|``.

    Returns the :class:`~symgrad.finite.GradcheckReport`; on a mismatch raises
    :class:`~symgrad.errors.GradientMismatchError` with its table.

    >>> import math
    >>> assert_close_to_finite_differences(lambda x, y: x * y**2, [3.0, 2.0]).ok
    True
    >>> assert_close_to_finite_differences(math.sin, 1.0, grad=math.sin)
    Traceback (most recent call last):
    ...
    symgrad.errors.GradientMismatchError: the gradient does not match finite differences:
    input  value  gradient      numeric       abs err   rel err   tol
    x0     1      0.8414709848  0.5403023059  3.01e-01  5.57e-01  ...  MISMATCH
    ...
    """
    __tracebackhide__ = True
    if not callable(f):
        raise InputError(f"f must be a function of numbers, got {type(f).__name__}: {f!r}")
    if grad is not None and not callable(grad):
        raise InputError(f"grad must be None or a function returning the gradient, got "
                         f"{type(grad).__name__}: {grad!r}")
    r, a = _tolerances(rtol, atol)
    if method not in METHODS:
        raise InputError(f"unknown finite-difference method: {method!r} "
                         f"(must be one of {', '.join(map(repr, METHODS))})")
    if h is not None and not (_real(h, "h") > 0):
        raise InputError(f"the step h must be a positive finite number, got {h!r}")

    if isinstance(point, Mapping):
        names = [str(k) for k in point]
        x0 = [_real(v, f"point[{k!r}]") for k, v in point.items()]

        def call(fn: Callable[..., Any], xs: Sequence[Any]) -> Any:
            return fn(**dict(zip(names, xs, strict=True)))
    elif isinstance(point, (str, bytes)) or not isinstance(point, (Sequence, numbers.Real)):
        raise InputError(f"point must be a number, a sequence of numbers or a mapping of "
                         f"names to numbers, got {type(point).__name__}: {point!r}")
    else:
        scalar = not isinstance(point, Sequence)
        seq = [point] if scalar else list(point)  # type: ignore[list-item]
        names = [f"x{k}" for k in range(len(seq))]
        x0 = [_real(v, f"point[{k}]") for k, v in enumerate(seq)]

        def call(fn: Callable[..., Any], xs: Sequence[Any]) -> Any:
            return fn(*xs)
    if not x0:
        raise InputError("point is empty: give at least one coordinate")

    def value_at(xs: Sequence[float]) -> float:
        return _result(call(f, xs), "f's result")

    value_at(x0)  # f must work at the point itself
    claimed = _claimed_gradient(f, grad, call, names, x0, isinstance(point, Mapping))
    rows = []
    for k, name in enumerate(names):
        def along(v: float, k: int = k) -> float:
            moved = list(x0)
            moved[k] = v
            return value_at(moved)

        numeric = difference(along, x0[k], method, h)
        err = abs(claimed[k] - numeric)
        rows.append(GradcheckRow(name, x0[k], claimed[k], numeric, err,
                                 err / abs(numeric) if numeric else err, a + r * abs(numeric)))
    report = GradcheckReport(tuple(rows), method)
    if not report.ok:
        source = "backprop through f" if grad is None else "your grad function"
        table = str(report).replace("backprop", "gradient", 1)
        raise GradientMismatchError(f"the gradient does not match finite differences:\n"
                                    f"{table}\n(the gradient column is from {source})")
    return report


def _claimed_gradient(f: Callable[..., Any], grad_fn: Callable[..., Any] | None,
                      call: Callable[[Callable[..., Any], Sequence[Any]], Any],
                      names: list[str], x0: list[float], by_name: bool) -> list[float]:
    if grad_fn is None:
        inputs = [Var(v, name=n) for n, v in zip(names, x0, strict=True)]
        try:
            out = call(f, inputs)
        except TypeError as exc:
            raise InputError(f"f could not be called with symgrad Vars ({exc}); write it "
                             "with arithmetic and symgrad's functions (symgrad.exp, "
                             "x.sigmoid(), ...) instead of math's, or pass grad=") from None
        if not isinstance(out, Var):
            raise InputError(f"f returned {type(out).__name__} when called with symgrad "
                             "Vars, so there is no graph to backprop through; pass grad=")
        return list(grad(out, inputs))
    given = call(grad_fn, x0)
    if by_name and isinstance(given, Mapping):
        missing = [n for n in names if n not in given]
        if missing:
            raise InputError(f"grad returned no derivative for {', '.join(missing)}")
        given = [given[n] for n in names]
    elif len(names) == 1 and not isinstance(given, Sequence):
        given = [given]
    if isinstance(given, (str, bytes)) or not isinstance(given, Sequence) \
            or len(given) != len(names):
        raise InputError(f"grad must return {len(names)} number(s), one per coordinate of "
                         f"the point ({', '.join(names)}), got {given!r}")
    return [_result(g, f"grad's derivative for {n}") for n, g in zip(names, given,
                                                                     strict=True)]


# -- the pytest plugin ----------------------------------------------------------------------

class SymgradCheck:
    """The ``symgrad_check`` fixture: the three assertions with the run's tolerances.

    ``rtol``, ``atol`` and ``method`` come from the test's ``symgrad`` marker, else
    from ``--symgrad-rtol`` / ``--symgrad-atol`` / ``--symgrad-method``, else from
    :data:`DEFAULT_RTOL`, :data:`DEFAULT_ATOL` and :data:`DEFAULT_METHOD`.  They apply
    to comparisons against finite differences; ``derivative`` compares symbolically.
    ``count`` is the number of checks that passed.

    >>> check = SymgradCheck(rtol=1e-5)
    >>> check.finite_differences(lambda x: x**3, 2.0).ok, check.count
    (True, 1)
    """

    def __init__(self, rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL,
                 method: str = DEFAULT_METHOD) -> None:
        self.rtol, self.atol = _tolerances(rtol, atol)
        if method not in METHODS:
            raise InputError(f"unknown finite-difference method: {method!r} "
                             f"(must be one of {', '.join(map(repr, METHODS))})")
        self.method = method
        self.count = 0

    def __repr__(self) -> str:
        return (f"SymgradCheck(rtol={self.rtol!r}, atol={self.atol!r}, "
                f"method={self.method!r})")

    def derivative(self, expr: Var | str | Any, wrt: Var | str, expected: Any, *,
                   at: Mapping[str, float] | None = None) -> Any:
        """:func:`assert_derivative`."""
        __tracebackhide__ = True
        result = assert_derivative(expr, wrt, expected, at=at)
        self.count += 1
        return result

    def gradients(self, out: Var, *, wrt: Sequence[Var | str] | Var | str | None = None,
                  symbolic: bool = True) -> Any:
        """:func:`assert_gradients_match` with this check's tolerances."""
        __tracebackhide__ = True
        result = assert_gradients_match(out, self.rtol, self.atol, wrt=wrt, symbolic=symbolic)
        self.count += 1
        return result

    def finite_differences(self, f: Callable[..., Any],
                           point: float | Sequence[float] | Mapping[str, float],
                           grad: Callable[..., Any] | None = None, *,
                           h: float | None = None) -> GradcheckReport:
        """:func:`assert_close_to_finite_differences` with this check's settings."""
        __tracebackhide__ = True
        result = assert_close_to_finite_differences(f, point, grad, rtol=self.rtol,
                                                    atol=self.atol, method=self.method, h=h)
        self.count += 1
        return result


_MARKER = ("symgrad(rtol=None, atol=None, method=None): tolerances and finite-difference "
           "method for the symgrad_check fixture in this test")


def pytest_addoption(parser: Any) -> None:
    """Add ``--symgrad-rtol``, ``--symgrad-atol`` and ``--symgrad-method``."""
    group = parser.getgroup("symgrad", "symgrad derivative checks")
    group.addoption("--symgrad-rtol", type=float, default=None, metavar="RTOL",
                    help=f"relative tolerance of symgrad_check against finite differences "
                    f"(default {DEFAULT_RTOL})")
    group.addoption("--symgrad-atol", type=float, default=None, metavar="ATOL",
                    help=f"absolute tolerance of symgrad_check against finite differences "
                    f"(default {DEFAULT_ATOL})")
    group.addoption("--symgrad-method", default=None, choices=list(METHODS),
                    help=f"finite-difference formula of symgrad_check (default "
                    f"{DEFAULT_METHOD})")


def pytest_configure(config: Any) -> None:
    """Register the ``symgrad`` marker (so ``--strict-markers`` accepts it)."""
    config.addinivalue_line("markers", _MARKER)


def _settings(config: Any, marker: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {"rtol": DEFAULT_RTOL, "atol": DEFAULT_ATOL,
                                "method": DEFAULT_METHOD}
    for key in settings:
        option = config.getoption(f"--symgrad-{key}")
        if option is not None:
            settings[key] = option
    if marker is not None:
        if marker.args:
            raise InputError(f"@pytest.mark.symgrad takes keyword arguments only "
                             f"(rtol=, atol=, method=), got {marker.args!r}")
        unknown = sorted(set(marker.kwargs) - set(settings))
        if unknown:
            raise InputError(f"@pytest.mark.symgrad got unknown argument(s) "
                             f"{', '.join(unknown)} (it takes rtol=, atol=, method=)")
        settings.update(marker.kwargs)
    return settings


try:
    import pytest
except ImportError:  # pragma: no cover - the assertions work without pytest
    pytest = None  # type: ignore[assignment]

if pytest is not None:
    @pytest.fixture
    def symgrad_check(request: Any) -> SymgradCheck:
        """A :class:`SymgradCheck` with the tolerances of this test's marker or the run."""
        marker = request.node.get_closest_marker("symgrad")
        return SymgradCheck(**_settings(request.config, marker))
