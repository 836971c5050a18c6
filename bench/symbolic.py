"""Benchmark: the full symbolic gradient of a 337-parameter sigmoid MLP, three ways.

The network is ``symgrad.nn.MLP(2, [16, 16, 1], seed=0)`` and the loss its squared error
on the four XOR rows (``nn.loss_graph``): 337 parameters.  Its gradient is computed

1. by ``symgrad.gradient(loss, backend="symengine")``: one symbolic reverse pass (the op
   table's partial rules run on SymEngine by the engine's chain-rule loop), then the 337
   partials converted to SymPy, as every symgrad result is.  Its first part alone, the
   reverse pass (lowering the graph and the adjoints, SymEngine expressions out), is
   timed too: that is what compares with (2), whose results are SymEngine expressions;
2. by SymEngine's ``diff`` once per parameter, on the same loss expression;
3. by ``sympy.diff`` once per parameter, on the same loss as SymPy.  That takes about two
   minutes, so by default it is timed on a sample of parameters from every layer and
   extrapolated layer by layer (``--full`` times all 337).

Each result is checked against the others at random parameter values: every partial,
evaluated with 30-digit arithmetic, agrees to 1e-12 (relative).  Times are medians of
several runs; SymPy's cache is cleared before every timed run.  All peers run in this
process.

Run:  python bench/symbolic.py  [--quick] [--full]
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import sympy
from sympy.core.cache import clear_cache

import symgrad
from symgrad import nn
from symgrad.symbolic.backend import available, resolve
from symgrad.symbolic.compare import exact_values
from symgrad.symbolic.derive import symbolic_adjoints
from symgrad.symbolic.lower import lowered

PARAMETERS = 337
TOLERANCE = 1e-12
#: sympy.diff is timed on this many parameters of each layer (unless --full).
SAMPLE_PER_LAYER = 4


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeats):
        clear_cache()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def reverse_pass(loss: symgrad.Var) -> dict[symgrad.Var, Any]:
    """What symgrad.gradient does before converting to SymPy: SymEngine expressions."""
    memo, engine, order = lowered(loss, "symengine")
    return symbolic_adjoints(loss, memo, engine, order)


def sampled(params: list[symgrad.Var], full: bool) -> list[list[symgrad.Var]]:
    """The parameters by layer; all of them with ``full``, else a spread sample."""
    layers: dict[str, list[symgrad.Var]] = {}
    for p in params:
        layers.setdefault(str(p.name).split(".")[0], []).append(p)
    if full:
        return list(layers.values())
    out = []
    for group in layers.values():
        step = max(1, len(group) // SAMPLE_PER_LAYER)
        out.append(group[::step][:SAMPLE_PER_LAYER])
    return out


def worst_difference(a: list[sympy.Expr], b: list[sympy.Expr], point: dict[str, float]
                     ) -> float:
    values = exact_values([*a, *b], point, 30)
    n = len(a)
    return float(max(abs(x - y) / max(abs(x), abs(y), 1e-300)
                     for x, y in zip(values[:n], values[n:], strict=True)))


def main(quick: bool = False, full: bool = False) -> int:
    if not available():
        print("bench/symbolic.py needs symengine: pip install symengine", file=sys.stderr)
        return 2
    import symengine

    print(f"sympy {sympy.__version__}, symengine {symengine.__version__}, "
          f"python {sys.version.split()[0]}")
    model = nn.MLP(2, [16, 16, 1], seed=0)
    loss = nn.loss_graph(model, nn.XOR)
    params = model.parameters()
    assert len(params) == PARAMETERS, len(params)
    names = [str(p.name) for p in params]
    engine = resolve("symengine")
    repeats = 3 if quick else 7

    # Warm up every side once (lazy imports, first-call costs).
    small = nn.loss_graph(nn.MLP(2, [2, 1], seed=0), nn.XOR)
    symgrad.gradient(small, backend="symengine")
    symgrad.gradient(small, backend="sympy")
    warm = symgrad.to_sympy(small)
    [sympy.diff(warm, s) for s in warm.free_symbols]

    # The same loss as one SymEngine and one SymPy expression (not timed).
    se_loss = lowered(loss, "symengine").memo[loss]
    sp_loss = symgrad.to_sympy(loss)
    se_symbols = [symengine.Symbol(n) for n in names]

    t_pass, _ = timed(lambda: reverse_pass(loss), repeats)
    t_ours, ours = timed(lambda: symgrad.gradient(loss, backend="symengine"),
                         max(3, repeats // 2))
    t_se, se_partials = timed(lambda: [symengine.diff(se_loss, s) for s in se_symbols],
                              repeats)
    t_sympy_backend, _ = timed(lambda: symgrad.gradient(loss, backend="sympy"), 1 if quick
                               else 3)

    # sympy.diff once per parameter: a sample of each layer, extrapolated by layer size.
    layers = sampled(params, full)
    by_layer = {str(p.name).split(".")[0]: 0 for p in params}
    for p in params:
        by_layer[str(p.name).split(".")[0]] += 1
    clear_cache()
    sympy_results: dict[str, sympy.Expr] = {}
    estimate, timed_count = 0.0, 0
    for group in layers:
        times = []
        for p in group:
            start = time.perf_counter()
            sympy_results[str(p.name)] = sympy.diff(sp_loss, sympy.Symbol(str(p.name)))
            times.append(time.perf_counter() - start)
        timed_count += len(group)
        estimate += statistics.mean(times) * by_layer[str(group[0].name).split(".")[0]]

    # Equal at random points (30 digits): ours against SymEngine's and SymPy's diff.
    ours_list = [ours[p] for p in params]
    theirs = engine.to_sympy(se_partials)
    rng = random.Random(0)
    worst_se = worst_sympy = 0.0
    for k in range(3):
        point = ({p.name: p.value for p in params} if k == 0
                 else {n: rng.uniform(-2, 2) for n in names})
        worst_se = max(worst_se, worst_difference(ours_list, theirs, point))
        chosen = list(sympy_results)
        worst_sympy = max(worst_sympy, worst_difference(
            [ours[params[names.index(n)]] for n in chosen],
            [sympy_results[n] for n in chosen], point))
    equal = worst_se <= TOLERANCE and worst_sympy <= TOLERANCE

    how = "all 337 timed" if full else (f"extrapolated from {timed_count} of 337 "
                                        f"parameters ({SAMPLE_PER_LAYER} per layer, "
                                        "mean time x layer size)")
    rows = [
        ("symgrad reverse pass on SymEngine (SymEngine exprs out)", t_pass),
        ("symgrad.gradient(backend='symengine') (SymPy exprs out)", t_ours),
        ("symengine.diff once per parameter (SymEngine exprs out)", t_se),
        ("symgrad.gradient(backend='sympy') (SymPy exprs out)", t_sympy_backend),
        (f"sympy.diff once per parameter ({how})", estimate),
    ]
    print(f"sigmoid MLP 2-16-16-1 on XOR, {PARAMETERS} parameters; medians of "
          f"{repeats} runs")
    for label, t in rows:
        print(f"  {label:<{max(len(r[0]) for r in rows)}}  {t:9.4f} s")
    ratio_se, ratio_sympy = t_se / t_pass, estimate / t_ours
    print(f"symengine.diff per parameter / symgrad's reverse pass:   {ratio_se:7.1f}x  "
          f"(target >= 10x: {'met' if ratio_se >= 10 else 'NOT met'})")
    print(f"sympy.diff per parameter / symgrad.gradient (symengine): {ratio_sympy:7.1f}x  "
          f"(target >= 300x: {'met' if ratio_sympy >= 300 else 'NOT met'})")
    print(f"symengine.diff per parameter / symgrad.gradient (symengine): {t_se / t_ours:5.2f}x"
          "  (symgrad.gradient converts its 337 partials to SymPy; SymEngine's diff "
          "does not)")
    print(f"symgrad.gradient: backend='sympy' / backend='symengine': "
          f"{t_sympy_backend / t_ours:5.1f}x")
    print(f"equal at 3 points (30 digits): symgrad vs symengine.diff max rel diff "
          f"{worst_se:.1e} (337 partials), vs sympy.diff {worst_sympy:.1e} "
          f"({len(sympy_results)} partials): {'yes' if equal else 'NO'}")
    return 0 if equal else 1


if __name__ == "__main__":
    sys.exit(main(quick="--quick" in sys.argv, full="--full" in sys.argv))
