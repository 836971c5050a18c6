"""Four ways to one derivative: backprop, symbolic backprop, ``sympy.diff``, finite
differences; :func:`verify` and its report.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sympy

from ..backprop import grad
from ..errors import DomainError, InputError, UnsupportedError, VerificationError
from ..finite import difference_error
from ..graph import check_var, evaluate
from ..var import Var
from .backend import Backend
from .compare import close, float_value, same_function
from .derive import symbolic_adjoints
from .lower import deep_error, lowered, resolve_target
from .partials import as_sympy
from .tidy import short, tidy

__all__ = ["VerificationReport", "VerificationRow", "verify"]

_ZERO = sympy.Integer(0)


@dataclass(frozen=True)
class VerificationRow:
    """One input's line of a :class:`VerificationReport`; ``nan`` where undefined."""

    name: str
    value: float
    backprop: float
    symbolic: float
    sympy_diff: float
    finite: float
    formula: sympy.Expr
    agreement: str
    problems: tuple[str, ...]
    #: Remarks that are not failures: finite differences that cannot resolve the value.
    notes: tuple[str, ...] = ()
    #: The finite difference's own error estimate (:func:`symgrad.finite.difference_error`).
    finite_error: float = math.nan

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def status(self) -> str:
        if self.problems:
            return "MISMATCH"
        return "ok (finite differences inconclusive here)" if self.notes else "ok"


def _head(by: str) -> tuple[str, ...]:
    return ("input", "value", "backprop", "symbolic backprop", by, "finite diff",
            "derivative", f"symbolic = {by}", "")


@dataclass(frozen=True)
class VerificationReport:
    """Four ways to one derivative, per input: ``ok``, ``rows``, a table as ``str``.

    In a notebook it shows as an HTML table (``_repr_html_``) or LaTeX
    (``_repr_latex_``).
    """

    expression: sympy.Expr
    rows: tuple[VerificationRow, ...]
    #: What computed the ``sympy_diff`` column: ``"sympy.diff"`` or ``"symengine.diff"``.
    diff_by: str = "sympy.diff"

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)

    def _cells(self, r: VerificationRow) -> tuple[str, ...]:
        formula = short(r.formula, 40)
        return (r.name, f"{r.value:.6g}", f"{r.backprop:.10g}", f"{r.symbolic:.10g}",
                f"{r.sympy_diff:.10g}", f"{r.finite:.10g}", formula, r.agreement, r.status)

    def __str__(self) -> str:
        head = _head(self.diff_by)
        body = [self._cells(r) for r in self.rows]
        widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
                 for row in [head, *body]]
        lines.append(f"f = {short(self.expression, 200)}")
        if self.ok:
            lines.append(self._verdict())
        for r in self.rows:
            lines += [f"{r.name}: {p}" for p in (*r.problems, *r.notes)]
        return "\n".join(lines)

    def _verdict(self) -> str:
        """``the derivative agrees (...)`` or ``all 3 derivatives agree (...)``."""
        n = len(self.rows)
        if not n:
            return "no derivatives were checked"
        unsure = [r.name for r in self.rows if r.notes]
        ways = f"backprop, symbolic backprop, {self.diff_by}"
        subject = "the derivative agrees" if n == 1 else f"all {n} derivatives agree"
        if not unsure:
            return f"{subject} ({ways}, finite differences)"
        return f"{subject} ({ways}); finite differences inconclusive for {', '.join(unsure)}"

    def __repr__(self) -> str:
        return f"<VerificationReport ok={self.ok} inputs={[r.name for r in self.rows]}>"

    def _repr_html_(self) -> str:
        def row(cells: Sequence[str], tag: str) -> str:
            return "<tr>" + "".join(f"<{tag}>{html.escape(c)}</{tag}>" for c in cells) + "</tr>"
        verdict = self._verdict() if self.ok else "derivatives DISAGREE"
        problems = "".join(f"<li>{html.escape(f'{r.name}: {p}')}</li>"
                           for r in self.rows for p in r.problems)
        return (f"<table>{row(_head(self.diff_by), 'th')}"
                + "".join(row(self._cells(r), "td") for r in self.rows)
                + f"</table><p>{html.escape(verdict)}</p>"
                + (f"<ul>{problems}</ul>" if problems else ""))

    def _repr_latex_(self) -> str:
        head = (r"\text{input} & \text{value} & \text{backprop} & \text{symbolic} & "
                rf"\text{{{self.diff_by}}} & \text{{finite diff}} & \text{{derivative}} & "
                r"\\ \hline" "\n")
        body = []
        for r in self.rows:
            name = sympy.latex(sympy.Symbol(r.name))
            nums = " & ".join(f"{v:.10g}" for v in (r.value, r.backprop, r.symbolic,
                                                   r.sympy_diff, r.finite))
            status = rf"\text{{{r.status}}}"
            body.append(f"{name} & {nums} & {sympy.latex(r.formula)} & {status} \\\\")
        return (r"$$\begin{array}{lrrrrrll}" + head + "\n".join(body)
                + r"\end{array}$$")

def verify(out: Var, wrt: Var | str | Sequence[Var | str] | None = None, *,
           rtol: float = 1e-9, atol: float = 1e-12, fd_rtol: float = 1e-6,
           fd_atol: float = 1e-8, raise_on_failure: bool = True,
           backend: str = "auto") -> VerificationReport:
    """Check d out / d x four ways for each input ``x`` (all inputs, or those in ``wrt``).

    1. numeric backprop (:func:`symgrad.grad`);
    2. symbolic backprop (:func:`gradient`), evaluated at the inputs' values;
    3. ``sympy.diff`` of :func:`to_sympy` ``(out)``, evaluated there too;
    4. finite differences (Richardson extrapolation of central differences), with their
       own error estimate (:func:`symgrad.finite.difference_error`).

    Symbolic backprop and ``sympy.diff`` must also be the same *function*: equal as
    written, or their difference cancels to 0 (``cancel(together(a - b))``, or
    ``simplify`` for small expressions), or, when that is inconclusive or the
    expressions are too big, they agree at four seeded random points near the
    inputs' values.  Numbers compare with
    ``|a - b| <= atol + rtol * max(|a|, |b|)``; finite differences, which carry
    truncation and rounding error, with ``fd_rtol``/``fd_atol``.  Where the other
    three agree and finite differences miss by no more than twice their own error
    estimate (or are undefined a step away), the slope is too steep for them: the row
    says "finite differences inconclusive here" and is not a mismatch.  Any
    disagreement raises :class:`~symgrad.errors.VerificationError` with the table,
    unless ``raise_on_failure=False``; the report is returned either way.
    ``backend`` chooses who computes the symbolic columns; ``"auto"`` is SymPy here.
    SymPy's ``cancel``, which proves the two columns equal, can take minutes on the
    forms SymEngine writes (exponentials of sums, powers of sums): a 2-2-1 sigmoid
    network took 187 s against 0.44 s.  With ``backend="symengine"`` the third column is
    ``symengine.diff`` (``sympy.diff`` where SymEngine leaves a derivative undone) and
    the two columns are compared at random points only.

    At a kink (``relu`` at exactly 0) the methods legitimately disagree: backprop
    takes the derivative 0 there, ``sympy.diff`` gives ``Heaviside(0) = 1/2``.

    >>> from symgrad import Var
    >>> x, y = Var(2.0, name="x"), Var(1.0, name="y")
    >>> report = verify((x**2 + 3)**2 + y)
    >>> report.ok, [(r.name, r.backprop, r.formula) for r in report.rows]
    (True, [('x', 56.0, 4*x*(x**2 + 3)), ('y', 1.0, 1)])
    """
    check_var(out)
    memo, engine, order = lowered(out, "sympy" if backend == "auto" else backend)
    inputs = [v for v in memo if v.op is None]
    if wrt is None:
        targets = inputs
    else:
        chosen = [wrt] if isinstance(wrt, (Var, str)) else list(wrt)
        targets = []
        for w in chosen:
            t = resolve_target(w, memo)
            if t is not None and t.op is not None:
                raise InputError(f"verify checks derivatives by input Vars; {w!r} is an "
                                 "inner node of the graph")
            if t is None:
                raise InputError(f"{w!r} is not an input of the expression (its inputs: "
                                 f"{', '.join(str(v.name) for v in inputs)})")
            targets.append(t)
    kinked = sorted({f"{v.op.name} at {', '.join(f'{k:g}' for k in v.op.kinks)}"
                     for v in memo if v.op is not None and v.op.kinks})
    expr, raws, diffs, by = _symbolic(out, memo, engine, targets, order)
    numeric = grad(out, targets) if targets else []
    values = {v.name: v.value for v in inputs if v.name}
    rows = []
    for t, bp, raw, diffed in zip(targets, numeric, raws, diffs, strict=True):
        problems: list[str] = []

        def number(e: sympy.Expr, what: str) -> float:
            try:
                return float_value(e, values)
            except DomainError as exc:
                problems.append(f"{what} could not be evaluated: {exc}")  # noqa: B023
                return math.nan

        sym = number(raw, "symbolic backprop")
        sd = number(diffed, by)
        fd, fd_error = _finite(out, t, order)
        same, how = same_function(raw, diffed, values, rtol, atol,
                                  algebra=engine.name == "sympy")
        if same is False:
            problems.append(f"symbolic backprop and {by} are different functions: {how}")
        for label, v in (("symbolic backprop", sym), (by, sd)):
            if not math.isnan(v) and not close(bp, v, rtol, atol):
                problems.append(f"{label} gives {v:.17g} but backprop gives {bp:.17g}")
        notes: list[str] = []
        if not close(bp, fd, fd_rtol, fd_atol):
            if not problems and not abs(bp - fd) > 2 * fd_error:  # fd undefined: nan
                notes.append(_inconclusive(fd, fd_error, by))
            else:
                problems.append(f"finite differences give {fd:.17g} but backprop gives "
                                f"{bp:.17g} (beyond fd_rtol={fd_rtol:g}, "
                                f"fd_atol={fd_atol:g})")
        if problems and kinked:
            problems.append(f"note: the expression has kinks ({'; '.join(kinked)}), where "
                            "backprop takes a one-sided derivative (the op table's) and "
                            f"{by} may take another (Heaviside(0) = 1/2)")
        rows.append(VerificationRow(t.name or "?", t.value, bp, sym, sd, fd, tidy(raw), how,
                                    tuple(problems), tuple(notes), fd_error))
    report = VerificationReport(expr, tuple(rows), by)
    if raise_on_failure and not report.ok:
        raise VerificationError(f"the derivatives disagree:\n{report}")
    return report


def _symbolic(out: Var, memo: dict[Var, Any], engine: Backend, targets: list[Var],
              order: list[Var]) -> tuple[sympy.Expr, list[sympy.Expr], list[sympy.Expr], str]:
    """The expression, symbolic backprop's partials and the reference partials (the
    backend's ``diff``, else ``sympy.diff``), as SymPy; and the reference's name."""
    adj = symbolic_adjoints(out, memo, engine, order)
    converted: dict[Any, sympy.Expr] = {}
    expr, *raws = as_sympy(engine, [memo[out], *[adj.get(t, engine.zero) for t in targets]],
                           converted)
    if engine.name != "sympy":
        try:  # SymEngine leaves some derivatives undone (Max): SymPy does those
            diffs = as_sympy(engine, [engine.diff(memo[out], str(t.name)) for t in targets],
                             converted)
            return expr, raws, diffs, f"{engine.name}.diff"
        except (UnsupportedError, RuntimeError, NotImplementedError):
            pass
    try:
        return expr, raws, [sympy.diff(expr, sympy.Symbol(t.name)) for t in targets], \
            "sympy.diff"
    except RecursionError:
        raise deep_error("running sympy.diff") from None


def _finite(out: Var, x: Var, order: list[Var]) -> tuple[float, float]:
    """d out / d x by Richardson differences and their own error estimate; ``(nan, inf)``
    where the graph is undefined a step away.  The graph is restored either way."""
    x0 = x.value

    def f(v: float) -> float:
        x.value = v
        return evaluate(out, order)

    try:
        return difference_error(f, x0)
    except DomainError:
        return math.nan, math.inf
    finally:
        x.value = x0
        evaluate(out, order)


def _inconclusive(fd: float, error: float, by: str) -> str:
    if math.isnan(fd):
        why = "the function is undefined (or overflows) a step away"
    else:
        why = (f"they give {fd:.10g}, but their own error estimate (the change when the "
               f"step is halved, plus rounding) is {error:.2g}: the slope is too steep, "
               "or the rounding too large, for them to resolve it")
    return (f"finite differences inconclusive here: {why}; backprop, symbolic backprop "
            f"and {by} agree")
