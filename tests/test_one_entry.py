"""Adding an op touches ops.py and nothing else.

A copy of the package gets one new table entry (softplus, and a binary op written
with a Python operator that symgrad did not have: ``%`` is not Python-only here, so we
use a function), and a fresh interpreter checks that the new op works everywhere:
value, Var method and ``symgrad.<fn>``, backprop, create_graph, the parser, SymPy
both ways, labels and figures, paths, finite differences and the CLI's help.
"""

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

ENTRY = '''
    Op("softplus", "softplus", partials=(lambda m, out, a: m.sigmoid(a),),
       numeric=lambda a: math.log1p(math.exp(a)) if a < 30 else a + math.log1p(math.exp(-a)),
       symbolic=lambda s: lambda a: s.log(1 + s.exp(a)), domain=((-3, 3),)),
'''

CHECK = r'''
import math, sympy, symgrad
from symgrad import Var
from symgrad.ops import OPS, supported_text

assert "softplus" in OPS and "softplus" in supported_text()
x, y = Var(0.3, name="x"), Var(-1.2, name="y")
ref = math.log1p(math.exp(0.3))
assert abs(x.softplus().value - ref) < 1e-15                       # Var method
assert abs(symgrad.softplus(x).value - ref) < 1e-15                # symgrad.<fn>
assert "softplus" in symgrad.__all__ and "softplus" in symgrad.var.__all__
z = symgrad.softplus(x * y) + x
sig = 1 / (1 + math.exp(-0.3 * -1.2))
assert abs(symgrad.grad(z, x) - (sig * -1.2 + 1)) < 1e-12          # backprop
g = symgrad.grad(z, x, create_graph=True)                           # create_graph
d2 = symgrad.grad(g, x)
assert abs(d2 - sig * (1 - sig) * 1.44) < 1e-12
p = symgrad.parse("softplus(x*y) + x", x=0.3, y=-1.2)               # parser
assert abs(p.value - z.value) < 1e-15
assert abs(symgrad.grad(p, p.inputs[1]) - symgrad.grad(z, x)) < 1e-15
e = symgrad.to_sympy(z)                                             # to SymPy
xs, ys = sympy.symbols("x y")
assert sympy.simplify(e - (sympy.log(1 + sympy.exp(xs * ys)) + xs)) == 0
d = symgrad.derivative(z, "x")
assert abs(float(d.subs({xs: 0.3, ys: -1.2})) - symgrad.grad(z, x)) < 1e-12
back = symgrad.from_sympy(e, x=0.3, y=-1.2)                         # from SymPy
assert abs(back.value - z.value) < 1e-14
assert symgrad.verify(z).ok                                          # four ways agree
assert symgrad.gradcheck(z).ok                                       # finite differences
ps = symgrad.paths(z, x)                                             # paths
assert len(ps) == 2 and abs(sum(q.product for q in ps) - symgrad.grad(z, x)) < 1e-12
from symgrad.render.labels import partial_formula
assert partial_formula(OPS["softplus"], 0) == "σ(u)"                # the edge formula
src = symgrad.draw(z).source
assert "softplus" in src and "∂/∂u = σ(u) = " in src               # the figure
from symgrad.cli import build_parser
assert "softplus" in build_parser()._subparsers._group_actions[0].choices["render"].format_help()
from symgrad.nn import ACTIVATIONS
assert "softplus" in ACTIVATIONS                                     # an activation too
value, grads = symgrad.compile(z)(x=0.3, y=-1.2)                     # compiled code
assert abs(value - z.value) < 1e-15 and abs(grads["x"] - symgrad.grad(z, x)) < 1e-12
assert "softplus" in symgrad.compile(z).source
import numpy
values, batch = symgrad.compile(z).batch(x=numpy.array([0.3, 0.7]), y=-1.2)   # NumPy form
assert abs(values[0] - z.value) < 1e-12
assert abs(symgrad.grad(z, x, mode="forward") - symgrad.grad(z, x)) < 1e-12   # forward mode
page = symgrad.explore(z, wrt=x)                                     # the explorer
assert "softplus" in page.html() and abs(page.data["reverse"]["steps"][-1][1]) > 0
print("ok")
'''


@pytest.mark.slow
def test_a_new_table_entry_works_everywhere(tmp_path):
    copy = tmp_path / "symgrad"
    shutil.copytree(ROOT / "symgrad", copy, ignore=shutil.ignore_patterns("__pycache__"))
    ops = copy / "ops.py"
    text = ops.read_text()
    anchor = "    # The derivative of relu."
    assert anchor in text
    ops.write_text(text.replace(anchor, textwrap.dedent(ENTRY).strip("\n").replace(
        "\n", "\n    ").join(["    ", "\n" + anchor]), 1))
    # only ops.py differs from the package
    changed = [p.name for p in copy.rglob("*.py")
               if p.read_bytes() != (ROOT / "symgrad" / p.relative_to(copy)).read_bytes()]
    assert changed == ["ops.py"]
    done = subprocess.run([sys.executable, "-c", CHECK], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "ok"
