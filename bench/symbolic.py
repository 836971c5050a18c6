"""Benchmark: the full symbolic gradient of a 337-parameter sigmoid MLP, five ways.

The network is ``symgrad.nn.MLP(2, [16, 16, 1], seed=0)`` and the loss its squared error
on the four XOR rows (``nn.loss_graph``): 337 parameters.  Its gradient is computed

(a) by ``symgrad.gradient(loss)``: ``backend="auto"``, which is SymEngine here.  One
    symbolic reverse pass (the op table's partial rules run on SymEngine by the
    engine's chain-rule loop); it returns a lazy mapping that converts a partial to
    SymPy only when it is read, so nothing is converted yet;
(b) the same, then every partial read as SymPy (``list(g.values())``): the cost of
    having all 337 partials as SymPy objects;
(c) by SymEngine's ``diff`` once per parameter, on the same loss expression (SymEngine
    expressions out, as in (a));
(d) by ``symgrad.gradient(loss, backend="sympy")``: the reverse pass on SymPy;
(e) by ``sympy.diff`` once per parameter, on the same loss as SymPy.  That takes about a
    minute (63 s here with ``--full``), so by default it is timed on a sample of
    parameters from every layer and extrapolated layer by layer (``--full`` times all
    337).

The partials of (b) are checked against (c), (d) and (e) at three parameter points:
every partial, evaluated with 30-digit arithmetic, agrees to 1e-12 (relative).  Times
are medians: (a) and (c) of samples taken in turn (``bench/timing.py``), the others of
several runs with SymPy's cache cleared before each.  All peers run in this process.

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
from timing import medians  # bench/timing.py

import symgrad
from symgrad import nn
from symgrad.symbolic.backend import available, resolve
from symgrad.symbolic.compare import exact_values
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


def materialised(loss: symgrad.Var) -> Any:
    """``symgrad.gradient(loss)`` with every partial read as SymPy (then each read again
    is a lookup)."""
    g = symgrad.gradient(loss)
    list(g.values())
    return g


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
    list(symgrad.gradient(small, backend="symengine").values())
    symgrad.gradient(small, backend="sympy")
    warm = symgrad.to_sympy(small)
    [sympy.diff(warm, s) for s in warm.free_symbols]

    # The same loss as one SymEngine and one SymPy expression (not timed).
    se_loss = lowered(loss, "symengine").memo[loss]
    sp_loss = symgrad.to_sympy(loss)
    se_symbols = [symengine.Symbol(n) for n in names]

    lazy = symgrad.gradient(loss)
    assert lazy.backend == "symengine", lazy.backend  # auto picks SymEngine here
    # (a) and (c) sampled in turn, so that drift on a busy machine hits both alike.
    samples = 2 * repeats + 1
    fast = medians({"a": lambda: symgrad.gradient(loss),
                    "c": lambda: [symengine.diff(se_loss, s) for s in se_symbols]},
                   samples)
    t_lazy, t_se = fast["a"], fast["c"]
    se_partials = [symengine.diff(se_loss, s) for s in se_symbols]
    t_read, read_all = timed(lambda: materialised(loss), max(3, repeats // 2))
    t_sympy_backend, by_sympy = timed(lambda: symgrad.gradient(loss, backend="sympy"),
                                      1 if quick else 3)

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

    # Equal at random points (30 digits): ours (b) against (c), (d) and (e).
    read = [read_all[p] for p in params]
    theirs = engine.to_sympy(se_partials)
    sympy_backend = [by_sympy[p] for p in params]
    rng = random.Random(0)
    worst_se = worst_backend = worst_sympy = 0.0
    for k in range(3):
        point = ({p.name: p.value for p in params} if k == 0
                 else {n: rng.uniform(-2, 2) for n in names})
        worst_se = max(worst_se, worst_difference(read, theirs, point))
        worst_backend = max(worst_backend, worst_difference(read, sympy_backend, point))
        chosen = list(sympy_results)
        worst_sympy = max(worst_sympy, worst_difference(
            [read_all[n] for n in chosen],
            [sympy_results[n] for n in chosen], point))
    equal = max(worst_se, worst_backend, worst_sympy) <= TOLERANCE

    how = "all 337 timed" if full else (f"extrapolated from {timed_count} of 337 "
                                        f"parameters ({SAMPLE_PER_LAYER} per layer, "
                                        "mean time x layer size)")
    rows = [
        ("(a) symgrad.gradient(loss): SymEngine (auto), lazy, none read", t_lazy),
        ("(b) the same + every partial read as SymPy", t_read),
        ("(c) symengine.diff once per parameter (SymEngine exprs out)", t_se),
        ("(d) symgrad.gradient(loss, backend='sympy')", t_sympy_backend),
        ("(e) sympy.diff once per parameter (SymPy exprs out)", estimate),
    ]
    print(f"sigmoid MLP 2-16-16-1 on XOR, {PARAMETERS} parameters; (a), (c): medians of "
          f"{samples} interleaved samples; (b): median of {max(3, repeats // 2)} runs, "
          f"(d): of {1 if quick else 3}")
    width = max(len(r[0]) for r in rows)
    for label, t in rows:
        print(f"  {label:<{width}}  {t:9.4f} s")
    print(f"  (e): {how}")

    def ratio(label: str, value: float, target: float | None = None) -> None:
        verdict = "" if target is None else \
            f"  (target >= {target:g}x: {'met' if value >= target else 'NOT met'})"
        print(f"  {label:<64} {value:8.1f}x{verdict}")

    print("ratios (how many times longer the first takes):")
    ratio("(c) symengine.diff / (a) gradient, both SymEngine exprs out", t_se / t_lazy, 10)
    ratio("(e) sympy.diff / (a) gradient, SymPy vs SymEngine exprs out", estimate / t_lazy,
          300)
    ratio("(e) sympy.diff / (b) gradient read as SymPy, both SymPy out", estimate / t_read)
    ratio("(c) symengine.diff / (b) gradient read as SymPy", t_se / t_read)
    ratio("(d) gradient on SymPy / (b) gradient on SymEngine read as SymPy",
          t_sympy_backend / t_read)
    print(f"equal at 3 points (30 digits), max rel diff of (b) against: (c) {worst_se:.1e}, "
          f"(d) {worst_backend:.1e} (337 partials each), (e) {worst_sympy:.1e} "
          f"({len(sympy_results)} partials): {'yes' if equal else 'NO'}")
    return 0 if equal else 1


if __name__ == "__main__":
    sys.exit(main(quick="--quick" in sys.argv, full="--full" in sys.argv))
