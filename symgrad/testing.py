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

The pytest plugin (:mod:`symgrad.pytest_plugin`) is registered through the ``pytest11``
entry point, so it is active in every test run once symgrad is installed.  It adds:

* the fixture ``symgrad_check``, a :class:`SymgradCheck` whose ``derivative``,
  ``gradients`` and ``finite_differences`` methods are the three assertions with the
  run's tolerances;
* the marker ``@pytest.mark.symgrad(rtol=..., atol=..., method=...)``, which sets those
  tolerances for one test (or a class or module, with ``pytestmark``);
* the command-line options ``--symgrad-rtol``, ``--symgrad-atol`` and
  ``--symgrad-method``, which set them for the whole run (a marker wins).
"""

from __future__ import annotations

import numbers
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from . import diagnose
from ._check import real
from .errors import (
    DomainError,
    GradientMismatchError,
    InputError,
    VerificationError,
)
from .finite import GradcheckReport, function_gradcheck, gradcheck, tolerances
from .graph import check_var, leaf_named, leaves, nodes
from .pathsum import count_paths
from .report import (
    SHOW_PATHS,
    current_values,
    diagnosis,
    fmt_point,
    paths_section,
    suspect_lines,
)
from .var import Var

__all__ = [
    "DEFAULT_ATOL",
    "DEFAULT_METHOD",
    "DEFAULT_RTOL",
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

_SEED = 20240601


# -- inputs ---------------------------------------------------------------------------------

def _check_at(at: object) -> dict[str, float]:
    if at is None:
        return {}
    if not isinstance(at, Mapping):
        raise InputError(f"at must be a mapping of variable names to numbers, such as "
                         f"{{'x': 2.0}}, got {type(at).__name__}: {at!r}")
    return {str(k): real(v, f"at[{k!r}]") for k, v in at.items()}


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
        return sympy.Float(real(expected, "expected"))
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


# -- the assertions -------------------------------------------------------------------------

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
    difference is 0, or, when SymPy cannot decide, the two agree at four seeded random
    points near the values: within ``atol + rtol·max(|a|, |b|)`` in floats, and where
    floats cannot tell (values below ``atol``, underflow, overflow), relatively in
    arbitrary precision (:func:`symgrad.symbolic.compare.agree_at`), so
    ``exp(-x)`` is never taken for ``-exp(-x)`` at ``x = 800``.

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
    from .symbolic.compare import agree_at, float_value

    r, a = real(rtol, "rtol"), real(atol, "atol")
    out = _as_graph(expr, at)
    target = _leaf(out, wrt)
    want = _as_sympy(expected)
    actual = derivative(out, target)
    values = current_values(out)
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
    listable = 0 < total <= SHOW_PATHS
    samples = diagnose.samples(out, target, lambda p: float_value(want, p), values, 4,
                               listable)
    here = samples[0] if samples and samples[0].point == values else None
    precisely = agree_at(actual, want, values, r, a)
    if here is not None and not diagnose.close(here.derivative, here.expected, r, a):
        lines.append(f"  at {fmt_point(values)}: the derivative is {here.derivative:.10g}, "
                     f"the expected {here.expected:.10g}")
    elif isinstance(precisely, str):  # beyond what floats show (they underflow, say)
        lines.append(f"  they {precisely}")
    elif here is not None:
        lines.append(f"  they agree at {fmt_point(values)}, but {how}")
    else:
        lines.append(f"  the two {how}")
    if extra:
        lines.append(f"  (the expected derivative uses {', '.join(extra)}, which the "
                     "expression does not)")
    lines += paths_section(out, target, path_terms(out, target) if listable else None)
    if listable and not extra:
        lines += [f"diagnosis: {d}" for d in diagnosis(out, target, samples)]
    lines += suspect_lines(out, target)
    raise VerificationError("\n".join(lines))


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
    r, a = tolerances(rtol, atol)
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
        lines += paths_section(out, t, None)
    lines += suspect_lines(out, None)
    raise GradientMismatchError("\n".join(lines))


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

    The contract (how ``f``, ``point`` and ``grad`` are called, and when a coordinate
    passes) is that of :func:`symgrad.finite.function_gradcheck`, which this runs: with
    ``grad=None`` the gradient is backprop through ``f`` called on Vars.

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
    report = function_gradcheck(f, point, grad, rtol=rtol, atol=atol, method=method, h=h)
    if not report.ok:
        source = "backprop through f" if grad is None else "your grad function"
        table = str(report).replace("backprop", "gradient", 1)
        raise GradientMismatchError(f"the gradient does not match finite differences:\n"
                                    f"{table}\n(the gradient column is from {source})")
    return report
