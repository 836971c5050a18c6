"""symgrad.compile: generated straight-line code agrees with the engine, stays safe.

* every op of the table, with inputs from its domain, in every argument position, as a
  leaf or a constant: compiled value and derivatives equal ``symgrad.grad``;
* random DAGs with shared subexpressions over the whole table (hypothesis), also split
  into many small functions: agreement, or a DomainError from both;
* ``.batch`` equals point-by-point calls;
* hostile input names never run and never leave the comments;
* domain errors name the op; a 10**5-node chain compiles; the source is deterministic;
  the how-to page shows exactly what ``compile`` prints.
"""

import importlib
import io
import math
import random
import re
import sys
import tokenize
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import symgrad
from symgrad import Var, nn
from symgrad.codegen import SOURCE, Source
from symgrad.compile import Compiled, compile
from symgrad.errors import DomainError, InputError, SymgradError
from symgrad.ops import CONST, FLOAT, OPS, Op
from symgrad.var import apply, constant

MODULE = importlib.import_module("symgrad.compile")
CODEGEN = importlib.import_module("symgrad.codegen")
COMPILED = importlib.import_module("symgrad.compiled")
PAGE = Path(__file__).resolve().parent.parent / "docs" / "howto" / "compiled.rst"
CODE_NAME = re.compile(r"[vg]\d+|part\d+|ok|s|value_and_grad|def|return|pass")


def tutorial():
    x, y = Var(2.0, name="x"), Var(1.0, name="y")
    return (x**2 + 3)**2 + y, [x, y]


def magnitudes(out):
    """For each node, the sum over paths of |product of local derivatives|: the scale of
    the terms a gradient adds up, against which rounding differences are measured."""
    size = {out: 1.0}
    for node in reversed(symgrad.nodes(out)):
        if node.op is None or node.op is CONST:
            continue
        args = [a.value for a in node.inputs]
        for i, child in enumerate(node.inputs):
            if child.op is CONST:
                continue
            local = node.op.partials[i](FLOAT, node.value, *args)
            size[child] = size.get(child, 0.0) + abs(local) * size.get(node, 0.0)
    return size


def assert_agrees(c, out, leaves, rel=1e-12):
    """The compiled function at the graph's own values equals the engine."""
    value, grads = c(**{v.name: v.value for v in leaves})
    expected = symgrad.grad(out, leaves)
    size = magnitudes(out)
    assert value == pytest.approx(out.value, rel=rel, abs=0)
    assert list(grads) == [v.name for v in leaves]
    for v, g in zip(leaves, expected, strict=True):
        assert abs(grads[v.name] - g) <= rel * max(abs(g), size.get(v, 0.0)), (v.name, g)


def code_tokens(source):
    """The tokens of the source that are not comments."""
    return [t for t in tokenize.generate_tokens(io.StringIO(source).readline)
            if t.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE,
                              tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER)]


def assert_only_generated_names(source):
    primitives = {n for n in dir(FLOAT) if not n.startswith("_")}
    for tok in code_tokens(source):
        assert tok.type in (tokenize.NAME, tokenize.NUMBER, tokenize.OP), tok
        if tok.type == tokenize.NAME:
            assert CODE_NAME.fullmatch(tok.string) or tok.string in primitives, tok


@pytest.fixture
def chunk():
    """Set ``symgrad.compile.CHUNK`` for one test (small values force many parts)."""
    old = MODULE.CHUNK

    def set_chunk(n):
        MODULE.CHUNK = n

    yield set_chunk
    MODULE.CHUNK = old


# -- the op table -----------------------------------------------------------------------

def samples(op, n=8):
    rng = random.Random(f"compile-{op.name}")
    return [[rng.uniform(lo, hi) for lo, hi in op.domain] for _ in range(n)]


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_op_with_leaf_inputs(name):
    op = OPS[name]
    for args in samples(op):
        leaves = [Var(a, name=f"a{i}") for i, a in enumerate(args)]
        out = apply(op, *leaves)
        assert_agrees(compile(out), out, leaves)


@pytest.mark.parametrize("name", sorted(n for n, op in OPS.items() if op.arity == 2))
def test_every_binary_op_with_one_constant_argument(name):
    op = OPS[name]
    for a, b in samples(op):
        x = Var(a, name="x")
        left = apply(op, x, b)  # the constant is inlined, its partials folded
        assert_agrees(compile(left), left, [x])
        y = Var(b, name="y")
        right = apply(op, a, y)
        assert_agrees(compile(right), right, [y])


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_op_on_a_shared_input(name):
    op = OPS[name]
    lo, hi = op.domain[-1]
    for k in range(5):
        x = Var(lo + (hi - lo) * (k + 0.5) / 5, name="x")
        if op.arity == 2 and not all(a <= x.value <= b for a, b in op.domain):
            continue
        # x ∘ x: two edges into one node; f(x) · x: two paths from the output to x
        out = apply(op, x, x) if op.arity == 2 else apply(op, x) * x
        assert_agrees(compile(out), out, [x])


# -- hand examples ------------------------------------------------------------------------

def test_the_tutorial_expression():
    z, _ = tutorial()
    c = compile(z)
    assert c(x=2, y=1) == (50.0, {"x": 56.0, "y": 1.0})
    assert c(2, 1) == c(y=1, x=2) == c(2, y=1)
    assert c(x=3, y=0) == (144.0, {"x": 144.0, "y": 1.0})  # 4x(x²+3) at 3
    assert c.inputs == c.wrt == ("x", "y")
    assert repr(c) == "<Compiled: 4 operations, 5 edges; inputs x, y; wrt x, y>"


def forward_lines(source):
    """The forward pass's lines of code, each with the op nodes it computes: a single
    operation's line names it by its variable; a line of a longer statement names each
    of its operations in its comment (``v3 = y * y; v4 = v2 + v3``)."""
    lines = source.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("    # forward pass"))
    end = next(i for i, ln in enumerate(lines) if ln.startswith("    # reverse pass"))
    found = []
    for ln in lines[start + 1:end]:
        if re.match(r"    ok \+?= ", ln):
            continue
        _, _, comment = ln.partition("  # ")
        if re.match(r"v\d+ = ", comment):
            found.append((ln, [int(m) for m in re.findall(r"(?:^|; )v(\d+) = ", comment)]))
        else:
            found.append((ln, [int(re.match(r"    #? ?v(\d+)", ln).group(1))]))
    return found


def test_one_line_per_operation_and_one_per_edge():
    net = nn.MLP(2, [3, 1], seed=0)
    loss = nn.loss_graph(net, nn.XOR)
    order = symgrad.nodes(loss)
    ops = [v for v in order if v.op is not None and v.op is not CONST]
    edges = [a for v in ops for a in v.inputs if a.op is not CONST]
    c = compile(loss)
    lines = c.source.splitlines()
    # Every operation is computed on exactly one line, and named there.
    forward = forward_lines(c.source)
    slots = {v: i for i, v in enumerate([*symgrad.leaves(loss), *ops])}
    assert sorted(k for _, ks in forward for k in ks) == sorted(slots[v] for v in ops)
    known = [ln for ln, _ in forward if re.match(r"    # v\d+ is .*, known while building", ln)]
    assigned = [ln for ln in lines if re.match(r"    v\d+ = ", ln)]
    assert 0 < len(assigned) < len(ops) - len(known)  # values used once get no variable
    assert len(known) > 0 and all(" # " in ln for ln, _ in forward)
    # Every edge gets one line in the reverse pass: a term, a g passed on, or "no term".
    first = [ln for ln in lines if re.match(r"    g\d+ = \(?-?g\d+", ln)]  # a g's first term
    more = [ln for ln in lines if re.match(r" {9,}[-+] g\d+", ln)]  # and its further terms
    passed = [ln for ln in lines if re.match(r"    # g\d+ is g\d+: ∂.* = 1(\.0)? along", ln)]
    zero = [ln for ln in lines if re.match(r"    # ∂.* = 0\.0 along .*: no term", ln)]
    assert len(zero) > 0 and len(more) > 0  # the data's zeros; several paths to a weight
    assert len(first) + len(more) + len(passed) + len(zero) == len(edges)
    assert all(re.search(r"[^#]  # ∂\(.\)/∂[ab]( = \S+)? along v\d+ → v\d+", ln)
               for ln in first + more)
    # One statement per derivative: each g_k is assigned once, never added to.
    targets = [re.match(r"    (g\d+) = ", ln).group(1) for ln in first]
    assert len(set(targets)) == len(targets)
    assert not [ln for ln in lines if re.match(r"    g\d+ [-+]= ", ln)]


def test_a_value_used_once_is_written_where_it_is_used():
    """A neuron's weighted sum is one statement, a line per input; values that a local
    derivative, an ok check or two lines read keep their variable."""
    w0, w1, b = Var(0.5, name="w0"), Var(-1.0, name="w1"), Var(0.25, name="b")
    h0, h1 = Var(2.0, name="h0"), Var(3.0, name="h1")
    out = symgrad.sigmoid(w0 * h0 + w1 * h1 + b)
    c = compile(out)
    assert ("    v8 = (v0 * v1  # v5 = w0 * h0\n"
            "          + v2 * v3  # v6 = w1 * h1; v7 = v5 + v6\n"
            "          + v4)  # v8 = v7 + b\n"  # kept: sigmoid could hide an inf in it
            "    v9 = sigmoid(v8)  # σ : sigmoid(v8)\n") in c.source
    assert_exactly_the_engine(c, out, [w0, h0, w1, h1, b])
    x, y = Var(2.0, name="x"), Var(1.5, name="y")
    out = symgrad.exp(x * y) + (x * y) * 2 + symgrad.log(x + y)
    c = compile(out)
    assert "    v2 = v0 * v1  # × : x * y\n" in c.source  # read by exp and by ok
    assert "    v3 = exp(v2)  # exp : exp(v2)\n" in c.source  # read by its local derivative
    assert "    v7 = v0 + v1  # + : x + y\n" in c.source  # read by log's local derivative
    assert ("    v9 = (v3 + v5  # v6 = v3 + v5\n"
            "          + log(v7))  # v8 = log(v7); v9 = v6 + v8\n") in c.source
    assert_exactly_the_engine(c, out, [x, y])


def test_fused_values_stay_shallow_and_exact():
    """A long sum goes on in a new statement after 200 lines; one operation inside
    another's line goes one level deep: CPython compiles expressions recursively."""
    x, w = Var(0.5, name="x"), Var(0.25, name="w")
    total, nested, negated = x, x, x
    for _ in range(700):
        total = total + x * w
        nested = x + nested * 0.5
        negated = -negated
    for out in (total, nested, negated * w):
        c = compile(out)
        assert_exactly_the_engine(c, out, symgrad.leaves(out))
        assert max(len(ln) for ln in c.source.splitlines()) < 120
    statements = [ln for ln in compile(total).source.splitlines() if re.match(r"    v\d+ = ", ln)]
    assert len(statements) == 4  # 700 additions (and their products): 200 lines a statement
    assert "    v4 = v0 + v2 * 0.5  # v3 = v2 * 0.5; v4 = x + v3" in compile(nested).source


def test_a_derivative_is_written_once_when_complete():
    """Its terms, one line each, in the order the engine adds them; written at its own
    turn in the reverse order, after every line that reads a term's g."""
    x, y = Var(1.0, name="x"), Var(1.0, name="y")
    c = compile(-x - y * x + x * x * x)
    assert c(x=1, y=1) == (-1.0, {"x": 1.0, "y": -1.0})  # −1 − y + 3x²
    lines = c.source.splitlines()
    start = lines.index("    g0 = (g7 * v5  # ∂(×)/∂b along v6 → v0 (x)")
    assert lines[start + 1:start + 5] == [
        "          + g5 * v0  # ∂(×)/∂a along v5 → v0 (x)",
        "          + g5 * v0  # ∂(×)/∂b along v5 → v0 (x)",
        "          + g3 * v1  # ∂(×)/∂b along v3 → v0 (x)",
        "          - g7)  # ∂(−)/∂a = -1 along v2 → v0 (x)"]
    assert lines.index("    g5 = g7 * v0  # ∂(×)/∂a along v6 → v5") < start
    assert lines.index("    g3 = -g7  # ∂(−)/∂b = -1 along v4 → v3") < start


def test_two_paths_to_one_input_add_up():
    x = Var(2.0, name="x")
    c = compile((x**2 + 3)**2 + x)
    assert c(x=2) == (51.0, {"x": 57.0})
    assert ("    g0 = (g4  # ∂(+)/∂b = 1 along v4 → v0 (x)\n"
            "          + g2 * (2.0 * pow(v0, 1.0)))  # ∂(^)/∂a along v1 → v0 (x)\n") in c.source


def test_known_local_derivatives_are_written_out():
    x, y = Var(2.0, name="x"), Var(3.0, name="y")
    src = compile((x - y) * 2).source
    assert "g2 = g3 * 2.0  # ∂(×)/∂a = 2.0 along v3 → v2" in src
    assert "# g0 is g2: ∂(−)/∂a = 1 along v2 → v0 (x)" in src
    assert "g1 = -g2  # ∂(−)/∂b = -1 along v2 → v1 (y)" in src
    c = compile((x - y) - y)
    assert c(x=1, y=1) == (-1.0, {"x": 1.0, "y": -2.0})
    assert ("    g1 = (-g3  # ∂(−)/∂b = -1 along v3 → v1 (y)\n"
            "          - g3)  # ∂(−)/∂b = -1 along v2 → v1 (y)\n") in c.source


def assert_exactly_the_engine(c, out, leaves):
    """The compiled value and derivatives are the engine's floats, bit for bit: the same
    operations, the terms of every derivative added in the engine's order."""
    value, grads = c(*[v.value for v in leaves])
    assert value == out.value
    assert list(grads.values()) == symgrad.grad(out, leaves)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "sin", "linear"])
def test_an_mlp_gradient_is_the_engines_bit_for_bit(activation):
    net = nn.MLP(2, [6, 5, 1], activation=activation, seed=4)
    params = net.parameters()
    data = [([0.3, -1.2], 0.0), ([1.5, 0.25], 1.0), ([-0.7, 0.9], 1.0)]
    loss = nn.loss_graph(net, data)
    c = compile(loss)
    assert_exactly_the_engine(c, loss, symgrad.leaves(loss))
    assert len(c(*[v.value for v in symgrad.leaves(loss)])[1]) == len(params)


def test_a_sum_of_many_terms_is_split_and_stays_exact():
    """CPython compiles a sum recursively: past some thousands of terms it runs out of
    stack, so a derivative of very many terms goes on in further statements."""
    x, w = Var(0.7, name="x"), Var(-0.3, name="w")
    out = x * w
    for k in range(700):  # x gets two terms per step, w one
        out = out + symgrad.sin(x * (w + k / 700))
    c = compile(out)
    assert "    g0 = (g0  # g0 goes on: at most 200 terms a statement" in c.source
    assert_exactly_the_engine(c, out, [x, w])


def test_rules_see_constants_as_numbers_like_the_engine():
    """pow's partial is exactly 0 for a constant exponent 0 (no pow(a, -1) at a = 0),
    as on the engine's floats; arithmetic that overflows on constants alone is still
    written out, to fail at run time as the engine does."""
    x = Var(0.0, name="x")
    assert compile(x**0.0)(x=0.0) == (1.0, {"x": symgrad.grad(x**0.0, x)}) == (1.0, {"x": 0.0})
    assert "pow(v0, -1.0)" not in compile(x**0.0).source
    x.value = 1e-300
    c = compile(x / 1e-310)
    assert "g1 * (1 / 1e-310)" in c.source
    with pytest.raises(DomainError, match=r"a local derivative of div\(x=1e-300, 1e-310\)"):
        c(x=1e-300)


def test_relu_networks_and_step():
    x = Var(-1.5, name="x")
    out = symgrad.relu(x * 3) + apply(OPS["step"], x) * x
    c = compile(out)
    for v in (-1.5, 0.0, 2.0):
        x.value = v
        symgrad.evaluate(out)
        assert_agrees(c, out, [x])
    assert "= 0.0 along" in c.source  # step's derivative is 0, known while building


def test_wrt_picks_and_orders_inputs():
    z, (x, y) = tutorial()
    assert compile(z, wrt=y)(2, 1) == (50.0, {"y": 1.0})
    assert compile(z, wrt=["y", x])(2, 1) == (50.0, {"y": 1.0, "x": 56.0})
    assert compile(z, wrt=[])(2, 1) == (50.0, {})
    assert "pow(v0, 1.0)" not in compile(z, wrt=y).source  # nothing is done for x
    with pytest.raises(InputError, match="'w' is not an input"):
        compile(z, wrt="w")
    with pytest.raises(InputError, match="not an input"):
        compile(z, wrt=[z])


def test_degenerate_graphs():
    x = Var(2.5, name="x")
    assert compile(x)(x=4) == (4.0, {"x": 1.0})
    assert compile(constant(3))() == (3.0, {})
    c = compile(apply(OPS["mul"], 2, 3) + x)  # an op whose inputs are all constants
    assert c(x=1) == (7.0, {"x": 1.0})


def test_only_paths_to_the_inputs_are_differentiated():
    """Like the engine, compiled code never evaluates a local derivative on a branch
    that reaches no input: sqrt's derivative at 0 is undefined, but nothing needs it."""
    x = Var(1.0, name="x")
    out = symgrad.sqrt(apply(OPS["add"], 1.0, -1.0)) + x  # sqrt's derivative at 0: undefined
    assert symgrad.grad(out, x) == 1.0
    assert compile(out)(x=2) == (2.0, {"x": 1.0})
    assert "= sqrt(0.0)" in compile(out).source and "g2" not in compile(out).source


def test_an_op_added_to_the_table_compiles_without_changes():
    cube = Op("cube", "³", lambda m, a: a * a * a, (lambda m, out, a: 3 * m.exp(m.log(a)) ** 2,))
    x = Var(1.5, name="x")
    out = apply(cube, x)
    c = compile(out)
    assert "v1 = v0 * v0 * v0  # ³ : x * x * x" in c.source
    assert c(x=2)[1]["x"] == pytest.approx(12.0, rel=1e-14)


def test_rules_that_cannot_be_written_are_refused():
    branchy = Op("absish", "|", lambda m, a: a if a > 0 else -a, (lambda m, out, a: 1,))
    with pytest.raises(SymgradError, match="'absish' cannot be written as code"):
        compile(apply(branchy, Var(1.0)))
    unknown = Op("erf", "erf", lambda m, a: m.erf(a), (lambda m, out, a: 1,))
    node = -Var(1.0)
    node.op = unknown  # FLOAT has no erf, so this node could not be built by apply
    with pytest.raises(SymgradError, match="'erf' is not a primitive"):
        compile(node)


# -- the source namespace -------------------------------------------------------------------

@st.composite
def expressions(draw, depth=4):
    """A random arithmetic expression, as a pair (Source, the same on floats)."""
    env = [0.75, -1.25, 2.0]
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        if draw(st.booleans()):
            i = draw(st.integers(0, 2))
            return Source(f"v{i}", refs={i}), env[i]
        x = draw(st.sampled_from([0, 1, 2, -1, 0.5, -3.0, 1e-3, -0.0]))
        return x, x  # a plain number, as rules write them
    kind = draw(st.sampled_from(["+", "-", "*", "/", "**", "neg", "exp"]))
    a, fa = draw(expressions(depth - 1))
    if not isinstance(a, Source):
        a = CODEGEN.literal(a)  # a constant of the graph: a Source with a known number
    if kind == "neg":
        return -a, (lambda p: -p, fa)
    if kind == "exp":
        return SOURCE.exp(a), (FLOAT.exp, fa)
    b, fb = draw(expressions(depth - 1))
    ops = {"+": lambda p, q: p + q, "-": lambda p, q: p - q, "*": lambda p, q: p * q,
           "/": lambda p, q: p / q, "**": lambda p, q: p**q}
    if draw(st.booleans()):
        return ops[kind](b, a), (ops[kind], fb, fa)  # the plain number (if any) on the left
    return ops[kind](a, b), (ops[kind], fa, fb)


def run_plain(tree):
    if isinstance(tree, tuple):
        f, *args = tree
        return f(*[run_plain(a) for a in args])
    return tree


@given(expressions())
def test_source_text_computes_what_the_operators_compute(pair):
    """Parentheses and folding are right: the text evaluates to the plain arithmetic."""
    src, tree = pair
    text = src.text if isinstance(src, Source) else CODEGEN.literal(src).text
    env = {"v0": 0.75, "v1": -1.25, "v2": 2.0, "exp": FLOAT.exp, "__builtins__": {}}
    try:
        want = run_plain(tree)
    except (ArithmeticError, ValueError, TypeError) as exc:  # TypeError: exp of a complex
        want = type(exc)
    try:
        got = eval(builtins_compile(text), env)
    except (ArithmeticError, ValueError, TypeError) as exc:
        got = type(exc)
    if isinstance(want, type) or isinstance(got, type):
        assert want is got or (isinstance(want, type) and isinstance(got, complex))
    elif isinstance(want, complex) or isinstance(got, complex):
        assert complex(got) == pytest.approx(complex(want))
    else:
        assert got == want or (math.isnan(got) and math.isnan(want)), text


def builtins_compile(text):
    import builtins

    return builtins.compile(text, "<test>", "eval")


def test_source_parentheses_by_hand():
    a, b = Source("v0", refs={0}), Source("v1", refs={1})
    assert (a - (b - a)).text == "v0 - (v1 - v0)"
    assert ((a - b) - a).text == "v0 - v1 - v0"
    assert (a / (b * a)).text == "v0 / (v1 * v0)"
    assert (a ** (b ** a)).text == "v0 ** v1 ** v0"
    assert ((a ** b) ** a).text == "(v0 ** v1) ** v0"
    assert ((-a) ** 2).text == "(-v0) ** 2"
    assert (-(a ** 2)).text == "-v0 ** 2"
    assert (a ** -b).text == "v0 ** -v1"
    assert (-(a + b)).text == "-(v0 + v1)"
    assert (SOURCE.exp(a + 1) * 2).text == "exp(v0 + 1) * 2"
    assert (0 * a).text == "0.0" and (a + 0).text == "v0"
    assert (0 - a).text == "-v0" and (a / 1).text == "v0"
    assert (0 * SOURCE.log(a)).text == "0 * log(v0)"  # a call may fail: never dropped
    assert (Source("2.0", num=2.0) - 1).num == 1.0
    assert ((a + b) * 1).refs == {0, 1}
    with pytest.raises(TypeError):
        bool(a)


# -- random DAGs ------------------------------------------------------------------------------

@st.composite
def dags(draw):
    """A random DAG over the whole op table; operands are earlier nodes (so subexpressions
    are shared) or constants, at least one a node, so every node depends on an input.
    A step outside an op's domain is dropped."""
    values = draw(st.lists(st.floats(-2, 2, allow_nan=False), min_size=1, max_size=3))
    leaves = [Var(v, name=f"x{i}") for i, v in enumerate(values)]
    pool = list(leaves)
    for _ in range(draw(st.integers(1, 14))):
        op = OPS[draw(st.sampled_from(sorted(OPS)))]
        args = [draw(st.sampled_from(pool)) if k == 0 or draw(st.integers(0, 4)) else
                draw(st.floats(-3, 3, allow_nan=False)) for k in range(op.arity)]
        if draw(st.booleans()):
            args.reverse()
        try:
            pool.append(apply(op, *args))
        except DomainError:
            continue
    out = pool[-1]
    for extra in draw(st.lists(st.sampled_from(pool), max_size=3)):
        out = out * 0.5 + extra
    return out, leaves


def check_dag(out):
    leaves = symgrad.leaves(out)
    c = compile(out)
    assert_only_generated_names(c.source)
    try:
        expected = symgrad.grad(out, leaves)
    except DomainError:
        expected = None
    if expected is None or not all(map(math.isfinite, expected)):
        with pytest.raises(DomainError):
            c(*[v.value for v in leaves])
    else:
        assert_agrees(c, out, leaves)


@given(dags())
def test_random_dags_agree_with_the_engine(dag):
    check_dag(dag[0])


@given(dags())
def test_random_dags_equal_the_engine_bit_for_bit(dag):
    out, _ = dag
    leaves = symgrad.leaves(out)
    try:
        expected = symgrad.grad(out, leaves)
    except DomainError:
        return
    if all(map(math.isfinite, expected)):
        assert_exactly_the_engine(compile(out), out, leaves)


@given(dags(), st.integers(1, 9))
def test_random_dags_split_into_many_parts_agree(dag, size):
    old = MODULE.CHUNK
    MODULE.CHUNK = size
    try:
        check_dag(dag[0])
        c = compile(dag[0])
    finally:
        MODULE.CHUNK = old
    values = [v.value for v in symgrad.leaves(dag[0])]
    try:
        expected = compile(dag[0])(*values)
    except DomainError:
        return
    assert c(*values) == expected  # the same operations in the same order: bit for bit


# -- batch ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(OPS))
def test_batch_equals_calls_for_every_op(name):
    np = pytest.importorskip("numpy")
    op = OPS[name]
    leaves = [Var(lo + 0.1, name=f"a{i}") for i, (lo, _) in enumerate(op.domain)]
    c = compile(apply(op, *leaves))
    points = samples(op, 20)
    arrays = {v.name: np.array([p[i] for p in points]) for i, v in enumerate(leaves)}
    values, grads = c.batch(**arrays)
    for k, p in enumerate(points):
        value, grad = c(*p)
        assert values[k] == pytest.approx(value, rel=1e-12, abs=1e-300)
        for v in leaves:
            assert grads[v.name][k] == pytest.approx(grad[v.name], rel=1e-12, abs=1e-300)


@given(dags())
def test_random_dags_batch_equals_calls(dag):
    """Three points at once equal three calls, or both raise.  NumPy's exp, log, sin ...
    may differ from math's in the last bit, which a random DAG can amplify; hence 1e-9."""
    np = pytest.importorskip("numpy")
    out = dag[0]
    leaves = symgrad.leaves(out)
    c = compile(out)
    points = [[v.value * s for v in leaves] for s in (1.0, 0.9, 1.1)]
    try:
        expected = [c(*p) for p in points]
    except DomainError:
        with pytest.raises(DomainError):
            c.batch(*[np.array(column) for column in zip(*points, strict=True)])
        return
    values, grads = c.batch(*[np.array(column) for column in zip(*points, strict=True)])
    for k, (value, grad) in enumerate(expected):
        assert values[k] == pytest.approx(value, rel=1e-9, abs=1e-12)
        for name, g in grad.items():
            assert grads[name][k] == pytest.approx(g, rel=1e-9, abs=1e-12)


def test_batch_of_an_mlp_broadcasts_scalars():
    np = pytest.importorskip("numpy")
    net = nn.MLP(2, [4, 4, 1], activation=["tanh", "relu", "sigmoid"], seed=3)
    x0, x1 = Var(0.0, name="x0"), Var(0.0, name="x1")
    out = net([x0, x1])
    c = compile(out, wrt=[x0, x1])
    params = {p.name: p.value for p in net.parameters()}
    rng = np.random.default_rng(0)
    xs = rng.uniform(-2, 2, size=(2, 5, 3))
    values, grads = c.batch(x0=xs[0], x1=xs[1], **params)
    assert values.shape == grads["x0"].shape == (5, 3)
    for i in range(5):
        for j in range(3):
            value, grad = c(x0=xs[0, i, j], x1=xs[1, i, j], **params)
            assert values[i, j] == pytest.approx(value, rel=1e-12)
            for k in ("x0", "x1"):
                assert grads[k][i, j] == pytest.approx(grad[k], rel=1e-12, abs=1e-300)
    v, g = compile(x0 * 2 + x1).batch(x0=[1.0, 2.0], x1=5)
    assert v.tolist() == [7.0, 9.0] and g["x0"].tolist() == [2.0, 2.0]
    assert g["x1"].tolist() == [1.0, 1.0]  # a constant derivative still has the shape


def test_batch_domain_errors_name_the_point_and_the_op():
    pytest.importorskip("numpy")
    x = Var(1.0, name="x")
    c = compile(symgrad.log(x) + 1)
    with pytest.raises(DomainError, match=r"at point 2: log\(x=-1\.0\) is undefined"):
        c.batch(x=[1.0, 2.0, -1.0, 3.0])
    with pytest.raises(DomainError, match=r"at point \(1, 0\)"):
        c.batch(x=[[1.0], [0.0]])
    with pytest.raises(InputError, match="not finite"):
        c.batch(x=[1.0, float("nan")])
    with pytest.raises(InputError, match="must be a number or an array"):
        c.batch(x=["a"])
    with pytest.raises(InputError, match="do not broadcast"):
        compile(x * Var(1.0, name="y")).batch(x=[1, 2], y=[1, 2, 3])


def test_batch_without_numpy_says_how_to_install_it(monkeypatch):
    z, _ = tutorial()
    c = compile(z)
    monkeypatch.setitem(sys.modules, "numpy", None)
    with pytest.raises(SymgradError, match=r"pip install 'symgrad\[numpy\]'"):
        c.batch(x=[1, 2], y=1)


def test_the_numpy_namespace_covers_every_primitive():
    pytest.importorskip("numpy")
    ns = COMPILED.numpy_namespace()
    assert set(ns) == {n for n in dir(FLOAT) if not n.startswith("_")}
    for name, f in ns.items():
        for a in (-2.5, -0.5, 0.0, 0.5, 1.7, 30.0):
            try:
                want = getattr(FLOAT, name)(*([a, 1.5] if name == "pow" else [a]))
            except (ArithmeticError, ValueError):
                continue
            got = float(f(*([a, 1.5] if name == "pow" else [a])))
            assert got == pytest.approx(want, rel=1e-15, abs=1e-300), (name, a)


# -- safety -----------------------------------------------------------------------------------

HOSTILE = ["__import__('pathlib').Path(MARK).touch()", "a\nimport os\nos.system('touch MARK')",
           "\u2028", "b\r# \x00", "c\x1b[2J\u202e", "''' \"\"\"", "#", "d)) + (1"]


def test_hostile_names_never_run_and_stay_in_comments(tmp_path):
    mark = tmp_path / "pwned"
    names = [n.replace("MARK", repr(str(mark))) for n in HOSTILE]
    leaves = [Var(0.5 + k / 10, name=n) for k, n in enumerate(names)]
    out = leaves[0]
    for v in leaves[1:]:
        out = symgrad.sin(out * v) + v
    c = compile(out)
    assert_only_generated_names(c.source)
    for line in c.source.splitlines():
        assert line.isprintable()
    for name in names:
        code = " ".join(t.string for t in code_tokens(c.source))
        assert name not in code
    assert_agrees(c, out, leaves)
    assert c(*[v.value for v in leaves])[0] == out.value
    assert not mark.exists()
    assert "\n" not in repr(c) and "\u2028" not in repr(c)
    with pytest.raises(InputError, match="unknown input"):
        c(**{"__import__('os')": 1.0})


def test_hostile_names_in_wrt_and_messages():
    x = Var(1.0, name="x\nimport os")
    c = compile(symgrad.log(x), wrt=["x\nimport os"])
    with pytest.raises(DomainError, match=r"log\(x\?import os=-3\.0\)"):
        c(-3.0)
    assert c(2.0)[1] == {"x\nimport os": 0.5}


# -- domain errors ----------------------------------------------------------------------------

def test_log_of_a_negative_is_a_domain_error():
    x = Var(1.0, name="x")
    c = compile(symgrad.log(x) * 2)
    with pytest.raises(DomainError, match=r"log\(x=-1\.0\) is undefined.*positive input"):
        c(x=-1)


def test_division_by_zero_is_a_domain_error():
    x = Var(2.0, name="x")
    c = compile(1 / x)
    with pytest.raises(DomainError, match=r"div\(1\.0, x=0\.0\) is undefined"):
        c(x=0)
    assert not issubclass(DomainError, ZeroDivisionError)


def test_undefined_local_derivatives_and_overflow_are_domain_errors():
    x, y = Var(1.0, name="x"), Var(1.0, name="y")
    with pytest.raises(DomainError, match=r"a local derivative of sqrt\(x=0\.0\)"):
        compile(symgrad.sqrt(x))(x=0)
    with pytest.raises(DomainError, match=r"exp\(x=1000\.0\)"):
        compile(symgrad.exp(x))(x=1000)
    with pytest.raises(DomainError, match=r"mul\(.*not finite"):
        compile(x * y)(x=1e200, y=1e200)
    # An infinity that the next op would hide (1/inf = 0) is still caught.
    with pytest.raises(DomainError, match=r"mul\(x=1e\+200, x=1e\+200\)"):
        compile(1 / (x * x))(x=1e200)
    # A derivative that overflows although every value and local derivative is finite.
    with pytest.raises(DomainError, match="derivative with respect to 'x' is not finite"):
        compile(symgrad.sqrt(x) * 1e300)(x=1e-300)


def test_inputs_are_checked():
    z, _ = tutorial()
    c = compile(z)
    with pytest.raises(InputError, match="missing a value for input 'y'"):
        c(x=1)
    with pytest.raises(InputError, match=r"unknown input 'w' \(the inputs: 'x', 'y'\)"):
        c(x=1, y=2, w=3)
    with pytest.raises(InputError, match="given twice"):
        c(1, x=2)
    with pytest.raises(InputError, match="takes 2 inputs, got 3"):
        c(1, 2, 3)
    with pytest.raises(InputError, match=r"unknown input 'w'"):
        c(x=1, w=3)  # as many names as inputs, one of them wrong
    for bad in ("1", True, None, float("nan"), float("inf"), 10**400, 1j):
        with pytest.raises(InputError):
            c(bad, 1)
        with pytest.raises(InputError):
            c(x=1, y=bad)
    assert c(x=2, y=1) == c(2, 1) == c(2.0, True + 0) == (50.0, {"x": 56.0, "y": 1.0})
    first, second = c(2, 1)[1], c(2, 1)[1]
    first["x"] = 0.0
    assert second == {"x": 56.0, "y": 1.0} and c(2, 1)[1] == second  # a new dict each call
    with pytest.raises(InputError, match=r"must be a symgrad\.Var"):
        compile(3.0)
    with pytest.raises(InputError, match="share the name 'x'"):
        compile(Var(1.0, name="x") + Var(2.0, name="x"))


# -- size, determinism, docs ------------------------------------------------------------------

@pytest.mark.slow
def test_a_chain_of_a_hundred_thousand_nodes(watchdog):
    x, w = Var(0.3, name="x"), Var(0.9, name="w")
    y = x
    for _ in range(25_000):
        y = symgrad.tanh(y * w + 0.5 * x)  # four ops a step; x feeds every step
    assert len([v for v in symgrad.nodes(y) if v.op is not CONST]) > 100_000
    with watchdog(120):
        c = compile(y)
    assert c.source.startswith("def part0(s):")
    assert c(x=0.3, w=0.9)[0] == y.value
    assert_agrees(c, y, [x, w])


def test_parts_pass_values_through_slots(chunk):
    chunk(3)
    z, _ = tutorial()
    c = compile(z)
    assert c.source.count("def part") == 4 and "s[0]" in c.source
    assert c(x=2, y=1) == (50.0, {"x": 56.0, "y": 1.0})
    assert c(3, 0) == (144.0, {"x": 144.0, "y": 1.0})
    assert_only_generated_names(c.source)


def test_the_source_is_deterministic():
    def build():
        net = nn.MLP(2, [3, 1], seed=1)
        return nn.loss_graph(net, nn.XOR)

    loss = build()
    assert compile(loss).source == compile(loss).source == compile(build()).source


def test_the_source_has_no_user_name_outside_comments():
    net = nn.MLP(2, [2, 1], seed=0)
    loss = nn.loss_graph(net, nn.XOR)
    c = compile(loss)
    assert_only_generated_names(c.source)
    assert "layer0.neuron0.w0" in c.source  # in a comment
    code = " ".join(t.string for t in code_tokens(c.source))
    assert "layer" not in code and "neuron" not in code


def test_the_howto_page_shows_what_compile_prints():
    lines = PAGE.read_text(encoding="utf-8").splitlines()
    start = lines.index("   def value_and_grad(v0, v1):")
    block = []
    for line in lines[start:]:
        if line and not line.startswith("   "):
            break
        block.append(line[3:])
    z, _ = tutorial()
    assert "\n".join(block).strip("\n") == compile(z).source.strip("\n")
    assert isinstance(compile(z), Compiled)
