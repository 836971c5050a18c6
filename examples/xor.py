"""XOR: a single neuron cannot learn it; a hidden layer of two neurons can.

The tutorial's second network: 2 inputs, a hidden layer of 2 sigmoid neurons, 1
sigmoid output (9 parameters), sum of squared errors, learning rate 1.0, 2000 steps::

    python examples/xor.py                               # 2-2-1 network, backprop
    python examples/xor.py --hidden 0                    # a single neuron: stuck at 0.5
    python examples/xor.py --method both --plot xor_loss.png
    python examples/xor.py --seed 2                      # one of the seeds that gets stuck

All the work is done by :func:`symgrad.nn.demo`; this script only reads the options.
"""

from __future__ import annotations

import argparse
import sys

import symgrad
from symgrad import nn


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="A 2-2-1 sigmoid network learns XOR.")
    ap.add_argument("--method", choices=[*nn.METHODS, "both"], default="backprop",
                    help="how to get the gradient (default: backprop)")
    ap.add_argument("--fd", choices=nn.FD_METHODS, default="central",
                    help="finite-difference formula (default: central)")
    ap.add_argument("--hidden", type=int, default=2,
                    help="hidden neurons; 0 for a single neuron (default 2)")
    ap.add_argument("--steps", type=int, default=2000, help="gradient steps (default 2000)")
    ap.add_argument("--lr", type=float, default=1.0, help="learning rate (default 1.0)")
    ap.add_argument("--seed", type=int, default=0, help="initialisation seed (default 0)")
    ap.add_argument("--plot", metavar="PATH", help="write the loss curve here (.png/.svg)")
    args = ap.parse_args(argv)
    try:
        nn.demo("xor", method=args.method, fd=args.fd, hidden=args.hidden,
                steps=args.steps, lr=args.lr, seed=args.seed, plot=args.plot)
    except symgrad.SymgradError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
