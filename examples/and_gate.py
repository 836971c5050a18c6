"""A single neuron learns AND: the tutorial's first network, runnable.

Two weights and a bias, a sigmoid, the sum of squared errors over the four rows of
the truth table, plain gradient descent with learning rate 1.0 for 2000 steps.  It
prints the untrained predictions, trains, and prints the trained ones::

    python examples/and_gate.py                          # backprop
    python examples/and_gate.py --method finite-difference
    python examples/and_gate.py --method both --plot and_loss.png
    python examples/and_gate.py --graph and_loss.svg     # the loss's computation graph

This is ``symgrad train and``: every option of that command works here, and all the
work is done by :func:`symgrad.tutorial.demo`.  In Python::

    from symgrad import tutorial, nn
    neuron = nn.Neuron(2, seed=0)                        # w0, w1, b
    history = nn.train(neuron, nn.AND, method="backprop", lr=1.0, steps=2000)
"""

import sys

from symgrad.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["train", "and", *sys.argv[1:]]))
