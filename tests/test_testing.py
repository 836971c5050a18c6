"""symgrad.testing: the three assertions, their failure messages, and the pytest plugin."""

import math

import pytest
import sympy

import symgrad
from symgrad import Var
from symgrad.errors import (
    DomainError,
    GradientMismatchError,
    InputError,
    ParseError,
    VerificationError,
)
from symgrad.ops import Op
from symgrad.pytest_plugin import SymgradCheck
from symgrad.testing import (
    assert_close_to_finite_differences,
    assert_derivative,
    assert_gradients_match,
)
from symgrad.var import apply

pytest_plugins = ["pytester"]

# An op whose partial rule is wrong on purpose: sin's value, but sin again as its slope.
BAD_SIN = Op("badsin", "bsin", lambda m, a: m.sin(a), (lambda m, out, a: m.sin(a),))


# -- assert_derivative: passing ------------------------------------------------------------

@pytest.mark.parametrize(("expr", "wrt", "expected"), [
    ("(x**2 + 3)**2 + y", "x", "4*x*(x**2 + 3)"),
    ("(x**2 + 3)**2 + y", "y", "1"),
    ("(x**2 + 3)**2 + y", "y", 1),
    ("(x**2 + 3)**2 + x", "x", "4*x**3 + 12*x + 1"),          # expanded: simplify decides
    ("x * x", "x", "2*x"),
    ("sigmoid(w*x + b)", "w", "x*sigmoid(w*x + b)*(1 - sigmoid(w*x + b))"),
    ("log(x) / x", "x", "(1 - log(x)) / x**2"),
    ("sqrt(x) * exp(-x)", "x", "exp(-x) * (1/(2*sqrt(x)) - sqrt(x))"),
    ("tanh(x)", "x", "1 - tanh(x)**2"),
    ("2**x", "x", "log(2) * 2**x"),
    ("x + 1", "x", 1.0),
])
def test_assert_derivative_accepts_true_derivatives(expr, wrt, expected):
    result = assert_derivative(expr, wrt, expected)
    assert isinstance(result, sympy.Expr)


def test_assert_derivative_takes_vars_and_sympy():
    x, y = Var(2.0, name="x"), Var(1.0, name="y")
    z = (x**2 + 3) ** 2 + y
    sx, sy = sympy.symbols("x y")
    assert assert_derivative(z, x, 4 * sx * (sx**2 + 3)) == 4 * sx * (sx**2 + 3)
    assert_derivative(z, "x", "4*x*(x**2 + 3)")
    assert_derivative((sx**2 + 3) ** 2 + sy, "x", 4 * sx * (sx**2 + 3))
    assert_derivative(sympy.sin(sx) * sy, "y", "sin(x)", at={"x": 0.3, "y": 2})
    assert (x.value, y.value, z.value) == (2.0, 1.0, 50.0)   # the graph is left as it was


def test_assert_derivative_restores_the_graph_after_a_failure():
    x = Var(2.0, name="x")
    z = (x**2 + 3) ** 2
    with pytest.raises(VerificationError):
        assert_derivative(z, x, "2*x*(x**2 + 3)")
    assert (x.value, z.value) == (2.0, 49.0)


def test_assert_derivative_numeric_fallback_uses_rtol():
    # 2.0000000001*x is not 2*x symbolically, but equal to 1e-10 relative: the
    # numeric fallback at random points accepts it under rtol=1e-9 and not under 1e-12.
    assert_derivative("x**2", "x", "2.0000000001*x", rtol=1e-9)
    with pytest.raises(VerificationError, match="not the expected"):
        assert_derivative("x**2", "x", "2.0000000001*x", rtol=1e-12, atol=0)


@pytest.mark.parametrize(("expr", "expected", "at"), [
    ("exp(-x)", "exp(-x)", {"x": 800.0}),          # the sign is wrong; floats underflow
    ("exp(-1000*x)", "0", {"x": 1.0}),             # 1e-430 is not 0
    ("exp(-40*x)", "0", {"x": 1.0}),               # 1e-16: below atol, still not 0
    ("exp(-x)", "-2*exp(-x)", {"x": 800.0}),       # a factor off, below floats' range
    ("exp(x)", "exp(x)/2", {"x": 700.0}),          # a factor off where floats overflow
])
def test_a_wrong_derivative_never_passes_where_floats_cannot_tell(expr, expected, at):
    message = failure(expr, "x", expected, at=at)
    assert message.startswith(f"d/dx of {expr.replace(' ', '')}".split("*")[0])
    assert f"not the expected {expected}".split("*")[0] in message


@pytest.mark.parametrize(("expr", "expected", "at"), [
    ("exp(-x)", "-exp(-x)", {"x": 800.0}),
    ("exp(-1000*x)", "-1000*exp(-1000*x)", {"x": 1.0}),
    ("exp(x)", "exp(x)", {"x": 700.0}),
    ("exp(-x) * x", "exp(-x) - x*exp(-x)", {"x": 800.0}),
    ("x - x", "0", None),
])
def test_true_derivatives_pass_where_floats_cannot_tell(expr, expected, at):
    assert_derivative(expr, "x", expected, at=at)


def test_assert_derivative_finds_a_point_where_the_expression_is_defined():
    # Random points are in [0.3, 1.7]; log(x - 1) is undefined for half of them.
    assert_derivative("log(x - 1)", "x", "1/(x - 1)", at={"x": 3})
    assert_derivative("log(x - 1)", "x", "1/(x - 1)")


# -- assert_derivative: failing, with the diagnosis ------------------------------------------

def failure(*args, **kwargs):
    with pytest.raises(VerificationError) as info:
        assert_derivative(*args, **kwargs)
    assert isinstance(info.value, AssertionError)
    return str(info.value)


def test_a_missing_chain_rule_factor_names_the_edge():
    message = failure("(x**2 + 3)**2", "x", "2*(x**2 + 3)", at={"x": 2})
    lines = message.splitlines()
    assert lines[0] == ("d/dx of (x**2 + 3)**2 is 4*x*(x**2 + 3), not the expected "
                        "2*x**2 + 6")
    assert "  at x=2: the derivative is 56, the expected 14" in lines
    assert "  path 1: x → (u²) → (u + 3) → (u²)" in lines
    assert "          factors 4 · 1 · 14 = 56;  term 2*x*(2*x**2 + 6)" in lines
    assert lines[-1] == ("diagnosis: the expected derivative is missing the local factor "
                         "of one edge on path 1: x → (u²): ∂/∂u = 2u = 4")


def test_a_left_out_path_is_named():
    message = failure("(x**2 + 3)**2 + x", "x", "4*x*(x**2 + 3)", at={"x": 2})
    assert "  path 2: x → (+)" in message
    assert "diagnosis: the expected derivative leaves out path 2:" in message
    assert "missing the local factor" not in message


def test_x_times_x_has_two_paths_and_either_may_be_left_out():
    message = failure("x * x", "x", "x", at={"x": 3})
    assert "path 1: x → (×) as u" in message and "path 2: x → (×) as v" in message
    assert "leaves out path 1 or path 2" in message


def test_a_constant_factor_off_is_reported():
    message = failure("(x**2 + 3)**2", "x", "2*x*(x**2 + 3)", at={"x": 2})
    assert "the expected derivative is 0.5 times the true one" in message


def test_an_inner_edge_factor_missing_is_named():
    # Forgetting the derivative of the outer square: the edge (u + 3) → (u²).
    message = failure("(x**2 + 3)**2", "x", "2*x", at={"x": 2})
    assert "missing the local factor of one edge on path 1: (u + 3) → (u²): " \
           "∂/∂u = 2u = 14" in message


def test_an_unrelated_expected_gets_no_false_diagnosis():
    message = failure("sin(x) * y", "x", "x**3", at={"x": 1, "y": 2})
    assert "diagnosis" not in message
    assert "path 1:" in message


def test_expected_with_a_variable_the_expression_lacks():
    message = failure("x**2", "x", "2*y", at={"x": 1})
    assert "uses y, which the expression does not" in message


def test_a_wrong_op_rule_shows_up_as_a_suspect_edge():
    x = Var(1.0, name="x")
    z = apply(BAD_SIN, x) * 3
    message = failure(z, x, "3*cos(x)")
    assert "local derivatives that disagree with their operation's own slope" in message
    assert f"a finite difference of badsin there gives {math.cos(1.0):.4g}" in message


# -- assert_derivative: bad arguments are InputErrors, and text is never evaluated ------------

@pytest.mark.parametrize(("args", "kwargs", "match"), [
    ((3.0, "x", "1"), {}, "expr must be a symgrad.Var"),
    (("x**2", "x", ["2*x"]), {}, "expected must be a SymPy expression"),
    (("x**2", "x", True), {}, "expected must be an expression or a number"),
    (("x**2", "y", "0"), {}, "no input named 'y'"),
    (("x**2", 3, "0"), {}, "wrt must be an input Var or its name"),
    (("x**2", "x", "2*x"), {"at": [2.0]}, "at must be a mapping"),
    (("x**2", "x", "2*x"), {"at": {"x": "two"}}, r"at\['x'\] must be a finite real number"),
    (("x**2", "x", "2*x"), {"at": {"y": 1}}, "does not use"),
])
def test_assert_derivative_rejects_bad_arguments(args, kwargs, match):
    with pytest.raises(InputError, match=match):
        assert_derivative(*args, **kwargs)


def test_assert_derivative_refuses_at_for_a_var_graph():
    x = Var(2.0, name="x")
    with pytest.raises(InputError, match="already holds its values"):
        assert_derivative(x * x, x, "2*x", at={"x": 3})


def test_an_undefined_point_given_by_the_user_is_a_domain_error():
    with pytest.raises(DomainError):
        assert_derivative("log(x)", "x", "1/x", at={"x": -1})


@pytest.mark.parametrize("hostile", [
    "__import__('os').system('touch {marker}')",
    "open('{marker}', 'w')",
    "x.__class__",
    "(lambda: open('{marker}', 'w'))()",
])
def test_hostile_expected_text_is_a_parse_error_and_runs_nothing(hostile, tmp_path):
    marker = tmp_path / "pwned"
    text = hostile.format(marker=marker)
    with pytest.raises(ParseError):
        assert_derivative("x**2", "x", text)
    with pytest.raises(ParseError):
        assert_derivative(text, "x", "2*x")
    assert not marker.exists()


# -- assert_gradients_match -----------------------------------------------------------------

def test_assert_gradients_match_returns_the_verify_report():
    x, y = Var(2.0, name="x"), Var(1.0, name="y")
    report = assert_gradients_match((x**2 + 3) ** 2 + y * x.sin())
    assert report.ok and [r.name for r in report.rows] == ["x", "y"]
    assert [r.name for r in assert_gradients_match(x * y, wrt="y").rows] == ["y"]
    assert [r.name for r in assert_gradients_match(x * y, wrt=[y, "x"]).rows] == ["y", "x"]


def test_assert_gradients_match_without_sympy_is_gradcheck():
    x = Var(0.7, name="x")
    report = assert_gradients_match(x.tanh() * x.exp(), symbolic=False)
    assert isinstance(report, symgrad.finite.GradcheckReport) and report.ok


@pytest.mark.parametrize("symbolic", [True, False])
def test_a_wrong_op_rule_fails_with_the_table_and_the_edge(symbolic):
    x, y = Var(1.0, name="x"), Var(2.0, name="y")
    z = apply(BAD_SIN, x * y) + y
    with pytest.raises(GradientMismatchError) as info:
        assert_gradients_match(z, symbolic=symbolic)
    message = str(info.value)
    assert message.startswith("the gradients of the output disagree for x, y:")
    assert "MISMATCH" in message                                   # the per-input table
    assert "paths from x to the output" in message
    assert "(×) → (bsin): ∂/∂u = sin(u) = 0.9093, but a finite difference of badsin " \
           f"there gives {math.cos(2.0):.4g}".replace("-", "−") in message.replace("-", "−")


def test_tolerances_are_validated_and_used():
    x = Var(1e3, name="x")
    z = (x * 1e-3).exp()
    assert_gradients_match(z, rtol=1e-6, symbolic=False)
    with pytest.raises(InputError, match="rtol and atol"):
        assert_gradients_match(z, rtol=0, atol=0)
    with pytest.raises(InputError, match="rtol must be a finite real number"):
        assert_gradients_match(z, rtol="tight")
    with pytest.raises(InputError, match="symbolic must be True or False"):
        assert_gradients_match(z, symbolic="yes")


def test_a_deep_failing_chain_gives_a_short_message():
    x = Var(0.5, name="x")
    z = apply(BAD_SIN, x)
    for _ in range(50_000):                                  # 200,000 nodes deep
        z = z * 1.0000001 + 1e-9
    with pytest.raises(GradientMismatchError) as info:
        assert_gradients_match(z, symbolic=False)
    message = str(info.value)
    assert len(message) < 5000
    assert "… 99986 more …" in message                     # the one long path, elided
    assert "x → (bsin): ∂/∂u = sin(u) = 0.4794, but a finite difference" in message


def test_a_deep_chain_is_checked_without_recursion(watchdog):
    x = Var(0.5, name="x")
    z = x
    for _ in range(50_000):                                  # 200,000 nodes deep
        z = z * 1.0000001 + 1e-9
    with watchdog():
        report = assert_gradients_match(z, symbolic=False)
    assert report.ok


# -- assert_close_to_finite_differences -----------------------------------------------------

def test_callables_by_position_name_and_scalar():
    assert assert_close_to_finite_differences(lambda x, y: x * y**2, [3.0, 2.0]).ok
    report = assert_close_to_finite_differences(
        lambda w, b: symgrad.sigmoid(w * 2 + b), {"w": 0.5, "b": -1.0})
    assert [r.name for r in report.rows] == ["w", "b"]
    assert assert_close_to_finite_differences(lambda t: symgrad.tanh(t), 0.3).ok


def test_a_given_gradient_function_is_compared():
    def f(x, y):
        return math.exp(x) * math.sin(y)

    def good(x, y):
        return (math.exp(x) * math.sin(y), math.exp(x) * math.cos(y))

    def by_name(x, y):
        return {"y": math.exp(x) * math.cos(y), "x": math.exp(x) * math.sin(y)}

    assert assert_close_to_finite_differences(f, [0.3, 1.2], grad=good).ok
    assert assert_close_to_finite_differences(f, {"x": 0.3, "y": 1.2}, grad=by_name).ok
    assert assert_close_to_finite_differences(math.sin, 1.0, grad=math.cos).ok


def test_a_wrong_gradient_fails_with_the_table():
    with pytest.raises(GradientMismatchError) as info:
        assert_close_to_finite_differences(lambda x, y: x * y, [2.0, 5.0],
                                           grad=lambda x, y: [y, x + 1])
    message = str(info.value)
    lines = message.splitlines()
    assert lines[1].split() == ["input", "value", "gradient", "numeric", "abs", "err",
                                "rel", "err", "tol"]
    assert lines[2].split()[:4] == ["x0", "2", "5", "5"] and lines[2].endswith("ok")
    assert lines[3].split()[:4] == ["x1", "5", "3", "2"] and lines[3].endswith("MISMATCH")
    assert "from your grad function" in message


@pytest.mark.parametrize("method", ["forward", "backward", "central", "richardson"])
def test_every_method_and_its_tolerance(method):
    rtol = 1e-5 if method in ("forward", "backward") else 1e-8
    assert_close_to_finite_differences(symgrad.exp, 1.0, method=method, rtol=rtol)


def test_a_fixed_step_too_big_for_the_tolerance_fails():
    with pytest.raises(GradientMismatchError):
        assert_close_to_finite_differences(lambda x: x**3, 1.0, method="forward", h=1e-2)


@pytest.mark.parametrize(("f", "point", "kwargs", "match"), [
    ("not callable", 1.0, {}, "f must be a function"),
    (lambda x: x, "1.0", {}, "point must be a number"),
    (lambda x: x, [], {}, "point is empty"),
    (lambda x: x, [math.nan], {}, "must be a finite real number"),
    (lambda x: math.exp(x), 1.0, {}, "could not be called with symgrad Vars"),
    (lambda x: 1.0, 1.0, {}, "no graph to backprop through"),
    (lambda x, y: x * y, [1.0, 2.0], {"grad": lambda x, y: [1.0]}, "must return 2 number"),
    (lambda x, y: x * y, {"x": 1, "y": 2}, {"grad": lambda x, y: {"x": 1}},
     "no derivative for y"),
    (lambda x: x, 1.0, {"grad": 3}, "grad must be None or a function"),
    (lambda x: x, 1.0, {"method": "five-point"}, "unknown finite-difference method"),
    (lambda x: x, 1.0, {"h": -1.0}, "step h must be a positive"),
    (lambda x: "one", 1.0, {"grad": lambda x: 1}, "f's result must be a finite real number"),
])
def test_assert_close_rejects_bad_arguments(f, point, kwargs, match):
    with pytest.raises(InputError, match=match):
        assert_close_to_finite_differences(f, point, **kwargs)


# -- SymgradCheck ---------------------------------------------------------------------------

def test_symgrad_check_counts_and_validates():
    check = SymgradCheck(rtol=1e-4, atol=1e-9, method="central")
    check.derivative("x**3", "x", "3*x**2")
    x, y = Var(1.0, name="x"), Var(2.0, name="y")
    check.gradients(x * y)
    check.finite_differences(lambda x: x**2, 3.0)
    assert check.count == 3
    assert repr(check) == "SymgradCheck(rtol=0.0001, atol=1e-09, method='central')"
    with pytest.raises(InputError, match="unknown finite-difference method"):
        SymgradCheck(method="five-point")
    with pytest.raises(VerificationError):
        check.derivative("x**3", "x", "3*x")
    assert check.count == 3


# -- the pytest plugin, through pytester ------------------------------------------------------

PLUGIN_TESTS = '''
import math
import pytest
import symgrad


def test_fixture_derivative(symgrad_check):
    symgrad_check.derivative("(x**2 + 3)**2 + y", "x", "4*x*(x**2 + 3)")


def test_fixture_gradients(symgrad_check):
    w, b = symgrad.Var(0.5, name="w"), symgrad.Var(-0.2, name="b")
    symgrad_check.gradients(((w * 1.5 + b).sigmoid() - 1) ** 2)


def off_by(rel):
    return lambda x: math.cos(x) * (1 + rel)


def test_default_tolerance(symgrad_check):
    symgrad_check.finite_differences(math.sin, 1.0, grad=off_by(1e-5))


@pytest.mark.symgrad(rtol=1e-4)
def test_marker_loosens(symgrad_check):
    assert symgrad_check.rtol == 1e-4
    symgrad_check.finite_differences(math.sin, 1.0, grad=off_by(1e-5))


@pytest.mark.symgrad(method="central", atol=1e-12)
def test_marker_method(symgrad_check):
    assert (symgrad_check.method, symgrad_check.atol) == ("central", 1e-12)
'''


def test_plugin_fixture_and_marker(pytester):
    pytester.makepyfile(test_plugin=PLUGIN_TESTS)
    result = pytester.runpytest("--strict-markers", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(["*FAILED test_plugin.py::test_default_tolerance*"])


def test_plugin_command_line_options(pytester):
    pytester.makepyfile(test_plugin=PLUGIN_TESTS)
    result = pytester.runpytest("--symgrad-rtol", "1e-4", "--symgrad-method", "forward",
                                "-p", "no:cacheprovider", "-k", "default or method")
    result.assert_outcomes(passed=2)          # the marker still wins for method/atol
    bad = pytester.runpytest("--symgrad-method", "five-point", "-p", "no:cacheprovider")
    assert bad.ret != 0
    bad.stderr.fnmatch_lines(["*--symgrad-method*invalid choice*five-point*"])


def test_plugin_documents_itself(pytester):
    help_text = pytester.runpytest("--help").stdout.str()
    for option in ("--symgrad-rtol", "--symgrad-atol", "--symgrad-method"):
        assert option in help_text
    markers = pytester.runpytest("--markers").stdout.str()
    assert "@pytest.mark.symgrad(rtol=None, atol=None, method=None)" in markers


def test_a_bad_marker_is_reported(pytester):
    pytester.makepyfile(test_bad='''
import pytest

@pytest.mark.symgrad(tolerance=1)
def test_it(symgrad_check):
    pass
''')
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*unknown argument(s) tolerance*"])


def test_failures_point_at_the_users_line(pytester):
    pytester.makepyfile(test_user='''
from symgrad.testing import assert_derivative, assert_close_to_finite_differences


def test_chain():
    assert_derivative("(x**2 + 3)**2", "x", "2*(x**2 + 3)", at={"x": 2})


def test_fixture(symgrad_check):
    symgrad_check.finite_differences(lambda x: x * x, 3.0, grad=lambda x: x)
''')
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=2)
    out = result.stdout.str()
    result.stdout.fnmatch_lines([
        '>       assert_derivative("(x**2 + 3)**2", "x", "2*(x**2 + 3)", at={"x": 2})',
        "E       symgrad.errors.VerificationError: d/dx of (x**2 + 3)**2 is 4*x*(x**2 + 3),*",
        "E       diagnosis: the expected derivative is missing the local factor*",
        "test_user.py:5: VerificationError",
        ">       symgrad_check.finite_differences(lambda x: x * x, 3.0, grad=lambda x: x)",
        "E       symgrad.errors.GradientMismatchError: the gradient does not match*",
        "test_user.py:9: GradientMismatchError",
    ])
    assert "symgrad/testing.py" not in out     # the helpers' frames are hidden


def test_failure_messages_never_name_an_operand_like_an_input():
    """With inputs called u and v, the edges say p and q (as the figures do)."""
    u, v = Var(0.5, name="u"), Var(1.5, name="v")
    out = apply(BAD_SIN, u * v)
    with pytest.raises(GradientMismatchError) as info:
        assert_gradients_match(out, symbolic=False)
    message = str(info.value)
    assert "∂/∂p = " in message and "∂/∂u" not in message and "∂/∂v" not in message
