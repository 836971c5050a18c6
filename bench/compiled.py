"""Compiled code against the engine, in the same process.

Run:  python bench/compiled.py [--repeat N]      (part 2 needs NumPy)

1. One training step of the 337-parameter sigmoid MLP 2-16-16-1 on the four XOR rows:
   the loss and its gradient.  ``symgrad.compile`` once, then one call per step, against
   rebuilding the loss graph and ``symgrad.grad`` per step (target: >= 20x faster per
   step).  Also shown: the engine on a graph built once and re-evaluated per step (what
   ``nn.train(method="backprop")`` does).
2. The same network's output as a function of its 2 inputs (parameters fixed) at 1,000
   points: ``Compiled.batch`` against building 1,000 graphs and backprop through each
   (target: >= 100x), and the gradients' agreement (max relative difference, target
   <= 1e-12).

Times are medians of ``--repeat`` samples, the peers interleaved sample by sample, with
the garbage collector on.  Compile time is printed too: it is paid once.  This script
prints; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time

from timing import medians  # bench/timing.py

import symgrad
from symgrad import Var, nn
from symgrad.compile import compile

STEP_TARGET, BATCH_TARGET, AGREEMENT_TARGET = 20.0, 100.0, 1e-12


def rel_diff(a: float, b: float) -> float:
    return 0.0 if a == b else abs(a - b) / max(abs(a), abs(b))


def training_step(repeat: int) -> float:
    net = nn.MLP(2, [16, 16, 1], seed=0)
    params = net.parameters()
    loss = nn.loss_graph(net, nn.XOR)
    t = time.perf_counter()
    c = compile(loss, wrt=params)
    compile_time = time.perf_counter() - t
    order = symgrad.nodes(loss)
    by_name = {p.name: p for p in params}
    inputs = [by_name[name] for name in c.inputs]  # the function's parameter order

    def compiled() -> tuple[float, dict[str, float]]:
        return c(*[p.value for p in inputs])

    def rebuild() -> object:
        return symgrad.grad(nn.loss_graph(net, nn.XOR), params)

    def reuse() -> object:
        return nn.gradient(loss, params, order=order)

    med = medians({"compiled": compiled, "rebuild": rebuild, "reuse": reuse}, repeat)
    value, grads = compiled()
    engine = symgrad.grad(loss, params)
    worst = max(rel_diff(grads[p.name], g) for p, g in zip(params, engine, strict=True))
    ratio = med["rebuild"] / med["compiled"]
    print(f"\n1. loss + gradient, MLP 2-16-16-1 sigmoid ({len(params)} parameters), "
          f"4 XOR rows ({len(order)} nodes, {len(c.source.splitlines())} lines of code)")
    print(f"   compile once                         {compile_time * 1e3:9.1f} ms")
    print(f"   compiled call per step               {med['compiled'] * 1e3:9.3f} ms")
    print(f"   rebuild graph + symgrad.grad         {med['rebuild'] * 1e3:9.3f} ms"
          f"   {ratio:6.1f}x the compiled step (target >= {STEP_TARGET:g}x: "
          f"{'met' if ratio >= STEP_TARGET else 'MISSED'})")
    print(f"   graph built once, evaluate + grad    {med['reuse'] * 1e3:9.3f} ms"
          f"   {med['reuse'] / med['compiled']:6.1f}x the compiled step")
    print(f"   loss {value:.6f}; gradient vs the engine: max rel diff {worst:.1e}")
    print(f"   steps before compiling pays off (vs rebuild): "
          f"{compile_time / (med['rebuild'] - med['compiled']):.0f}")
    return ratio


def batch(repeat: int, n: int = 1000) -> float | None:
    try:
        import numpy as np
    except ImportError:
        print("\n2. skipped: needs NumPy (pip install 'symgrad[numpy]')")
        return None
    net = nn.MLP(2, [16, 16, 1], seed=0)
    values = {p.name: p.value for p in net.parameters()}
    x0, x1 = Var(0.0, name="x0"), Var(0.0, name="x1")
    t = time.perf_counter()
    c = compile(net([x0, x1]), wrt=[x0, x1])
    compile_time = time.perf_counter() - t
    rng = random.Random(0)
    points = [(rng.uniform(-2, 2), rng.uniform(-2, 2)) for _ in range(n)]
    xs0, xs1 = np.array([p[0] for p in points]), np.array([p[1] for p in points])

    def batched() -> object:
        return c.batch(x0=xs0, x1=xs1, **values)

    def graphs() -> list[list[float]]:
        out = []
        for a, b in points:
            u, v = Var(a, name="x0"), Var(b, name="x1")
            out.append(symgrad.grad(net([u, v]), [u, v]))
        return out

    def calls() -> object:
        return [c(x0=a, x1=b, **values) for a, b in points]

    med = medians({"batch": batched, "graphs": graphs, "calls": calls}, max(3, repeat // 3))
    _, grads = batched()
    engine = graphs()
    worst = max(max(rel_diff(float(grads["x0"][k]), g[0]), rel_diff(float(grads["x1"][k]), g[1]))
                for k, g in enumerate(engine))
    ratio = med["graphs"] / med["batch"]
    print(f"\n2. model output and d/d(inputs) at {n} points, MLP 2-16-16-1 sigmoid, "
          "parameters fixed")
    print(f"   compile once                         {compile_time * 1e3:9.1f} ms")
    print(f"   Compiled.batch (NumPy)               {med['batch'] * 1e3:9.3f} ms")
    print(f"   {n} graphs + symgrad.grad           {med['graphs'] * 1e3:9.3f} ms"
          f"   {ratio:6.1f}x the batch (target >= {BATCH_TARGET:g}x: "
          f"{'met' if ratio >= BATCH_TARGET else 'MISSED'})")
    print(f"   {n} compiled calls (floats)         {med['calls'] * 1e3:9.3f} ms"
          f"   {med['calls'] / med['batch']:6.1f}x the batch")
    print(f"   gradients vs the engine: max rel diff {worst:.1e} (target <= "
          f"{AGREEMENT_TARGET:g}: {'met' if worst <= AGREEMENT_TARGET else 'MISSED'})")
    return ratio


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=9, help="samples per measurement")
    args = ap.parse_args(argv)
    try:
        import numpy
        np_version = f"numpy {numpy.__version__}"
    except ImportError:
        np_version = "no numpy"
    print(f"python {sys.version.split()[0]}, {np_version}, {platform.machine()} "
          f"{platform.processor() or platform.platform()}, {os.cpu_count()} cpus; "
          "times are medians")
    training_step(args.repeat)
    batch(args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
