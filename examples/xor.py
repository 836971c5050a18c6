"""XOR: a single neuron cannot learn it; a hidden layer of two neurons can.

The tutorial's second network: 2 inputs, a hidden layer of 2 sigmoid neurons, 1
sigmoid output (9 parameters), sum of squared errors, learning rate 1.0, 2000 steps::

    python examples/xor.py                               # 2-2-1 network, backprop
    python examples/xor.py --hidden 0                    # a single neuron: stuck at 0.5
    python examples/xor.py --method both --plot xor_loss.png
    python examples/xor.py --seed 2                      # one of the seeds that gets stuck

This is ``symgrad train xor``: every option of that command works here, and all the
work is done by :func:`symgrad.tutorial.demo`.  In Python::

    from symgrad import tutorial, nn
    net = nn.MLP(2, [2, 1], seed=0)                      # 9 parameters
    history = nn.train(net, nn.XOR, method="finite-difference", lr=1.0, steps=2000)
"""

import sys

from symgrad.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["train", "xor", *sys.argv[1:]]))
