"""Forward mode: derivatives with respect to ONE input, pushed from the inputs up.

Reverse mode (:mod:`symgrad.backprop`) starts at the output and, in one pass, gives
d out / d node for every node, so one pass per *output* yields the whole gradient.
Forward mode starts at one input ``x`` and, in one pass in topological order, gives
the *tangent* d node / d x of every node: ``tangent(node) = Σ ∂node/∂input · tangent(input)``
over the node's inputs.  One pass per *input*: the gradient of a function of ``n``
inputs takes ``n`` forward passes and one reverse pass.

Both modes use the op table's partial rules in the float namespace
(:data:`symgrad.ops.FLOAT`); there is no second rule set.  They meet at the same number:

>>> from symgrad import Var, grad
>>> x, y = Var(2.0, name="x"), Var(1.0, name="y")
>>> z = (x**2 + 3)**2 + x * y
>>> t = tangents(z, x)
>>> t[x], t[y], t[z]
(1.0, 0.0, 57.0)
>>> forward_grad(z, [x, y]) == grad(z, [x, y])
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, overload

from .errors import DomainError
from .graph import check_var, local_partial, nodes
from .ops import CONST
from .var import Var

__all__ = ["forward_grad", "tangents"]


def tangents(out: Var, wrt: Var, order: list[Var] | None = None) -> dict[Var, float]:
    """d node / d ``wrt`` for every node of the graph under ``out``, in one forward sweep.

    The sweep visits :func:`symgrad.graph.nodes` in order (inputs first) and sets each
    op node's tangent to the sum over its inputs of the local partial (the op table's
    rule, as :func:`symgrad.graph.local_partial` evaluates it) times the input's
    tangent.  Conventions:

    - ``wrt`` gets tangent 1; every other input and every constant gets 0.
    - ``wrt`` may be an inner node: it is then treated as an independent variable.
      Its tangent is seeded to 1 and the contributions of its own inputs are ignored,
      so ``tangents(out, v)[out]`` is the sum over the paths from ``out`` down to ``v``,
      the same number as ``grad(out, v)``.  Nodes below ``v`` get tangent 0.
    - A constant ``wrt``, or a Var that is not in the graph, gives 0 everywhere but
      itself, as :func:`symgrad.grad` gives 0 for it.
    - The partial along an edge whose input has tangent 0 is never computed: nothing
      flows along it.  So an undefined partial (``sqrt`` at 0, say) on a branch that
      does not depend on ``wrt`` raises nothing, where a reverse pass would raise.

    A partial that is undefined or not finite on an edge that carries a tangent
    raises :class:`~symgrad.errors.DomainError` naming the op and its arguments, as
    reverse mode does.  Iterative: any depth is fine.  Pass ``order``
    (:func:`symgrad.nodes` of ``out``) when sweeping one graph for many inputs.

    >>> from symgrad import Var
    >>> x = Var(3.0, name="x")
    >>> h = x * x
    >>> f = h + 1
    >>> t = tangents(f, x)
    >>> t[x], t[h], t[f]
    (1.0, 6.0, 6.0)
    """
    check_var(out)
    check_var(wrt, "wrt")
    tan: dict[Var, float] = {}
    seed_ok = wrt.op is not CONST
    for node in nodes(out) if order is None else order:
        op = node.op
        if node is wrt and seed_ok:
            tan[node] = 1.0
            continue
        if op is None or op is CONST:
            tan[node] = 0.0
            continue
        t = 0.0
        for i, a in enumerate(node.inputs):
            ta = tan[a]
            if ta == 0.0:  # constants, and branches that do not depend on wrt
                continue
            local = local_partial(node, i)  # DomainError, worded as reverse mode words it
            if local - local != 0.0:
                raise DomainError(f"a local derivative of {_call(node)} is undefined "
                                  f"(d/d{'ab'[i]} is {local!r})")
            t += local * ta
        if t - t != 0.0:
            raise DomainError(f"the derivative of {_call(node)} with respect to "
                              f"{wrt.name or 'the input'} overflows ({t!r})")
        tan[node] = t
    return tan


def _call(node: Var) -> str:
    """``mul(x=2.0, 3.0)``: an op node and its arguments, for an error message."""
    args = ", ".join(f"{a.name}={a.value!r}" if a.op is None else repr(a.value)
                     for a in node.inputs)
    return f"{node.op.name if node.op else 'input'}({args})"


@overload
def forward_grad(out: Var, wrt: Var) -> float: ...
@overload
def forward_grad(out: Var, wrt: Sequence[Var]) -> list[float]: ...


def forward_grad(out: Var, wrt: Var | Sequence[Var]) -> Any:
    """d out / d wrt by forward mode: a float, or a list for a sequence of Vars.

    Each Var in ``wrt`` costs one forward sweep over the whole graph (see
    :func:`tangents`), where reverse mode (:func:`symgrad.grad`) gets every input's
    derivative from one sweep.  The numbers agree with :func:`symgrad.grad` up to
    rounding (the terms are summed in a different order).

    >>> from symgrad import Var
    >>> x, y = Var(2.0, name="x"), Var(5.0, name="y")
    >>> forward_grad(x * y + x, x), forward_grad(x * y + x, [x, y])
    (6.0, [6.0, 2.0])
    """
    check_var(out)
    if isinstance(wrt, Var):
        return tangents(out, wrt)[out]
    if isinstance(wrt, str | bytes) or not isinstance(wrt, Sequence):
        check_var(wrt, "wrt")  # raises: a Var or a sequence of Vars, nothing else
    targets = [check_var(t, "each wrt") for t in wrt]
    order = nodes(out)
    return [tangents(out, t, order)[out] for t in targets]
