"""Engine benchmark: symgrad against the ``micrograd`` package, in the same process.

Run:  python bench/engine.py [--rounds 7]      (needs: pip install 'symgrad[bench]')

1. micrograd's demo network, an MLP 2-16-16-1 with ReLU, squared error over a batch
   of 50 points: build the loss graph and backprop it.  The two libraries run
   interleaved, round by round; we print the median and best of the rounds and the
   ratio symgrad / micrograd (target: <= 0.12).
2. A chain ``y = relu(y * w + b)`` of 10^3 to 10^6 ops: microseconds per op for
   building and for backward (targets at 10^5: backward <= 0.5 us/op and faster than
   micrograd's; build + backward <= 1.2, within 30% from 10^3 to 10^6), with micrograd
   alongside up to 10^5 (its recursive topological sort runs in a big-stack thread).
   A diagnostic row repeats the chains with the cyclic collector paused, to show how
   much of the growth with size is the collector's.
3. Bytes per node, measured with tracemalloc (micrograd: ~660).

The garbage collector stays ON while timing, as users run it.  ``gc.collect()`` runs
between measurements (outside the timed region), because micrograd's graphs are
reference cycles (closures that capture their own node) that only the collector can
free: without it one library's garbage would be scanned on the other's clock.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import threading
import time
import tracemalloc

import symgrad
from symgrad import Var

try:
    from micrograd.engine import Value
    from micrograd.nn import MLP as MicroMLP
except ImportError:  # pragma: no cover - the bench extra is missing
    sys.exit("bench/engine.py needs micrograd: pip install 'symgrad[bench]'")


# -- the demo MLP ---------------------------------------------------------------------------

def symgrad_mlp(seed: int):
    """An MLP 2-16-16-1 (ReLU, ReLU, linear) made of Vars, like micrograd.nn.MLP."""
    rng = random.Random(seed)
    layers = []
    for n_in, n_out, relu in ((2, 16, True), (16, 16, True), (16, 1, False)):
        neurons = [([Var(rng.uniform(-1, 1)) for _ in range(n_in)], Var(0.0))
                   for _ in range(n_out)]
        layers.append((neurons, relu))

    def forward(x):
        for neurons, relu in layers:
            outs = []
            for w, b in neurons:
                act = sum((wi * xi for wi, xi in zip(w, x, strict=True)), b)
                outs.append(act.relu() if relu else act)
            x = outs
        return x[0]

    return forward


def micrograd_mlp(seed: int):
    random.seed(seed)
    return MicroMLP(2, [16, 16, 1])


def batch(seed: int = 1, n: int = 50):
    rng = random.Random(seed)
    xs = [[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(n)]
    ys = [1.0 if x0 * x1 > 0 else -1.0 for x0, x1 in xs]
    return xs, ys


def loss_and_backward(model, xs, ys):
    loss = sum((model(x) - y) ** 2 for x, y in zip(xs, ys, strict=True))
    loss.backward()
    return loss


def timed(fn):
    gc.collect()
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def bench_mlp(rounds: int) -> None:
    xs, ys = batch()
    ours, theirs = [], []
    for r in range(rounds):
        sg, mg = symgrad_mlp(r), micrograd_mlp(r)
        pair = [("symgrad", sg, ours), ("micrograd", mg, theirs)]
        if r % 2:
            pair.reverse()  # interleave: neither library always runs first
        for _, model, sink in pair:
            t, loss = timed(lambda model=model: loss_and_backward(model, xs, ys))
            sink.append(t)
            del loss
    n_ops = _ops_in_loss(xs, ys)
    print(f"MLP 2-16-16-1 (ReLU), squared error over {len(xs)} points, build + backward "
          f"({n_ops} ops), {rounds} interleaved rounds:")
    for name, ts in (("symgrad", ours), ("micrograd", theirs)):
        print(f"  {name:9s}  median {statistics.median(ts) * 1e3:7.1f} ms   "
              f"best {min(ts) * 1e3:7.1f} ms   ({statistics.median(ts) / n_ops * 1e6:.2f} us/op)")
    ratio = statistics.median(ours) / statistics.median(theirs)
    print(f"  ratio symgrad/micrograd: median {ratio:.3f}"
          f"   best {min(ours) / min(theirs):.3f}   (target <= 0.12)")


def _ops_in_loss(xs, ys) -> int:
    model = symgrad_mlp(0)
    loss = sum((model(x) - y) ** 2 for x, y in zip(xs, ys, strict=True))
    return sum(1 for v in symgrad.nodes(loss) if v.op is not None and not v.is_constant)


# -- chains ---------------------------------------------------------------------------------

def chain(cls, n_steps: int):
    x, w, b = cls(0.5), cls(0.9), cls(0.1)
    y = x
    for _ in range(n_steps):
        y = (y * w + b).relu()
    return y


def in_big_stack(fn):
    """Run ``fn`` in a thread with a 1 GiB stack: micrograd's topological sort recurses
    once per node, so at 10^5 ops it needs far more than the main thread's stack."""
    result = []
    threading.stack_size(1 << 30)
    try:
        t = threading.Thread(target=lambda: result.append(fn()))
        t.start()
        t.join()
    finally:
        threading.stack_size(0)
    return result[0]


def bench_chain(sizes: list[int], micro_max: int) -> None:
    print("\nchain y = relu(y*w + b), 3 ops a step: us per op (median of 5; one run at 10^6)")
    print(f"  {'ops':>9s}  {'build':>7s}  {'backward':>8s}  {'total':>7s}"
          "    micrograd build/backward/total (in a thread with a big stack)")
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * micro_max + 1000))
    totals = {}
    for n_ops in sizes:
        steps = n_ops // 3
        row = []
        libs = [("symgrad", Var)] + ([("micrograd", Value)] if n_ops <= micro_max else [])
        for lib, cls in libs:
            builds, backs = [], []
            for _ in range(5 if n_ops < 10**6 else 1):
                tb, y = timed(lambda cls=cls, steps=steps: chain(cls, steps))
                gc.collect()
                if lib == "micrograd":
                    def backward(y=y):
                        start = time.perf_counter()
                        y.backward()
                        return time.perf_counter() - start
                    backs.append(in_big_stack(backward))
                else:
                    start = time.perf_counter()
                    y.backward()
                    backs.append(time.perf_counter() - start)
                builds.append(tb)
                del y
            b, k = statistics.median(builds) / n_ops * 1e6, statistics.median(backs) / n_ops * 1e6
            row.append((b, k))
        (b, k), rest = row[0], row[1:]
        totals[n_ops] = b + k
        micro = (f"{rest[0][0]:.2f} / {rest[0][1]:.2f} / {sum(rest[0]):.2f}" if rest
                 else "(not run)")
        print(f"  {n_ops:>9d}  {b:7.2f}  {k:8.2f}  {b + k:7.2f}    {micro}")
    spread = max(totals.values()) / min(totals.values())
    print(f"  build + backward, largest / smallest over these sizes: {spread:.2f} "
          "(target: within 30%, <= 1.30)")
    # Where the growth comes from: the same chains with the cyclic collector paused (a
    # diagnostic only; users run with it on).  Each node is one object the collector
    # tracks, and CPython rescans every tracked object whenever their number has grown
    # by a quarter, so with it on the time per op grows with the heap.
    paused = {}
    for n_ops in sizes:
        runs = []
        for _ in range(3 if n_ops < 10**6 else 1):
            gc.collect()
            gc.disable()
            try:
                start = time.perf_counter()
                y = chain(Var, n_ops // 3)
                y.backward()
                runs.append((time.perf_counter() - start) / n_ops * 1e6)
            finally:
                gc.enable()
            del y
        paused[n_ops] = statistics.median(runs)
    cells = "  ".join(f"{n:.0e}: {t:.2f}" for n, t in paused.items())
    print(f"  diagnostic, collector paused: build + backward us/op  {cells}; largest / "
          f"smallest {max(paused.values()) / min(paused.values()):.2f}")


def bytes_per_node(cls, steps: int = 30_000, scoped: bool = False) -> float:
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    if scoped:  # built inside nested scopes, as nn models build theirs
        with symgrad.scope("layer0"), symgrad.scope("neuron1"):
            y = chain(cls, steps)
    else:
        y = chain(cls, steps)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del y
    return (after - before) / (3 * steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, symgrad {symgrad.__version__}, gc on\n")
    bench_mlp(3 if args.quick else args.rounds)
    sizes = [10**3, 10**4] if args.quick else [10**3, 10**4, 10**5, 10**6]
    bench_chain(sizes, micro_max=10**5)
    ours, theirs = bytes_per_node(Var), bytes_per_node(Value)
    scoped = bytes_per_node(Var, scoped=True)
    print(f"\nbytes per node (tracemalloc, chain): symgrad {ours:.0f}, micrograd {theirs:.0f}"
          f", ratio {ours / theirs:.2f}")
    print(f"bytes per node built inside scopes (layer0/neuron1): symgrad {scoped:.0f} "
          f"(target <= 200: {'ok' if scoped <= 200 else 'MISSED'})")


if __name__ == "__main__":
    main()
