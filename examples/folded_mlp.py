"""The README's folded network: the XOR network's loss on one row, each neuron one node.

``nn.MLP(2, [2, 1], seed=0)`` on the row (1, 0) with target 1, after backprop, drawn
with ``fold="neurons"``: every neuron is one node showing its output and its ``grad``;
the edges into it carry the composite derivative of its output with respect to each
input (``∂/∂w0 = u₁·σ′(z)``), computed by backprop inside the neuron.  Writes
``folded_mlp.png`` and ``folded_mlp.svg`` into ``docs/figures/`` (or ``--out DIR``).

::

    python examples/folded_mlp.py
    python examples/folded_mlp.py --out /tmp/figs --formats svg png dot
"""

from __future__ import annotations

from chain_rule import write_figures  # the same writer as the tutorial's figures

from symgrad import draw, nn
from symgrad.render import Diagram


def folded_mlp() -> Diagram:
    """The 2-2-1 network's squared error on (1, 0) → 1, folded by neurons."""
    model = nn.MLP(2, [2, 1], seed=0)
    loss = nn.loss_graph(model, [([1, 0], 1)])
    loss.backward()
    return draw(loss, fold="neurons", output_name="L")


def main(argv: list[str] | None = None) -> int:
    return write_figures({"folded_mlp": folded_mlp},
                         "Write the README's folded network figure.", argv)


if __name__ == "__main__":
    raise SystemExit(main())
