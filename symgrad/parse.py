"""Safe text → graph parser: ``"(x**2 + 3)**2 + y"`` becomes a :class:`~symgrad.Var` graph.

The text is read by Python's own parser (``ast.parse(text, mode="eval")``) and the
syntax tree is walked with an explicit whitelist; nothing is ever passed to ``eval``,
``exec`` or ``sympify``, so hostile text cannot run code.  What is allowed:

* numbers (``3``, ``0.5``, ``1e-3``; not ``True``, complex numbers or strings);
* variable names: identifiers that do not start with ``_`` and are not function names;
  the same name in two places is the *same* input Var;
* the op table's operators (``+ - * / **``, unary ``-``) and unary ``+``;
* calls of the op table's functions with one argument (``exp(x)``, ``sigmoid(x)``;
  :func:`symgrad.ops.supported_text` lists them all).

Everything else (attribute access, subscripts, lambdas, comprehensions, keyword
arguments, ...) is a :class:`~symgrad.errors.ParseError` that names the problem and
points at its column:

>>> parse("x.real", x=1)
Traceback (most recent call last):
...
symgrad.errors.ParseError: attribute access is not allowed at column 3
  x.real
    ^

**``^`` is rejected, not read as a power.**  Python parses ``^`` as exclusive-or,
with a *lower* precedence than ``+``, so quietly accepting it as a power would read
``x^2+1`` as ``x^(2+1)``.  A ParseError that says "use ** for powers" is safer than a
silent misreading.

Numbers are never folded at parse time: ``2**99999999`` is a ``pow`` node on two
constants, evaluated in floats like every other node, so it overflows at once (a
ParseError, since it does not depend on any variable) instead of hanging.  The text is
at most :data:`MAX_LENGTH` characters, and nesting deeper than Python's parser allows
(about 200 parentheses) is a ParseError too; the walk itself is iterative.

>>> z = parse("(x**2 + 3)**2 + y", x=2, y=1)
>>> z.value
50.0
>>> parse_names("sigmoid(w1*p + w2*q + b)")
['w1', 'p', 'w2', 'q', 'b']
"""

from __future__ import annotations

import ast
import contextlib
import math
import re
import unicodedata
from dataclasses import dataclass

from ._check import real, values_for
from ._source import MAX_LENGTH, Source, check_text, syntax_error
from .errors import DomainError, InputError, ParseError
from .ops import FUNCTIONS, Op, by_operator
from .var import Var, apply, constant

__all__ = ["MAX_LENGTH", "MAX_VALUES_LENGTH", "parse", "parse_names", "parse_values"]

#: The longest text :func:`parse_values` accepts, in characters.
MAX_VALUES_LENGTH = 10_000

# Python's syntax tree spells the operators as classes; the op table says which op each is.
_TOKENS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_BINARY: dict[type, Op] = {}
for _cls, _token in _TOKENS.items():
    with contextlib.suppress(KeyError):  # an operator the table does not define
        _BINARY[_cls] = by_operator(_token)
_NEG = by_operator("-", 1)
_KNOWN = ", ".join(sorted(FUNCTIONS))

# Operators Python knows but symgrad does not: their spelling, for messages.
_OTHER_BINARY = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<",
                 ast.RShift: ">>", ast.BitOr: "|", ast.BitAnd: "&", ast.BitXor: "^"}

# Node types that are never allowed, with what to call them in a message.
_FORBIDDEN = {
    ast.Attribute: "attribute access is not allowed",
    ast.Subscript: "subscripts (indexing) are not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.FormattedValue: "f-strings are not allowed",
    ast.NamedExpr: "assignment (:=) is not allowed",
    ast.Starred: "starred arguments (*) are not allowed",
    ast.Compare: "comparisons are not allowed",
    ast.BoolOp: "'and' / 'or' are not allowed",
    ast.IfExp: "conditional expressions (if/else) are not allowed",
    ast.Tuple: "tuples (commas) are not allowed: write a single expression",
    ast.List: "lists are not allowed",
    ast.Set: "sets are not allowed",
    ast.Dict: "dicts are not allowed",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
    ast.Slice: "slices are not allowed",
}


# -- the whitelist walk ---------------------------------------------------------------------

@dataclass
class _Tree:
    src: Source
    root: ast.expr
    names: list[str]


def _analyse(text: object) -> _Tree:
    """Parse and validate ``text``; return its tree and variable names (first-seen order)."""
    src = check_text(text)
    assert isinstance(text, str)
    try:
        tree = ast.parse(src.body, mode="eval")
    except SyntaxError as exc:
        raise syntax_error(src, exc) from None
    except (RecursionError, MemoryError):
        raise ParseError("the expression is nested too deeply or chains too many operators "
                         "for Python's parser (a few thousand is the limit); build very "
                         "deep graphs from Var objects instead of text", column=1) from None
    except ValueError as exc:  # e.g. NUL characters
        raise ParseError(f"invalid text: {exc}", column=1) from None
    names: list[str] = []
    seen: dict[str, None] = {}
    # Pre-order, children pushed right to left: problems and names come out left to right.
    stack: list[ast.AST] = [tree.body]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is ast.BinOp:
            assert isinstance(node, ast.BinOp)
            if type(node.op) not in _BINARY:
                symbol = _OTHER_BINARY.get(type(node.op), type(node.op).__name__)
                raise src.error(f"operator '{symbol}' is not supported (use + - * / **)",
                                *src.operator_column(node))
            stack += (node.right, node.left)
        elif kind is ast.UnaryOp:
            assert isinstance(node, ast.UnaryOp)
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                symbol = {ast.Not: "not", ast.Invert: "~"}.get(type(node.op), "?")
                raise src.at(f"operator '{symbol}' is not supported (use + - * / **)", node)
            stack.append(node.operand)
        elif kind is ast.Constant:
            assert isinstance(node, ast.Constant)
            _check_number(src, node)
        elif kind is ast.Name:
            assert isinstance(node, ast.Name)
            _check_name(src, node)
            if node.id not in seen:
                seen[node.id] = None
                names.append(node.id)
        elif kind is ast.Call:
            assert isinstance(node, ast.Call)
            _check_call(src, node)
            stack.append(node.args[0])
        else:
            message = _FORBIDDEN.get(kind, f"{kind.__name__} is not allowed in an expression")
            if kind is ast.Attribute:  # point at the attribute name, after the dot
                assert isinstance(node, ast.Attribute)
                lineno = node.end_lineno or node.lineno
                end = src.column(lineno, node.end_col_offset or 0)
                raise src.error(message, lineno, max(1, end - len(node.attr)))
            raise src.at(message, node)
    return _Tree(src, tree.body, names)


def _check_number(src: Source, node: ast.Constant) -> float:
    v = node.value
    if isinstance(v, bool) or v is None or v is Ellipsis:
        raise src.at(f"{v!r} is not a number", node)
    if isinstance(v, complex):
        raise src.at("complex numbers are not allowed", node)
    if isinstance(v, (str, bytes)):
        raise src.at("strings are not allowed", node)
    if not isinstance(v, (int, float)):
        raise src.at(f"{type(v).__name__} constants are not allowed", node)
    try:
        f = float(v)
    except OverflowError:
        f = math.inf
    if not math.isfinite(f):
        raise src.at(f"the number {src.segment(node)} is too large (beyond 1.8e308)", node)
    return f


def _check_name(src: Source, node: ast.Name) -> None:
    name = node.id
    written = src.segment(node, limit=10**6)
    if written != name:  # Python applies NFKC to identifiers: "ﬁ" reads as "fi"
        raise src.at(f"the name {written!r} is not in Unicode normal form (NFKC); write "
                     f"{unicodedata.normalize('NFKC', written)!r}", node)
    if name in FUNCTIONS:
        raise src.at(f"'{name}' is a function: call it, as in {name}(x)", node)
    if name.startswith("_"):
        raise src.at(f"names may not start with '_': {name!r}", node)


def _check_call(src: Source, node: ast.Call) -> None:
    func = node.func
    if isinstance(func, ast.Attribute):
        lineno = func.end_lineno or func.lineno
        end = src.column(lineno, func.end_col_offset or 0)
        raise src.error(_FORBIDDEN[ast.Attribute], lineno, max(1, end - len(func.attr)))
    if not isinstance(func, ast.Name):
        raise src.at(_FORBIDDEN.get(type(func), f"only the functions {_KNOWN} can be called"),
                     func)
    name = func.id
    if name not in FUNCTIONS:
        raise src.at(f"unknown function {name!r} (known: {_KNOWN})", func)
    for arg in node.args:
        if isinstance(arg, ast.Starred):
            raise src.at(_FORBIDDEN[ast.Starred], arg)
    if node.keywords:
        raise src.at(f"keyword arguments are not allowed: {name}() takes one argument, "
                     f"as in {name}(x)", node.keywords[0])
    if len(node.args) != 1:
        raise src.at(f"{name}() takes exactly one argument, got {len(node.args)}", node)


# -- building the graph ---------------------------------------------------------------------

def parse(text: str, /, *, default: float | None = None, **values: float) -> Var:
    """Build a graph from ``text``, with input Vars named and valued as given.

    Every variable needs a value: pass it by name (``x=2``), or give ``default=`` for
    all variables without one.  A value for a name the text does not use is an error
    (it is usually a typo).  Integers and decimals become constants; a minus sign
    written directly before a number makes a negative constant.  (A variable called
    ``default`` can only take its value from ``default=``.)

    >>> z = parse("sigmoid(w*x + b)", w=0.5, x=2, b=-1)
    >>> z.value, [v.name for v in z.inputs[0].inputs[0].inputs]
    (0.5, ['w', 'x'])
    >>> z = parse("x * x", x=3)
    >>> z.inputs[0] is z.inputs[1]            # one input Var per name
    True
    >>> parse("x**2 + y", default=1.0).value
    2.0
    >>> parse("x + y", x=1)
    Traceback (most recent call last):
    ...
    symgrad.errors.InputError: no value for y: pass y=... (or default=... for every ...)
    """
    tree = _analyse(text)
    if default is not None:
        default = real(default, "default")
    leaf_values = values_for(tree.names, default, values)
    leaves = {name: Var(v, name=name) for name, v in leaf_values.items()}
    return _build(tree, leaves)


def parse_names(text: str) -> list[str]:
    """The variable names of ``text`` in first-seen order, validated like :func:`parse`.

    >>> parse_names("(x**2 + 3)**2 + y + x")
    ['x', 'y']
    >>> parse_names("foo(x)")
    Traceback (most recent call last):
    ...
    symgrad.errors.ParseError: unknown function 'foo' (known: cos, exp, ...) at column 1
      foo(x)
      ^
    """
    return _analyse(text).names


def parse_values(text: str) -> dict[str, float]:
    """Values for the inputs, ``"x=2, y=1"`` → ``{"x": 2.0, "y": 1.0}``.

    Pairs are separated by commas or white space; each value is read by ``float``, so
    nothing is evaluated.  This is the ``--at`` of the command line and the ``:at:`` of
    the Sphinx directive.

    >>> parse_values("x=2, y=-1.5e-3 b = 1")
    {'x': 2.0, 'y': -0.0015, 'b': 1.0}
    >>> parse_values("x=two")
    Traceback (most recent call last):
    ...
    symgrad.errors.InputError: the value of 'x' must be a finite number, got 'two' (write x=2, y=1)
    """
    if not isinstance(text, str):
        raise InputError(f"values must be text like 'x=2, y=1', got {type(text).__name__}")
    if len(text) > MAX_VALUES_LENGTH:
        raise InputError(f"the values are {len(text):,} characters long, more than the "
                         f"limit of {MAX_VALUES_LENGTH:,} (write x=2, y=1)")
    # One left-to-right scan over tokens (names, values, '=' and ','): linear time.
    tokens = re.findall(r"[^\s,=]+|[=,]", text)
    values: dict[str, float] = {}
    k = 0
    while k < len(tokens):
        name, eq, raw = [*tokens[k:k + 3], "", "", ""][:3]
        if name == ",":
            raise InputError("values must be name=number pairs, got an empty one "
                             "(write x=2, y=1)")
        if eq != "=" or raw in ("", "=", ","):
            item = " ".join(tokens[k:k + 3])
            raise InputError(f"values must be name=number pairs, got {item!r:.60} "
                             "(write x=2, y=1)")
        if not name.isidentifier():
            raise InputError(f"{name!r:.60} is not a variable name (write x=2, y=1)")
        if name in values:
            raise InputError(f"a value for {name!r} is given twice")
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise InputError(f"the value of {name!r} must be a finite number, got {raw!r:.60} "
                             "(write x=2, y=1)")
        values[name] = value
        k += 3
        if k < len(tokens) and tokens[k] == ",":
            k += 1
    return values


def _build(tree: _Tree, leaves: dict[str, Var]) -> Var:
    """Post-order over the validated tree; a node is built once its operands are."""
    src = tree.src
    built: dict[int, tuple[Var, bool]] = {}  # id(ast node) -> (Var, depends on a variable)
    stack: list[tuple[ast.AST, bool]] = [(tree.root, False)]
    while stack:
        node, ready = stack.pop()
        if isinstance(node, ast.Constant):
            built[id(node)] = (constant(_check_number(src, node)), False)
        elif isinstance(node, ast.Name):
            built[id(node)] = (leaves[node.id], True)
        elif isinstance(node, ast.UnaryOp):
            operand = node.operand
            if isinstance(node.op, ast.USub) and isinstance(operand, ast.Constant):
                built[id(node)] = (constant(-_check_number(src, operand)), False)
            elif not ready:
                stack += ((node, True), (operand, False))
            elif isinstance(node.op, ast.UAdd):
                built[id(node)] = built[id(operand)]
            else:
                a, dep = built[id(operand)]
                built[id(node)] = (_apply(src, node, _NEG, (a,), dep), dep)
        elif isinstance(node, ast.BinOp):
            if not ready:
                stack += ((node, True), (node.right, False), (node.left, False))
            else:
                (a, da), (b, db) = built[id(node.left)], built[id(node.right)]
                op = _BINARY[type(node.op)]
                built[id(node)] = (_apply(src, node, op, (a, b), da or db), da or db)
        elif isinstance(node, ast.Call):
            arg = node.args[0]
            if not ready:
                stack += ((node, True), (arg, False))
            else:
                a, dep = built[id(arg)]
                assert isinstance(node.func, ast.Name)
                built[id(node)] = (_apply(src, node, FUNCTIONS[node.func.id], (a,), dep), dep)
        else:  # pragma: no cover - _analyse admits nothing else
            raise src.at(f"{type(node).__name__} is not allowed", node)
    return built[id(tree.root)][0]


def _apply(src: Source, node: ast.AST, op: Op, args: tuple[Var, ...], variable: bool) -> Var:
    try:
        return apply(op, *args)
    except DomainError as exc:
        if isinstance(node, ast.BinOp):
            lineno, column = src.operator_column(node)
        else:
            lineno = getattr(node, "lineno", 1)
            column = src.column(lineno, getattr(node, "col_offset", 0))
        if variable:  # undefined at these values: a domain problem, not a text problem
            raise DomainError(src.locate(f"{exc} (in {src.segment(node)})", lineno, column)
                              ) from None
        why = str(exc).split("; ")[0]  # the op's domain hint does not apply to numbers
        raise src.error(f"{src.segment(node)} cannot be computed in floating point: {why}; "
                        "numbers are not simplified exactly, so every intermediate result "
                        "must be a finite float", lineno, column) from None
