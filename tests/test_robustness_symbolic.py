"""Symbolic robustness: steep functions, wide sums, deep nests, and the report's words.

Each test here failed before its fix: a correct derivative of a steep function was a
MISMATCH because finite differences could not resolve it; a 5,000-term sum took a
minute to lower; a 400-level power tower ran for minutes and ended in a RecursionError
traceback; one input was "all 1 derivatives".
"""

import math
import subprocess
import sys
from pathlib import Path

import pytest
import sympy

import symgrad
from symgrad import Var
from symgrad.cli import main
from symgrad.errors import UnsupportedError, VerificationError
from symgrad.finite import difference_error
from symgrad.ops import Op
from symgrad.symbolic import derivative, gradient, to_sympy, verify
from symgrad.symbolic.lower import nesting_limit
from symgrad.var import apply

ROOT = Path(__file__).resolve().parent.parent


# -- finite differences that cannot resolve a steep slope ---------------------------------------

@pytest.mark.parametrize(("text", "at"), [
    ("exp(exp(exp(exp(x))))", "x=0.5"),
    ("(x+1)**100000", "x=1e-6"),
])
def test_check_says_finite_differences_are_inconclusive_on_steep_slopes(text, at, capsys):
    assert main(["check", text, "--at", at]) == 0
    out = capsys.readouterr().out
    assert "MISMATCH" not in out
    assert "ok (finite differences inconclusive here)" in out.splitlines()[1]
    assert "x: finite differences inconclusive here: they give" in out
    assert "finite differences inconclusive for x" in out


def test_an_inconclusive_row_is_ok_and_carries_the_estimate():
    x = Var(0.5, name="x")
    report = verify(x.exp().exp().exp().exp())
    (row,) = report.rows
    assert report.ok and row.ok and row.notes and not row.problems
    assert abs(row.finite - row.backprop) <= 2 * row.finite_error
    assert row.finite_error > 1e-6 * abs(row.backprop)  # it cannot resolve the value


def test_finite_differences_undefined_a_step_away_are_inconclusive():
    x = Var(709.7, name="x")  # exp(709.7 + h) overflows floats
    report = verify(x.exp() * 1e-300)
    (row,) = report.rows
    assert report.ok and math.isnan(row.finite)
    assert "undefined (or overflows) a step away" in row.notes[0]


def test_the_error_estimate_is_small_where_differences_work():
    value, error = difference_error(math.sin, 1.0)
    assert value == pytest.approx(math.cos(1.0), rel=1e-10)
    assert error < 1e-10
    steep, steep_error = difference_error(lambda v: math.exp(math.exp(math.exp(v))), 1.6)
    true = math.exp(math.exp(math.exp(1.6)) + math.exp(1.6) + 1.6)
    assert abs(steep - true) <= 2 * steep_error


def test_a_wrong_rule_on_a_steep_function_is_still_a_mismatch():
    # exp with a wrong partial (2·out): backprop and symbolic share it, the diff does not
    bad = Op("exp", "exp", partials=(lambda m, out, a: 2 * out,), numeric=math.exp)
    x = Var(0.5, name="x")
    z = apply(bad, x.exp().exp().exp())
    with pytest.raises(VerificationError, match="MISMATCH"):
        verify(z)


def test_conclusive_finite_differences_still_catch_a_slope_the_others_miss():
    # An op whose float value has a slope its rules do not know: at x = 0.5 its value is
    # exp's, so backprop and the symbolic columns agree, and only finite differences see
    # the extra slope of 1e-3, well beyond their own error estimate.
    odd = Op("exp", "exp", partials=(lambda m, out, a: out,),
             numeric=lambda a: math.exp(a) + 1e-3 * (a - 0.5))
    report = verify(apply(odd, Var(0.5, name="x")), raise_on_failure=False)
    (row,) = report.rows
    assert not report.ok and row.status == "MISMATCH" and not row.notes
    assert any(p.startswith("finite differences give") for p in row.problems)


# -- the report's words --------------------------------------------------------------------------

def test_one_derivative_is_not_all_1_derivatives():
    x, y = Var(2.0, name="x"), Var(1.0, name="y")
    one = str(verify(x**2))
    assert "all 1 derivatives" not in one
    assert "the derivative agrees (backprop, symbolic backprop," in one
    assert "all 2 derivatives agree (backprop, symbolic backprop," in str(verify(x * y))
    assert str(verify(x * y, wrt=[])).endswith("no derivatives were checked")


# -- wide sums -------------------------------------------------------------------------------------

def test_a_5000_term_sum_lowers_and_differentiates_at_once(watchdog):
    xs = [Var(0.001 * i, name=f"x{i}") for i in range(5000)]
    z = xs[0]
    for k, v in enumerate(xs[1:]):
        z = z + v * v if k % 2 else z - v  # + and −, squares and plain terms
    with watchdog(30):
        e = to_sympy(z)
        d = derivative(z, "x2")
        g = gradient(z, backend="sympy")
    assert len(e.args) == 5000
    assert d == 2 * sympy.Symbol("x2")
    assert g[xs[1]] == -1 and g[xs[4]] == 2 * sympy.Symbol("x4")


def test_shared_sums_stay_shared():
    x, y = Var(0.5, name="x"), Var(1.5, name="y")
    s = x + y + 1  # used twice: not folded into either consumer
    z = (s * s).sin() + s
    assert to_sympy(z) == sympy.sin((sympy.Symbol("x") + sympy.Symbol("y") + 1) ** 2) \
        + sympy.Symbol("x") + sympy.Symbol("y") + 1
    assert symgrad.grad(z, x) == pytest.approx(
        float(derivative(z, x).subs({"x": 0.5, "y": 1.5})), rel=1e-12)


# -- deep nests ------------------------------------------------------------------------------------

def _cli(*args, timeout=60):
    return subprocess.run([sys.executable, "-m", "symgrad", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT)


@pytest.mark.parametrize("command", ["diff", "check"])
def test_a_400_level_power_tower_is_one_line_and_exit_2(command, watchdog):
    tower = "**".join(["x"] * 400)
    args = [command, tower, "--at", "x=0.5"] + (["--wrt", "x"] if command == "diff" else [])
    with watchdog(90):
        done = _cli(*args)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr[:2000]
    assert lines[0].startswith(f"symgrad {command}: error: the expression nests functions "
                               "and powers more than 100 deep")
    assert "Traceback" not in done.stderr


def test_nesting_is_measured_before_sympy_starts(monkeypatch):
    x = Var(0.5, name="x")
    z = x
    for _ in range(nesting_limit() + 1):
        z = z.sin()
    calls = []
    monkeypatch.setattr(sympy, "diff", lambda *a, **k: calls.append(a))
    for call in (lambda: derivative(z, x), lambda: gradient(z), lambda: verify(z),
                 lambda: derivative(z, x, backend="sympy")):
        with pytest.raises(UnsupportedError, match="recursion limit"):
            call()
    assert not calls
    assert derivative(x.sin().sin(), x) is not None  # shallow nests are fine


def test_a_sigmoid_nest_counts_two_levels_each():
    x = Var(0.5, name="x")
    z = x
    for _ in range(nesting_limit() // 2 + 1):  # 1/(1 + exp(-a)): a Pow around an exp
        z = z.sigmoid()
    with pytest.raises(UnsupportedError, match="more than 100 deep"):
        derivative(z, x)
