"""The cost of one gradient: finite differences against backprop, as networks grow.

For sigmoid MLPs with 9, 33 and 337 parameters, on the XOR data with the
sum-of-squared-errors loss, this times in one process (medians of interleaved
samples):

* ``eval``  one forward evaluation of the already-built loss graph
  (``symgrad.evaluate(loss, order)``), the unit every other cost is measured in;
* ``build`` building the loss graph from scratch (``nn.loss_graph``);
* ``bp``    one gradient by backprop (``nn.gradient``: one evaluation plus one reverse
  pass, "the loss and its gradient together", which is what a training step pays);
* ``rev``   the reverse pass alone (``symgrad.backprop.adjoints``);
* ``fd``    one gradient by central finite differences (``nn.gradient`` with
  ``method="finite-difference"``: 2 evaluations per parameter);
* ``fd-fwd`` the same with forward differences (1 evaluation per parameter).

The "cheap gradient" result says the loss and its gradient together cost a small
constant multiple of one evaluation however many parameters there are; the target here
is ``bp <= 4 x eval`` at 337 parameters (``bp`` includes the evaluation).
Finite differences grow with the parameter count.  The two gradients must also agree:
the max relative error is printed (componentwise, over the components larger than 1e-8
in size, and against the largest component).

Run: ``python bench/training.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys

from timing import per_call  # bench/timing.py

from symgrad import evaluate, nn, nodes
from symgrad.backprop import adjoints

NETS = [("2-2-1", [2, 1]), ("2-8-1", [8, 1]), ("2-16-16-1", [16, 16, 1])]
TARGET = 4.0


def measure(sizes: list[int], repeat: int) -> dict[str, float | int]:
    net = nn.MLP(2, sizes, seed=0)
    params = net.parameters()
    loss = nn.loss_graph(net, nn.XOR)
    order = nodes(loss)
    tasks = {
        "eval": lambda: evaluate(loss, order),
        "build": lambda: nn.loss_graph(net, nn.XOR),
        "bp": lambda: nn.gradient(loss, params, order=order),
        "rev": lambda: adjoints(loss),
        "fd": lambda: nn.gradient(loss, params, "finite-difference", order=order),
        "fd-fwd": lambda: nn.gradient(loss, params, "finite-difference", fd="forward",
                                      order=order),
    }
    samplers = {k: per_call(f, 0.02) for k, f in tasks.items()}
    # Fewer samples for the slow finite differences; interleave so drift hits all alike.
    times: dict[str, list[float]] = {k: [] for k in tasks}
    for i in range(repeat):
        for k, sample in samplers.items():
            if k.startswith("fd") and i >= max(3, repeat // 3):
                continue
            times[k].append(sample())
    med = {k: statistics.median(v) for k, v in times.items()}

    bp = nn.gradient(loss, params, order=order)
    fd = nn.gradient(loss, params, "finite-difference", order=order)
    scale = max(max(abs(a), abs(b)) for a, b in zip(bp, fd, strict=True))
    comp = [abs(a - b) / max(abs(a), abs(b)) for a, b in zip(bp, fd, strict=True)
            if max(abs(a), abs(b)) > 1e-8]
    return {
        "params": len(params), "nodes": len(order), **med,
        "rel_err": max(comp, default=0.0),
        "rel_err_scaled": max(abs(a - b) for a, b in zip(bp, fd, strict=True)) / scale,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=15, help="samples per measurement")
    args = ap.parse_args(argv)
    print(f"python {sys.version.split()[0]}; loss = SSE over the 4 XOR rows; "
          "times are medians; 'x eval' = multiples of one forward evaluation")
    head = (f"{'net':<10} {'params':>6} {'nodes':>6} {'eval':>9} {'build':>9} "
            f"{'bp':>9} {'bp/eval':>8} {'rev/eval':>8} {'fd':>10} {'fd/eval':>8} {'fd-fwd':>10} "
            f"{'fd/bp':>7} {'max rel err':>11} {'(vs max|g|)':>11}")
    print(head)
    print("-" * len(head))
    worst = 0.0
    for label, sizes in NETS:
        r = measure(sizes, args.repeat)
        worst = r["bp"] / r["eval"] if r["params"] == 337 else worst
        print(f"{label:<10} {r['params']:>6} {r['nodes']:>6} "
              f"{r['eval'] * 1e3:>7.3f}ms {r['build'] * 1e3:>7.3f}ms "
              f"{r['bp'] * 1e3:>7.3f}ms {r['bp'] / r['eval']:>7.2f}x "
              f"{r['rev'] / r['eval']:>7.2f}x "
              f"{r['fd'] * 1e3:>8.2f}ms {r['fd'] / r['eval']:>7.1f}x "
              f"{r['fd-fwd'] * 1e3:>8.2f}ms {r['fd'] / r['bp']:>6.1f}x "
              f"{r['rel_err']:>11.2e} {r['rel_err_scaled']:>11.2e}")
    verdict = "met" if worst <= TARGET else "MISSED"
    print(f"\ncheap gradient at 337 parameters: loss + gradient by backprop = {worst:.2f} x "
          "one evaluation "
          f"(target <= {TARGET:g}: {verdict})")
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
