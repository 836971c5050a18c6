"""What backprop computes, as straight-line Python generated from the op table.

:func:`compile` turns a graph into one function: a forward pass with one assignment per
operation and a reverse pass with one line per edge, ``g_child += g_node * local``.
Nothing is written twice: the code comes from running each op's value and partial rules
on :data:`SOURCE`, a math namespace whose objects (:class:`Source`) write Python text
instead of computing numbers.  The same code then runs on floats or, through
:meth:`Compiled.batch`, on NumPy arrays.

User text never reaches the code: variables are ``v0, v1, ...`` (values) and ``g0, g1,
...`` (derivatives of the output), numbers are ``repr`` of finite floats, and input
names appear only in comments, with every unprintable character replaced by ``?``.

>>> from symgrad import Var
>>> x, y = Var(2.0, name="x"), Var(1.0, name="y")
>>> c = compile((x**2 + 3)**2 + y)
>>> c(x=2, y=1)
(50.0, {'x': 56.0, 'y': 1.0})
>>> c(3, 0)                                   # positionally, in symgrad.leaves order
(144.0, {'x': 144.0, 'y': 1.0})
"""

from __future__ import annotations

import builtins
import itertools
import keyword
import math
import numbers
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from .errors import DomainError, InputError, SymgradError
from .graph import nodes
from .ops import CONST, FLOAT, Op
from .var import Var

__all__ = ["CHUNK", "SOURCE", "Compiled", "Source", "compile", "numpy_namespace"]

#: Statements per generated function.  Longer code is split into ``part0, part1, ...``
#: sharing a list ``s`` of slots: CPython compiles one huge function slowly and with a
#: lot of memory (300,000 lines: 4 s and 1 GB here).
CHUNK = 20000
_OK_GROUP = 8  # values summed per ``ok`` line
_ADD, _MUL, _NEG, _POW, _ATOM = range(5)  # Python's precedence levels, loosest first
_RESERVED = re.compile(r"[vg]\d+|part\d+|ok|s|value_and_grad")
_BARE = re.compile(r"-?v\d+")


class Source:
    """The text of a small Python expression, its precedence, the value slots it reads,
    and its number when that is known while building (a constant).

    Operators write text with just the parentheses Python needs, and fold what is known:

    >>> a, b = Source("v0", refs={0}), Source("v1", refs={1})
    >>> (a - (b + 1)).text, (-a * b).text, ((a * b) ** 2).text, (2 * (a - b)).text
    ('v0 - (v1 + 1)', '-v0 * v1', '(v0 * v1) ** 2', '2 * (v0 - v1)')
    >>> (0 * a).text, (a * 1).text, (_literal(3.0) - 1).text
    ('0.0', 'v0', '2.0')
    """

    __slots__ = ("num", "prec", "refs", "text")

    def __init__(self, text: str, prec: int = _ATOM, refs: Iterable[int] = (),
                 num: float | None = None) -> None:
        self.text, self.prec, self.refs, self.num = text, prec, frozenset(refs), num

    def __add__(self, o: object) -> Source: return _binary("+", self, o)
    def __radd__(self, o: object) -> Source: return _binary("+", o, self)
    def __sub__(self, o: object) -> Source: return _binary("-", self, o)
    def __rsub__(self, o: object) -> Source: return _binary("-", o, self)
    def __mul__(self, o: object) -> Source: return _binary("*", self, o)
    def __rmul__(self, o: object) -> Source: return _binary("*", o, self)
    def __truediv__(self, o: object) -> Source: return _binary("/", self, o)
    def __rtruediv__(self, o: object) -> Source: return _binary("/", o, self)
    def __pow__(self, o: object) -> Source: return _binary("**", self, o)
    def __rpow__(self, o: object) -> Source: return _binary("**", o, self)
    def __pos__(self) -> Source: return self

    def __neg__(self) -> Source:
        if self.num is not None:
            return _literal(-self.num)
        return Source(f"-{_wrap(self, _POW)}", _NEG, self.refs)

    def __bool__(self) -> bool:
        raise TypeError("a rule branched on a value while writing code; put the branch "
                        "in a primitive of the math namespace (like relu and step)")

    def __repr__(self) -> str:
        return f"Source({self.text!r})"


def _literal(x: float) -> Source:
    text = repr(x)
    return Source(text, _NEG if text.startswith("-") else _ATOM, (), x)


def _plain(x: object) -> bool:
    """A number that can be written as a literal: a finite float or a modest int."""
    return (type(x) is float and math.isfinite(x)) or (type(x) is int and abs(x) <= 2**53)


def _as_source(x: object) -> Source:
    if isinstance(x, Source):
        return x
    if _plain(x):
        return _literal(x)  # type: ignore[arg-type]
    raise TypeError(f"cannot write {x!r} as code")


def _wrap(e: Source, prec: int) -> str:
    return e.text if e.prec >= prec else f"({e.text})"


_FOLD: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "/": lambda a, b: a / b, "**": lambda a, b: a**b}
_PREC = {"+": _ADD, "-": _ADD, "*": _MUL, "/": _MUL, "**": _POW}


def _binary(sym: str, left: object, right: object) -> Source:
    a, b = _as_source(left), _as_source(right)
    x, y = a.num, b.num
    if x is not None and y is not None:  # both known: fold when the result is a finite float
        try:
            r = _FOLD[sym](x, y)
        except (ArithmeticError, ValueError):
            r = None
        if _plain(r):
            return _literal(r)  # type: ignore[arg-type]
    # Exact simplifications.  ``0 * e`` drops e only when e is a bare name or number,
    # so no computation that could fail is skipped.
    if sym == "*" and (x == 1 or y == 1):
        return b if x == 1 else a
    if sym == "*" and ((x == 0 and _BARE.fullmatch(b.text)) or
                       (y == 0 and _BARE.fullmatch(a.text))):
        return _literal(0.0)
    if (sym in "+-" and y == 0) or (sym == "/" and y == 1):
        return a
    if sym in "+-" and x == 0:
        return b if sym == "+" else -b
    p = _PREC[sym]
    lp, rp = (_ATOM, _NEG) if sym == "**" else (p, p + 1)
    return Source(f"{_wrap(a, lp)} {sym} {_wrap(b, rp)}", p, a.refs | b.refs)


def _primitives() -> list[str]:
    """The names of the float primitives the rules may call (``exp``, ``log``, ...)."""
    return sorted(n for n in dir(FLOAT) if not n.startswith("_") and n.isidentifier()
                  and not keyword.iskeyword(n) and not _RESERVED.fullmatch(n)
                  and callable(getattr(FLOAT, n)))


class _SourceNamespace:
    """``m`` for writing code: ``m.exp(a)`` is the text ``exp(a)``, for each primitive
    of :data:`~symgrad.ops.FLOAT`."""

    def __getattr__(self, name: str) -> Callable[..., Source]:
        if name not in _primitives():
            raise AttributeError(f"{name!r} is not a primitive of symgrad.ops.FLOAT")

        def call(*args: object) -> Source:
            xs = [_as_source(a) for a in args]
            return Source(f"{name}({', '.join(x.text for x in xs)})", _ATOM,
                          frozenset().union(*(x.refs for x in xs)))

        setattr(self, name, call)  # looked up once per name
        return call


#: The source namespace: the op table's rules, run on it, write Python.
SOURCE: Any = _SourceNamespace()


def _clean(text: str, limit: int = 40) -> str:
    """``text`` made safe for a comment: unprintable characters (line breaks included)
    become ``?``; long text is cut."""
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= limit else text[:limit - 1] + "…"


class _Stmt(NamedTuple):
    target: int  # a slot; -1 for a comment line
    mode: str  # "=", "+=", "-="
    text: str
    reads: tuple[int, ...]
    comment: str


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
        return _as_source(rule(SOURCE, *args))
    except (TypeError, AttributeError, ArithmeticError, ValueError) as exc:
        raise SymgradError(f"a rule of op {op.name!r} cannot be written as code ({exc}); "
                           f"rules may use + - * / ** and {', '.join(_primitives())}") from None


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
    labels = {v: _clean(str(v.name), 24) for v in inputs}

    known: dict[Var, Source] = {}  # nodes whose value is a number or another node's

    def arg(v: Var, shown: bool = False) -> Source:
        if v.op is CONST:
            return _literal(v.value)
        if v in known:
            return known[v]
        return Source(labels[v] if shown and v in labels else f"v{slot[v]}", _ATOM, (slot[v],))

    stmts = [_Stmt(-1, "", "", (), "forward pass: one line per operation")]
    plan: list[tuple[Op, tuple[int | float, ...]]] = []
    hides: dict[int, tuple[bool, ...]] = {}
    group: list[int] = []
    checked: set[int] = set()

    def check(last: bool = False) -> None:  # ok sums the values an op could hide
        if group and (last or len(group) >= _OK_GROUP):
            more = ok in checked
            stmts.append(_Stmt(ok, "+=" if more else "=", " + ".join(f"v{i}" for i in group),
                               (*group, *[ok] * more), "" if more else
                               "the values an op could hide if inf or nan (1/inf = 0)"))
            checked.update((ok, *group))
            group.clear()

    for v in ops:
        op, k = v.op, slot[v]
        assert op is not None
        expr = _rule(op, op.value, *[arg(a) for a in v.inputs])
        shown = _rule(op, op.value, *[arg(a, True) for a in v.inputs]).text
        if expr.num is not None or (_BARE.fullmatch(expr.text) and expr.text[0] == "v"):
            known[v] = expr  # (v * 1.0 is v, v * 0.0 is 0.0): no line of code
            stmts.append(_Stmt(-1, "", "", (), f"v{k} is {expr.text}, known while building; "
                                               f"{op.symbol} : {shown}"))
        else:
            stmts.append(_Stmt(k, "=", expr.text, tuple(sorted(expr.refs)),
                               f"{op.symbol} : {shown}"))
        plan.append((op, tuple(a.value if a.op is CONST else slot[a] for a in v.inputs)))
        hide = hides.get(id(op)) or hides.setdefault(id(op), _hides(op))
        group += [j for a, h in zip(v.inputs, hide, strict=True) if h for j in arg(a).refs
                  if j >= first and j not in checked and j not in group]
        check()
    check(last=True)
    if ok not in checked:
        stmts.append(_Stmt(ok, "=", "0.0", (), "no op could hide an inf or nan"))

    # The reverse pass, in reversed(nodes(out)) order, on the edges that lead to a target.
    reaches, wanted = set(), set(targets)
    for v in order:
        if v in wanted or any(a in reaches for a in v.inputs):
            reaches.add(v)
    stmts.append(_Stmt(-1, "", "", (), "reverse pass: one line per edge; g_k = ∂(output)/∂(v_k)"))
    have: set[int] = set()
    alias: dict[int, int] = {}  # g_j is g_alias[j]: the one path so far passed on a 1
    edges: list[tuple[int, int]] = []  # (plan index, argument position)
    if out in reaches:
        stmts.append(_Stmt(n + slot[out], "=", "1.0", (), "∂(output)/∂(output) = 1"))
        have.add(slot[out])
    for v in reversed(ops):
        op, k = v.op, slot[v]
        if v not in reaches or op is None:
            continue
        if k not in have:  # still evaluate its local derivatives, as the engine does
            stmts.append(_Stmt(n + k, "=", "0.0", (), "every local derivative into it is 0"))
            have.add(k)
        args = [arg(a) for a in v.inputs]
        for i, a in enumerate(v.inputs):
            if a.op is CONST or a not in reaches:
                continue
            j = slot[a]
            local = _rule(op, op.partials[i], arg(v), *args)
            c = local.num
            along = (f"∂({op.symbol})/∂{'abcdefgh'[i]}{'' if c is None else f' = {c!r}'} along "
                     f"v{k} → v{j}" + (f" ({labels[a]})" if a in labels else ""))
            if c == 0:
                stmts.append(_Stmt(-1, "", "", (), f"{along}: no term"))
                continue
            edges.append((k - first, i))
            r = alias.get(k, k)  # g_k may be another node's g, passed on by a 1
            term = (f"g{r}" if c in (1, -1) else f"g{r} * {_wrap(local, _MUL + 1)}",
                    (n + r, *sorted(local.refs)))
            if j not in have and c == 1:
                alias[j] = r
                stmts.append(_Stmt(-1, "", "", (), f"g{j} is g{r}: {along}"))
            elif j not in have:
                stmts.append(_Stmt(n + j, "=", f"-{term[0]}" if c == -1 else term[0], term[1],
                                   along))
            elif j in alias:  # a second term: g_j becomes a variable of its own
                m = alias.pop(j)
                stmts.append(_Stmt(n + j, "=", f"g{m} {'-' if c == -1 else '+'} {term[0]}",
                                   (n + m, *term[1]), along))
            else:
                stmts.append(_Stmt(n + j, "-=" if c == -1 else "+=", term[0],
                                   (*term[1], n + j), along))
            have.add(j)
    for t in targets:
        if slot[t] not in have:
            stmts.append(_Stmt(n + slot[t], "=", "0.0", (), f"{labels[t]}: no path to the output"))
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
    if s.target < 0:
        return f"    # {_clean(s.comment, 200)}"
    tail = f"  # {_clean(s.comment, 200)}" if s.comment else ""
    return f"    {_name(s.target, n)} {s.mode} {s.text}{tail}"


def _write(stmts: list[_Stmt], n: int, names: list[str], value: str,
           grads: list[int]) -> tuple[list[str], bool]:
    """The source, one piece per function; and whether it takes a slot list ``s``."""
    comma = "," if len(grads) == 1 else ""
    if len(stmts) <= CHUNK:
        params = ", ".join(f"v{i}" for i in range(len(names)))
        return ["\n".join([f"def value_and_grad({params}):",
                           *[f"    # v{i} is {_clean(name, 60)}" for i, name in enumerate(names)],
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
            here.add(s.target)
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


def _scalar(v: object, name: str) -> float:
    if type(v) is float:
        f = v
    elif isinstance(v, numbers.Real) and not isinstance(v, bool):
        try:
            f = float(v)
        except OverflowError:
            f = math.inf
    else:
        raise InputError(f"input {name!r} must be a real number, got {v!r} "
                         f"({type(v).__name__}); pass an int or a float")
    if f - f != 0.0:
        raise InputError(f"input {name!r} must be finite, got {v!r}")
    return f


def _numpy() -> Any:
    try:
        import numpy
    except ImportError:
        raise SymgradError("Compiled.batch needs NumPy: pip install 'symgrad[numpy]'") from None
    return numpy


def numpy_namespace() -> dict[str, Callable[..., Any]]:
    """NumPy functions for the float primitives, by name: NumPy's function of the same
    name (``np.exp``, ``np.log`` ...) except for the few overridden here."""
    np = _numpy()

    def sigmoid(a: Any) -> Any:  # exp of -|a| only, so it never overflows
        e = np.exp(-np.abs(a))
        return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))

    # The overrides: what NumPy lacks (sigmoid, relu, step) or names otherwise (pow).
    overrides = {"sigmoid": sigmoid, "pow": np.power,
                 "relu": lambda a: np.where(a > 0.0, a, 0.0),
                 "step": lambda a: np.where(a > 0.0, 1.0, 0.0)}
    found = {name: overrides.get(name, getattr(np, name, None)) for name in _primitives()}
    for name, f in found.items():
        if not callable(f):
            raise SymgradError(f"NumPy has no {name!r}: add a NumPy version of this "
                               "primitive to the overrides in symgrad.compile.numpy_namespace")
    return found  # type: ignore[return-value]


class Compiled:
    """A graph's value and derivatives as generated Python: call it like a function.

    ``c(x=2, y=1)`` or ``c(2, 1)`` (inputs in :func:`symgrad.leaves` order) returns
    ``(value, {name: derivative})`` for the ``wrt`` inputs; :meth:`batch` does the same
    for arrays of points with NumPy.  ``source`` is the code: the forward pass, one line
    per operation, then the reverse pass, one line per edge, each commented with the
    op's symbol and the edge it serves.  Constants are written in place as ``repr`` of
    their float.  Known local derivatives are simplified: along a 1 the derivative is
    passed on by name (``# g4 is g5``, no code), a −1 subtracts, and a 0 leaves only a
    comment; a node whose value is known while building (``w * 0.0``) gets a comment
    instead of a line.

    >>> from symgrad import Var
    >>> x, y = Var(2.0, name="x"), Var(1.0, name="y")
    >>> c = compile((x**2 + 3)**2 + y)
    >>> c
    <Compiled: 4 operations, 5 edges; inputs x, y; wrt x, y>
    >>> c(x=2, y=1)
    (50.0, {'x': 56.0, 'y': 1.0})
    >>> print(c.source)
    def value_and_grad(v0, v1):
    ...
        g0 = g3 * (2.0 * pow(v0, 1.0))  # ∂(^)/∂a along v2 → v0 (x)
        return v5, (g0, g5), ok

    Inputs outside an op's domain raise :class:`~symgrad.errors.DomainError` naming
    the op, as the engine does; no infinity or NaN is ever returned.
    """

    def __init__(self, pieces: list[str], packed: bool, names: list[str], wrt: list[str],
                 plan: list[tuple[Op, tuple[int | float, ...]]], edges: list[tuple[int, int]],
                 slots: int) -> None:
        #: The generated Python; the input names in parameter order; the names in the result.
        self.source, self.inputs, self.wrt = "\n".join(pieces), tuple(names), tuple(wrt)
        self._packed, self._plan, self._edges, self._slots = packed, plan, edges, slots
        self._index = {name: i for i, name in enumerate(names)}
        self._codes = [builtins.compile(p, "<symgrad.compile>", "exec") for p in pieces]
        self._fn = self._load({n: getattr(FLOAT, n) for n in _primitives()})
        self._batch_fn: Callable[..., Any] | None = None

    def _load(self, primitives: dict[str, Any]) -> Callable[..., Any]:
        namespace: dict[str, Any] = {"__builtins__": {}, **primitives}
        for code in self._codes:
            exec(code, namespace)
        return namespace["value_and_grad"]  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        def show(names: tuple[str, ...]) -> str:
            return ", ".join([_clean(n, 24) for n in names[:6]] + ["…"] * (len(names) > 6))

        return (f"<Compiled: {len(self._plan)} operations, {len(self._edges)} edges; "
                f"inputs {show(self.inputs) or 'none'}; wrt {show(self.wrt) or 'none'}>")

    def _gather(self, args: Sequence[object], named: Mapping[str, object]) -> list[Any]:
        n = len(self.inputs)
        if len(args) > n:
            raise InputError(f"the compiled function takes {n} inputs, got {len(args)} values")
        if not named and len(args) == n:
            return list(args)
        values: list[Any] = [*args, *[_scalar] * (n - len(args))]  # _scalar: not given yet
        for key, v in named.items():
            i = self._index.get(key, -1)
            if i < 0 or i < len(args):
                raise InputError(f"unknown input {key!r} (the inputs: "
                                 f"{', '.join(map(repr, self.inputs)) or 'none'})" if i < 0 else
                                 f"input {key!r} is given twice, by position and by name")
            values[i] = v
        missing = [repr(k) for k, v in zip(self.inputs, values, strict=True) if v is _scalar]
        if missing:
            raise InputError(f"missing a value for input {', '.join(missing)}")
        return values

    def __call__(self, *args: float, **values: float) -> tuple[float, dict[str, float]]:
        xs = self._gather(args, values)
        total = sum(xs) if set(map(type, xs)) <= {float} else math.nan  # the fast check
        if total - total != 0.0:
            xs = [_scalar(v, k) for v, k in zip(xs, self.inputs, strict=True)]
        try:
            value, grads, ok = (self._fn(xs + [0.0] * (self._slots - len(xs))) if self._packed
                                else self._fn(*xs))
        except (ArithmeticError, ValueError) as exc:
            raise self._diagnose(xs, grads=()) or DomainError(
                f"the compiled code raised {type(exc).__name__}: {exc}") from None
        total = ok + value + sum(grads)
        if total - total != 0.0:
            err = self._diagnose(xs, grads)
            if err is not None:  # else finite values merely summed past the float range
                raise err
        return value, dict(zip(self.wrt, grads, strict=True))

    def _diagnose(self, xs: list[float], grads: Sequence[float]) -> DomainError | None:
        """Re-run the table's rules on floats, node by node, to say what failed."""
        vals, first = list(xs), len(xs)

        def check(op: Op, rule: Callable[..., Any], args: tuple[int | float, ...],
                  *out: float, what: str = "") -> float:
            got = [vals[a] if isinstance(a, int) else a for a in args]
            try:
                r, why = rule(FLOAT, *out, *got), "the result is not finite"
            except (ArithmeticError, ValueError) as exc:
                r, why = math.nan, str(exc)
            if r - r != 0.0:
                shown = ", ".join(f"{_clean(self.inputs[a], 24)}={x!r}"
                                  if isinstance(a, int) and a < first else repr(x)
                                  for a, x in zip(args, got, strict=True))
                need = getattr(op, "requires", "")
                raise DomainError(f"{what}{op.name}({shown}) is undefined ({why})"
                                  + (f"; {op.name} needs {need}" if need else ""))
            return r  # type: ignore[no-any-return]

        try:
            for op, args in self._plan:
                vals.append(check(op, op.value, args))
            for p, i in self._edges:
                op, args = self._plan[p]
                check(op, op.partials[i], args, vals[first + p], what="a local derivative of ")
        except DomainError as err:
            return err
        for name, g in zip(self.wrt, grads, strict=False):  # grads may be ()
            if not math.isfinite(g):
                return DomainError(f"the derivative with respect to {_clean(name)!r} is not "
                                   f"finite ({g!r}): a product of local derivatives overflowed")
        return None

    def batch(self, *args: Any, **arrays: Any) -> tuple[Any, dict[str, Any]]:
        """Values and derivatives at many points at once, with NumPy.

        Pass arrays (or numbers, which broadcast) by position or by name; get
        ``(values, {name: derivatives})``, arrays of the broadcast shape.  The same code
        runs with NumPy functions for the primitives (:func:`numpy_namespace`).  A point
        outside an op's domain raises :class:`~symgrad.errors.DomainError` naming the
        point and the op.

        >>> from symgrad import Var
        >>> x = Var(1.0, name="x")
        >>> compile(x * x).batch(x=[1, 2, 3])
        (array([1., 4., 9.]), {'x': array([2., 4., 6.])})
        """
        np = _numpy()
        if self._batch_fn is None:
            self._batch_fn = self._load(numpy_namespace())
        xs = []
        for v, name in zip(self._gather(args, arrays), self.inputs, strict=True):
            try:
                a = np.asarray(v, dtype=float)
            except (TypeError, ValueError):
                raise InputError(f"input {name!r} must be a number or an array of numbers, "
                                 f"got {v!r}") from None
            if not np.isfinite(a).all():
                raise InputError(f"input {name!r} holds a value that is not finite")
            xs.append(a)
        try:
            shape = np.broadcast_shapes(*(a.shape for a in xs))
        except ValueError:
            raise InputError("the inputs' shapes do not broadcast together: " + ", ".join(
                f"{k!r} {a.shape}" for k, a in zip(self.inputs, xs, strict=True))) from None
        with np.errstate(all="ignore"):  # NumPy gives inf or nan; they are checked below
            value, grads, ok = (self._batch_fn([*xs, *[0.0] * (self._slots - len(xs))])
                                if self._packed else self._batch_fn(*xs))
            fine = np.isfinite(ok) & np.isfinite(value)
            for g in grads:
                fine = fine & np.isfinite(g)
        for row in np.argwhere(~np.broadcast_to(fine, shape)):  # name what went wrong
            at = tuple(int(i) for i in row)
            try:
                self(*[float(np.broadcast_to(a, shape)[at]) for a in xs])
            except DomainError as exc:
                raise DomainError(f"at point {at[0] if len(at) == 1 else at}: {exc}") from None
            if not all(np.isfinite(np.broadcast_to(g, shape)[at]) for g in [value, *grads]):
                raise DomainError(f"at point {at}: NumPy's result is not finite where "
                                  "Python's float result is")
        return (np.array(np.broadcast_to(value, shape), dtype=float),
                {k: np.array(np.broadcast_to(g, shape), dtype=float)
                 for k, g in zip(self.wrt, grads, strict=True)})
