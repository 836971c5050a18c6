"""Benchmark: the full symbolic gradient of a sigmoid MLP's loss, two ways.

One symbolic reverse pass (``symgrad.gradient``: the op table's partial rules run on
SymPy expressions by the engine's chain-rule loop) against calling ``sympy.diff``
once per parameter on an independently built SymPy expression of the same loss.

The loss is the squared error of a 2-H-1 sigmoid network on the four XOR rows, for
H = 2, 8, 32 (9, 33 and 129 parameters).  Both run in this process; SymPy's cache is
cleared before every timed run so neither side profits from the other's work.  The
results are compared at random parameter values.

Run:  python bench/symbolic.py  [--quick]
"""

from __future__ import annotations

import random
import statistics
import sys
import time

import sympy
from sympy.core.cache import clear_cache

import symgrad
from symgrad import Var

XOR = [((0, 0), 0), ((0, 1), 1), ((1, 0), 1), ((1, 1), 0)]


def names(hidden: int) -> list[str]:
    """Parameter names: w{j}_{i} (input i to hidden j), b{j}, v{j} (hidden j to out), c."""
    out = [f"w{j}_{i}" for j in range(hidden) for i in range(2)]
    return out + [f"b{j}" for j in range(hidden)] + [f"v{j}" for j in range(hidden)] + ["c"]


def symgrad_loss(hidden: int, values: dict[str, float]) -> tuple[Var, list[Var]]:
    """The loss as a Var graph built by hand (no symgrad.nn): parameters are leaves."""
    p = {n: Var(values[n], name=n) for n in names(hidden)}
    loss = None
    for (x0, x1), target in XOR:
        z = p["c"]
        for j in range(hidden):
            h = (p[f"w{j}_0"] * x0 + p[f"w{j}_1"] * x1 + p[f"b{j}"]).sigmoid()
            z = z + p[f"v{j}"] * h
        term = (z.sigmoid() - target) ** 2
        loss = term if loss is None else loss + term
    assert loss is not None
    return loss, list(p.values())


def sympy_loss(hidden: int) -> tuple[sympy.Expr, list[sympy.Symbol]]:
    """The same loss written directly in SymPy."""
    s = {n: sympy.Symbol(n) for n in names(hidden)}

    def sigmoid(a: sympy.Expr) -> sympy.Expr:
        return 1 / (1 + sympy.exp(-a))

    loss = sympy.Integer(0)
    for (x0, x1), target in XOR:
        z = s["c"] + sum(s[f"v{j}"] * sigmoid(s[f"w{j}_0"] * x0 + s[f"w{j}_1"] * x1
                                              + s[f"b{j}"]) for j in range(hidden))
        loss += (sigmoid(z) - target) ** 2
    return loss, list(s.values())


def timed(fn, repeats: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(repeats):
        clear_cache()
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def value_at(expr: sympy.Expr, point: dict[str, float]) -> float:
    """A SymPy expression's float value, through a symgrad graph (memoised, iterative)."""
    used = {s.name: point[s.name] for s in expr.free_symbols}
    return symgrad.from_sympy(expr, **used).value


def main(quick: bool = False) -> int:
    rng = random.Random(0)
    print(f"sympy {sympy.__version__}, python {sys.version.split()[0]}")
    print(f"{'net':<8}{'params':>7}{'symgrad.gradient':>18}{'sympy.diff x N':>16}"
          f"{'speed-up':>10}{'ops (cse) symgrad':>19}{'ops (cse) sympy':>17}  equal")
    # Warm up both sides once (first calls pay for SymPy's lazy imports).
    warm_loss, _ = symgrad_loss(1, {n: 0.5 for n in names(1)})
    symgrad.gradient(warm_loss)
    warm_expr, warm_symbols = sympy_loss(1)
    [sympy.diff(warm_expr, s) for s in warm_symbols]
    failures = 0
    for hidden in (2, 8, 32):
        ps = names(hidden)
        values = {n: rng.uniform(-1, 1) for n in ps}
        loss, params = symgrad_loss(hidden, values)
        expr, symbols = sympy_loss(hidden)
        repeats = 1 if quick else (5 if hidden < 32 else 3)

        t_ours, ours = timed(lambda loss=loss: symgrad.gradient(loss), repeats)
        t_theirs, theirs = timed(
            lambda expr=expr, symbols=symbols: [sympy.diff(expr, s) for s in symbols],
            repeats)
        assert isinstance(ours, dict) and isinstance(theirs, list)

        # Expression sizes after common-subexpression elimination.
        ops_ours = symgrad.gradient(loss, cse=True).count_ops()  # type: ignore[union-attr]
        reps, reduced = sympy.cse(theirs)
        ops_theirs = sum(sympy.count_ops(e) for _, e in reps) + sum(
            sympy.count_ops(e) for e in reduced)

        # The same numbers at the graph's values and at random points.
        worst = 0.0
        for k in range(3):
            point = values if k == 0 else {n: rng.uniform(-2, 2) for n in ps}
            for param, sym, theirs_d in zip(params, symbols, theirs, strict=True):
                assert param.name == sym.name
                a, b = value_at(ours[param], point), value_at(theirs_d, point)
                worst = max(worst, abs(a - b) / max(1e-300, abs(a), abs(b)))
        numeric = symgrad.grad(loss, params)
        for param, n in zip(params, numeric, strict=True):
            a = value_at(ours[param], values)
            worst = max(worst, abs(a - n) / max(1e-300, abs(a), abs(n)))
        equal = worst <= 1e-9
        failures += not equal

        print(f"2-{hidden}-1{'':<{4 - len(str(hidden))}}{len(ps):>7}{t_ours:>17.3f}s"
              f"{t_theirs:>15.3f}s{t_theirs / t_ours:>9.1f}x{ops_ours:>19}{ops_theirs:>17}"
              f"  {'yes' if equal else 'NO'} (max rel diff {worst:.1e})")
    print("(times are medians; symgrad.gradient includes lowering the graph to SymPy)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(quick="--quick" in sys.argv))
