"""What backprop computes, as straight-line Python generated from the op table.

:func:`compile` turns a graph into one function.  The forward pass computes each
operation on a line of its own; a value that one line uses once, and nothing else, gets
no variable but is written where it is used (a neuron's weighted sum is one statement,
a line per input).  The reverse pass writes each derivative once, when it is complete,
as one sum with a line per edge, ``g_k = (g_a * local_a + g_b * local_b ...)``: its
terms in the order the engine adds them, so the numbers are the engine's, bit for bit.
Nothing is written twice: the code comes from running each op's value and partial
rules on :data:`SOURCE`, a math namespace whose objects (:class:`Source`) write Python
text instead of computing numbers.  The same code then runs on floats or, through
:meth:`Compiled.batch`, on NumPy arrays.

User text never reaches the code: variables are ``v0, v1, ...`` (values) and ``g0, g1,
...`` (derivatives of the output), numbers are ``repr`` of finite floats, and input
names appear only in comments, with every unprintable character replaced by ``?``.

>>> from symgrad import Var
>>> x = Var(2.0, name="x")
>>> c = compile((x**2 + 3)**2 + x)            # two paths from the output to x
>>> c(x=2)
(51.0, {'x': 57.0})
>>> c(3)                                      # positionally, in symgrad.leaves order
(147.0, {'x': 145.0})
>>> print(c.source)
def value_and_grad(v0):
...
    v4 = (pow(v2, 2.0)  # v3 = pow(v2, 2.0)
          + v0)  # v4 = v3 + x
...
    g0 = (g4  # ∂(+)/∂b = 1 along v4 → v0 (x)
          + g2 * (2.0 * pow(v0, 1.0)))  # ∂(^)/∂a along v1 → v0 (x)
    return v4, (g0,), ok
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from .codegen import ATOM, BARE, MUL, SOURCE, Source, as_source, clean, literal, primitives, wrap
from .compiled import Compiled
from .errors import InputError, SymgradError
from .graph import nodes
from .ops import CONST, FLOAT, Op
from .var import Var

__all__ = ["CHUNK", "Compiled", "compile"]

#: Statements per generated function.  Longer code is split into ``part0, part1, ...``
#: sharing a list ``s`` of slots: CPython compiles one huge function slowly and with a
#: lot of memory (300,000 lines: 4 s and 1 GB here).
CHUNK = 20000
_OK_GROUP = 8  # values summed per ``ok`` line
#: Terms per sum statement: CPython compiles a sum recursively, and a sum of some
#: thousands of terms exhausts its stack.
_TERMS = 200


class _Stmt(NamedTuple):
    target: int  # a slot; -1 for a comment line
    mode: str  # "=", "+="
    text: str
    reads: tuple[int, ...]
    comment: str
    more: tuple[tuple[str, str], ...] = ()  # a sum's further terms: (text, comment), a line each


class _Form(NamedTuple):  # a value written where it is used, or its statement
    expr: Source
    lines: tuple[tuple[str, tuple[str, ...]], ...]  # (code, what each op on the line is)
    nodes: int  # the operations in it
    single: str  # the comment when it is one operation: "× : x * y"


class _Term(NamedTuple):  # one edge's term of a derivative
    sign: str  # "+" or "-"
    unit: bool  # the local derivative is exactly 1: the term is a g, passed on
    along: str  # the comment: which local derivative, along which edge
    text: str  # g_k, or g_k * (local derivative)
    reads: tuple[int, ...]  # g_k's slot first


_PROBES = (-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0)


def _hides(op: Op) -> tuple[bool, ...]:
    """Per argument, whether ``op`` can give a finite value from an inf or nan there
    (1/inf = 0): the values going in there are checked, found by probing the rule once."""
    found = []
    for i in range(op.arity):
        hide = False
        for bad in (math.inf, -math.inf, math.nan):
            for other in itertools.product(_PROBES, repeat=op.arity - 1):
                try:
                    r = op.value(FLOAT, *other[:i], bad, *other[i:])
                except (ArithmeticError, ValueError, TypeError):
                    continue
                hide = hide or r - r == 0.0
        found.append(hide)
    return tuple(found)


def _rule(op: Op, rule: Callable[..., Any], *args: Any) -> Source:
    try:
        return as_source(rule(SOURCE, *args))
    except (TypeError, AttributeError, ArithmeticError, ValueError) as exc:
        raise SymgradError(f"a rule of op {op.name!r} cannot be written as code ({exc}); "
                           f"rules may use + - * / ** and {', '.join(primitives())}") from None


def _partial(op: Op, i: int, *args: Source) -> Source:
    """The local derivative along argument ``i``.  Known numbers go in as numbers, as the
    engine's floats do, so a rule that looks at one (pow's ``b == 0``) takes the engine's
    branch; if arithmetic on them alone fails (1/0), they go in as text, to fail at run
    time as the engine does."""
    try:
        return as_source(op.partials[i](SOURCE, *[a if a.num is None else a.num for a in args]))
    except (TypeError, AttributeError, ArithmeticError, ValueError):
        return _rule(op, op.partials[i], *args)


def _resolve_wrt(wrt: object, inputs: list[Var]) -> list[Var]:
    items = inputs if wrt is None else [wrt] if isinstance(wrt, (Var, str)) else wrt
    if not isinstance(items, Iterable):
        raise InputError(f"wrt must be an input Var, its name, or a list of them, got {wrt!r}")
    by_name, known, found = {v.name: v for v in inputs}, set(inputs), []
    for item in items:
        leaf = by_name.get(item) if isinstance(item, str) else item
        if not isinstance(leaf, Var) or leaf not in known:
            raise InputError(f"wrt: {item!r} is not an input of the expression (its inputs: "
                             f"{', '.join(repr(v.name) for v in inputs) or 'none'})")
        if leaf not in found:
            found.append(leaf)
    return found


def compile(out: Var, wrt: Var | str | Iterable[Var | str] | None = None) -> Compiled:
    """Generate straight-line Python for ``out`` and its derivatives; see :class:`Compiled`.

    ``wrt`` picks the inputs to differentiate by (Vars or names); the default is every
    input, in :func:`symgrad.leaves` order.  Every input is a parameter of the function.
    """
    order = nodes(out)
    inputs = [v for v in order if v.op is None]
    names = [str(v.name) for v in inputs]
    if len(set(names)) < len(names):
        twice = next(n for n in names if names.count(n) > 1)
        raise InputError(f"different inputs share the name {twice!r}; give them distinct "
                         "names (a compiled function takes its inputs by name)")
    targets = _resolve_wrt(wrt, inputs)
    slot = {v: i for i, v in enumerate(inputs)}
    ops = [v for v in order if v.op is not None and v.op is not CONST]
    for v in ops:
        slot[v] = len(slot)
    n, first = len(slot), len(inputs)
    ok = 2 * n  # slots: values v0..v(n-1), derivatives g0..g(n-1), then ok
    labels = {v: clean(str(v.name), 24) for v in inputs}

    known: dict[Var, Source] = {}  # nodes whose value is a number or another node's
    var = {v: Source(f"v{i}", ATOM, (i,)) for v, i in slot.items()}

    def arg(v: Var, shown: bool = False) -> Source:
        if v.op is CONST:
            return literal(v.value)
        if shown and v in labels:
            return Source(labels[v], ATOM, (slot[v],))
        return known[v] if v in known else var[v]

    # First the facts: which values are known while building, what the ok checks and the
    # local derivatives read, and how many lines read each value.
    reaches, wanted = set(), set(targets)
    for v in order:
        if v in wanted or any(a in reaches for a in v.inputs):
            reaches |= {v}
    plan: list[tuple[Op, tuple[int | float, ...]]] = []
    locals_: dict[int, Source] = {}  # 8 * slot + argument (a to h) -> local derivative
    kept = {slot[out]} if out in slot else set()  # values the code must keep in a variable
    uses: dict[int, int] = {}  # how often lines of code read each value
    hides: dict[int, tuple[bool, ...]] = {}
    group: list[int] = []
    checked: set[int] = set()
    oks: dict[Var | None, _Stmt] = {}  # the ok line after an op (None: after the last)

    def check(v: Var | None) -> None:  # ok sums the values an op could hide
        if group and (v is None or len(group) >= _OK_GROUP):
            more = ok in checked
            oks[v] = _Stmt(ok, "+=" if more else "=", " + ".join(f"v{i}" for i in group),
                           (*group, *[ok] * more), "" if more else
                           "the values an op could hide if inf or nan (1/inf = 0)")
            checked.update((ok, *group))
            group.clear()

    for v in ops:
        op, k = v.op, slot[v]
        assert op is not None
        args = [arg(a) for a in v.inputs]
        expr = _rule(op, op.value, *args)
        if expr.num is not None or (BARE.fullmatch(expr.text) and expr.text[0] == "v"):
            known[v] = expr  # (v * 1.0 is v, v * 0.0 is 0.0): no line of code
            kept |= expr.refs
        for a in v.inputs:
            if v not in known and a.op is not CONST and a not in known:
                uses[slot[a]] = uses.get(slot[a], 0) + 1
        for i, a in enumerate(v.inputs):
            if v in reaches and a in reaches and a.op is not CONST:
                locals_[8 * k + i] = _partial(op, i, arg(v), *args)
                kept |= locals_[8 * k + i].refs
        plan.append((op, tuple(a.value if a.op is CONST else slot[a] for a in v.inputs)))
        hide = hides.get(id(op)) or hides.setdefault(id(op), _hides(op))
        group += [j for a, h in zip(args, hide, strict=True) if h for j in a.refs
                  if j >= first and j not in checked and j not in group]
        check(v)
    check(None)
    kept |= checked

    # The forward pass: a line per operation.  A value that one line reads once, and
    # nothing else, gets no variable: it is written where it is read, a sum continued on
    # the next line, or one operation inside another's line.
    stmts = [_Stmt(-1, "", "", (), "forward pass: one line per operation; a value used "
                                   "once is written where it is used")]
    pending: dict[Var, _Form] = {}

    def emit(v: Var) -> None:
        form = pending.pop(v)
        (text, notes), *more = form.lines
        stmts.append(_Stmt(slot[v], "=", text, tuple(sorted(form.expr.refs)),
                           form.single if form.nodes == 1 else "; ".join(notes),
                           tuple((t, "; ".join(c)) for t, c in more)))

    def build(v: Var) -> Source:
        assert v.op is not None
        return _rule(v.op, v.op.value, *[pending[a].expr if a in pending else arg(a)
                                          for a in v.inputs])

    for v in ops:
        op, k = v.op, slot[v]
        assert op is not None
        shown = _rule(op, op.value, *[arg(a, True) for a in v.inputs]).text
        if v in known:
            stmts.append(_Stmt(-1, "", "", (), f"v{k} is {known[v].text}, known while building; "
                                               f"{op.symbol} : {shown}"))
        else:
            head = v.inputs[0]
            for a in v.inputs:  # only the first argument continues over several lines
                if a in pending and ((pending[a].nodes > 1 and a is not head)
                                     or len(pending[a].lines) >= _TERMS):
                    emit(a)
            expr = build(v)
            rest = ""
            if head in pending:
                lead = pending[head].expr.text + " "
                rest = expr.text[len(lead):] if expr.text.startswith(lead) else ""
                if not re.match(r"(\*\*|[-+*/]) ", rest) and pending[head].nodes > 1:
                    emit(head)
                    expr = build(v)
            inner = [a for a in dict.fromkeys(v.inputs) if a in pending]
            notes = [c for a in inner if a is not head or not rest
                     for _, cs in pending[a].lines for c in cs] + [f"v{k} = {shown}"]
            lines = ((*pending[head].lines, (rest, tuple(notes))) if rest and head in pending
                     else ((expr.text, tuple(notes)),))
            pending[v] = _Form(expr, lines, 1 + sum(pending.pop(a).nodes for a in inner),
                               f"{op.symbol} : {shown}")
            if uses.get(k) != 1 or k in kept:
                emit(v)
        stmts += [oks[v]] if v in oks else []
    stmts += [oks[None]] if None in oks else []
    assert not pending, pending
    if ok not in checked:
        stmts.append(_Stmt(ok, "=", "0.0", (), "no op could hide an inf or nan"))

    stmts.append(_Stmt(-1, "", "", (), "reverse pass: g_k = ∂(output)/∂(v_k), one line per edge"))
    terms: dict[int, list[_Term]] = {}
    alias: dict[int, int] = {}  # g_j is g_alias[j]: its one term passed on a 1
    edges: list[tuple[int, int]] = []  # (plan index, argument position)

    def finish(j: int, why: str) -> None:  # g_j is complete: write it
        ts = terms.pop(j, [])
        if not ts:
            stmts.append(_Stmt(n + j, "=", "0.0", (), why))
        elif len(ts) == 1 and ts[0].unit:
            alias[j] = ts[0].reads[0] - n
            stmts.append(_Stmt(-1, "", "", (), f"g{j} is {ts[0].text}: {ts[0].along}"))
        else:
            head = f"{'-' * (ts[0].sign == '-')}{ts[0].text}"
            stmts.append(_Stmt(n + j, "=", head, tuple(r for t in ts[:_TERMS] for r in t.reads),
                               ts[0].along, tuple((f"{t.sign} {t.text}", t.along)
                                                  for t in ts[1:_TERMS])))
            for start in range(_TERMS, len(ts), _TERMS - 1):  # a very long sum: g_j goes on
                part = ts[start:start + _TERMS - 1]
                reads = (n + j, *[r for t in part for r in t.reads])
                stmts.append(_Stmt(n + j, "=", f"g{j}", reads,
                                   f"g{j} goes on: at most {_TERMS} terms a statement",
                                   tuple((f"{t.sign} {t.text}", t.along) for t in part)))

    if out in reaches:
        stmts.append(_Stmt(n + slot[out], "=", "1.0", (), "∂(output)/∂(output) = 1"))
    for v in reversed(ops):
        op, k = v.op, slot[v]
        if v not in reaches or op is None:
            continue
        if v is not out:  # still evaluate its local derivatives if all are 0, as the engine does
            finish(k, "every local derivative into it is 0")
        r = alias.get(k, k)  # g_k may be another node's g, passed on by a 1
        for i, a in enumerate(v.inputs):
            if a.op is CONST or a not in reaches:
                continue
            j = slot[a]
            local = locals_[8 * k + i]
            c = local.num
            along = (f"∂({op.symbol})/∂{'abcdefgh'[i]}{'' if c is None else f' = {c!r}'} along "
                     f"v{k} → v{j}" + (f" ({labels[a]})" if a in labels else ""))
            if c == 0:
                stmts.append(_Stmt(-1, "", "", (), f"{along}: no term"))
                continue
            edges.append((k - first, i))
            terms.setdefault(j, []).append(_Term(
                "-" if c == -1 else "+", c == 1, along,
                f"g{r}" if c in (1, -1) else f"g{r} * {wrap(local, MUL + 1)}",
                (n + r, *sorted(local.refs))))
    for t in reversed(inputs):  # the inputs' derivatives, last
        if t in reaches and t is not out:
            finish(slot[t], f"{labels[t]}: no path to the output")
    value = arg(out).text
    grads = [n + alias.get(slot[t], slot[t]) for t in targets]
    # A derivative no later line reads (every local derivative below it is 0) is checked
    # too: NumPy gives inf or nan where Python floats raise, and nothing would show it.
    wrote: dict[int, int] = {}
    read: dict[int, int] = {}
    for idx, st in enumerate(stmts):
        wrote[st.target] = idx
        read.update((r, idx) for r in st.reads if r != st.target)
    dead = [t - n for t, idx in wrote.items()
            if n <= t < 2 * n and idx > read.get(t, -1) and t not in grads]
    for i in range(0, len(dead), _OK_GROUP):
        stmts.append(_Stmt(ok, "+=", " + ".join(f"g{g}" for g in dead[i:i + _OK_GROUP]),
                           (ok, *[n + g for g in dead[i:i + _OK_GROUP]]),
                           "derivatives no line uses: checked as well"))
    pieces, packed = _write(stmts, n, names, value, grads)
    return Compiled(pieces, packed, names, [str(t.name) for t in targets], plan, edges, 2 * n + 1)


def _name(i: int, n: int) -> str:
    return f"v{i}" if i < n else "ok" if i == 2 * n else f"g{i - n}"


def _line(s: _Stmt, n: int) -> str:
    """The statement's text: a sum of several terms is parenthesised, a line per term."""
    if s.target < 0:
        return f"    # {clean(s.comment, 200)}"
    head = f"    {_name(s.target, n)} {s.mode} {'(' * bool(s.more)}"
    lines = [(head + s.text, s.comment), *[(" " * len(head) + t, c) for t, c in s.more]]
    return "\n".join(f"{text}{')' * (i == len(lines) - 1 and bool(s.more))}"
                     + (f"  # {clean(comment, 200)}" if comment else "")
                     for i, (text, comment) in enumerate(lines))


def _write(stmts: list[_Stmt], n: int, names: list[str], value: str,
           grads: list[int]) -> tuple[list[str], bool]:
    """The source, one piece per function; and whether it takes a slot list ``s``."""
    comma = "," if len(grads) == 1 else ""
    if len(stmts) <= CHUNK:
        params = ", ".join(f"v{i}" for i in range(len(names)))
        return ["\n".join([f"def value_and_grad({params}):",
                           *[f"    # v{i} is {clean(name, 60)}" for i, name in enumerate(names)],
                           *[_line(s, n) for s in stmts],
                           f"    return {value}, ({', '.join(_name(g, n) for g in grads)}{comma}),"
                           " ok"]) + "\n"], False
    last = {r: idx for idx, s in enumerate(stmts) for r in s.reads}
    returned = [*grads, 2 * n, *([int(value[1:])] if value[0] == "v" else [])]
    last.update({r: len(stmts) for r in returned})
    pieces, calls = [], []
    for p, start in enumerate(range(0, len(stmts), CHUNK)):
        part, here = stmts[start:start + CHUNK], set()
        loads: dict[int, None] = {}  # an ordered set
        for s in part:
            loads.update((r, None) for r in s.reads if r not in here)
            here |= {s.target}
        stores = sorted(t for t in here if last.get(t, -1) >= start + len(part))
        pieces.append("\n".join([f"def part{p}(s):",
                                 *[f"    {_name(r, n)} = s[{r}]" for r in loads],
                                 *[_line(s, n) for s in part],
                                 *[f"    s[{t}] = {_name(t, n)}" for t in stores],
                                 *["    pass"] * (here == {-1} and not loads)]) + "\n")
        calls.append(f"    part{p}(s)")
    value = f"s[{value[1:]}]" if value[0] == "v" else value
    pieces.append("\n".join(["def value_and_grad(s):", "    # s: a slot for every value, "
                             "derivative and ok, shared by the parts", *calls,
                             f"    return {value}, ({', '.join(f's[{g}]' for g in grads)}{comma}),"
                             f" s[{2 * n}]"]) + "\n")
    return pieces, True


