"""A single neuron learns AND: the tutorial's first network, runnable.

Two weights and a bias, a sigmoid, the sum of squared errors over the four rows of
the truth table, plain gradient descent with learning rate 1.0 for 2000 steps.  It
prints the untrained predictions, trains, and prints the trained ones::

    python examples/and_gate.py                          # backprop
    python examples/and_gate.py --method finite-difference
    python examples/and_gate.py --method both --plot and_loss.png
    python examples/and_gate.py --graph and_loss.svg     # the loss's computation graph

All the work is done by :func:`symgrad.nn.demo`; this script only reads the options.
"""

from __future__ import annotations

import argparse
import sys

import symgrad
from symgrad import nn


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="A single sigmoid neuron learns AND.")
    ap.add_argument("--method", choices=[*nn.METHODS, "both"], default="backprop",
                    help="how to get the gradient (default: backprop)")
    ap.add_argument("--fd", choices=nn.FD_METHODS, default="central",
                    help="finite-difference formula (default: central)")
    ap.add_argument("--steps", type=int, default=2000, help="gradient steps (default 2000)")
    ap.add_argument("--lr", type=float, default=1.0, help="learning rate (default 1.0)")
    ap.add_argument("--seed", type=int, default=0, help="initialisation seed (default 0)")
    ap.add_argument("--plot", metavar="PATH", help="write the loss curve here (.png/.svg)")
    ap.add_argument("--graph", metavar="PATH",
                    help="write the computation graph of the untrained neuron's loss, with "
                         "every node's gradient, here "
                         "(.svg, .png, .pdf or .dot)")
    args = ap.parse_args(argv)
    try:
        nn.demo("and", method=args.method, fd=args.fd, steps=args.steps, lr=args.lr,
                seed=args.seed, plot=args.plot)
        if args.graph:
            # The same initial neuron as the demo's (same seed), before training.
            loss = nn.loss_graph(nn.Neuron(2, seed=args.seed), nn.AND)
            loss.backward()  # so every node shows d loss / d node
            symgrad.draw(loss, output_name="loss", show="number").save(args.graph)
            print(f"computation graph of the loss written to {args.graph}")
    except symgrad.SymgradError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
