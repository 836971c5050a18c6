"""The command line: each command end to end, and hostile or malformed input.

A user error is exactly one line on stderr, exit status 2, and no traceback.
"""

import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from symgrad.cli import main


def run(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "symgrad", *args], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=120)


def assert_one_line_error(result, *needles):
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0]


# -- the commands -----------------------------------------------------------------------------

def test_diff_prints_the_closed_form(capsys):
    assert main(["diff", "(x**2 + 3)**2 + y", "--wrt", "x"]) == 0
    assert capsys.readouterr().out.strip() == "4*x*(x**2 + 3)"
    assert main(["diff", "(x**2 + 3)**2 + x", "--wrt", "x"]) == 0
    assert capsys.readouterr().out.strip() == "4*x*(x**2 + 3) + 1"
    assert main(["diff", "(x**2 + 3)**2 + y", "--wrt", "x", "--latex"]) == 0
    assert capsys.readouterr().out.strip() == r"4 x \left(x^{2} + 3\right)"


def test_diff_raw_is_the_unsimplified_accumulation(capsys):
    assert main(["diff", "sin(x)*x + x", "--wrt", "x", "--raw"]) == 0
    raw = capsys.readouterr().out.strip()
    assert "cos(x)" in raw and "sin(x)" in raw


def test_paths_table_sums_to_backprop(capsys):
    assert main(["paths", "(x**2 + 3)**2 + x", "--wrt", "x", "--at", "x=2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "path 1: ∂out/∂x along + ← ^ ← + ← ^ ← x: 1 · 14 · 1 · 4 = 56",
        "path 2: ∂out/∂x along + ← x: 1 = 1",
        "sum over 2 paths: 57 = backprop's gradient 57",
    ]


def test_paths_refuses_more_paths_than_the_limit():
    result = run("paths", " + ".join(["x"] * 150), "--wrt", "x", "--at", "x=1",
                 "--limit", "100")
    assert_one_line_error(result, "150 paths", "the limit of 100")
    assert "limit=" not in result.stderr  # a CLI user has --limit, not a keyword argument


def test_check_prints_the_table_and_exits_zero(capsys):
    assert main(["check", "(x**2 + 3)**2 + y", "--at", "x=2,y=1"]) == 0
    out = capsys.readouterr().out
    assert "x" in out and "56" in out and "y" in out


def test_render_writes_svg_png_and_dot(tmp_path):
    for suffix in ("svg", "png", "dot"):
        target = tmp_path / f"chain.{suffix}"
        result = run("render", "(x**2 + 3)**2 + y", "--at", "x=2,y=1", "-o", str(target))
        assert result.returncode == 0, result.stderr
        assert target.stat().st_size > 100
    ElementTree.parse(tmp_path / "chain.svg")  # well-formed XML
    assert (tmp_path / "chain.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "chain.dot").read_text().lstrip().startswith("digraph")


def test_render_without_output_prints_dot(capsys):
    assert main(["render", "x*y", "--at", "x=2,y=3", "--wrt", "x", "--show", "number"]) == 0
    assert capsys.readouterr().out.lstrip().startswith("digraph")


def test_render_works_with_no_system_dot_on_path(tmp_path):
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + "/nonexistent")
    target = tmp_path / "f.svg"
    result = run("render", "sigmoid(w*p + b)", "--at", "w=0.5,p=1,b=-1", "-o", str(target),
                 env=env)
    assert result.returncode == 0, result.stderr
    assert b"<svg" in target.read_bytes()


def test_train_and_by_backprop(capsys):
    assert main(["train", "and", "--steps", "2000", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "predicted:" in out and "real value:" in out and "AND learned" in out


def test_train_xor_both_ways_with_a_loss_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    plot = tmp_path / "loss.png"
    assert main(["train", "xor", "--method", "both", "--steps", "300", "--fd", "forward",
                 "--no-progress", "--plot", str(plot)]) == 0
    out = capsys.readouterr().out
    assert "finite" in out and "backprop" in out
    assert plot.read_bytes().startswith(b"\x89PNG")


# -- errors: one line, exit 2, no traceback ---------------------------------------------------

@pytest.mark.parametrize(("args", "needles"), [
    (["diff", "__import__('os').system('echo pwned')", "--wrt", "x"], ["not allowed"]),
    (["diff", "__import__('os')", "--wrt", "x"], ["unknown function '__import__'"]),
    (["diff", "x.real", "--wrt", "x"], ["attribute"]),
    (["diff", "(x + 1", "--wrt", "x"], ["column"]),
    (["diff", "", "--wrt", "x"], ["empty"]),
    (["diff", "x^2", "--wrt", "x"], ["**"]),
    (["diff", "x*y", "--wrt", "z"], ["--wrt z", "no input named 'z' (its inputs: x, y)"]),
    (["diff", "log(x - 1)", "--wrt", "x"], ["log", "pass --at"]),
    (["check", "log(x)", "--at", "x=-1"], ["log"]),
    (["check", "x*y", "--at", "x=1"], ["y"]),
    (["check", "x", "--at", "x=two"], ["--at: the value of 'x' must be a finite number"]),
    (["check", "x", "--at", "x"], ["--at:", "name=number"]),
    (["paths", "x*x", "--at", "x=1"], ["--wrt"]),
    (["render", "x", "--at", "x=1", "-o", "figure.gif"], ["gif"]),
    (["render", "x", "--at", "x=1", "--show", "everything"], ["invalid choice"]),
    (["train", "xnor"], ["invalid choice"]),
    (["train", "xor", "--lr", "-1"], ["lr"]),
    (["train", "xor", "--steps", "0"], ["steps"]),
    (["nonsense"], ["invalid choice"]),
])
def test_user_errors_are_one_line(args, needles, tmp_path):
    result = run(*args, cwd=tmp_path)
    assert_one_line_error(result, *needles)
    assert not (tmp_path / "pwned").exists()


def test_unwritable_output_is_one_line(tmp_path):
    result = run("render", "x", "--at", "x=1", "-o", str(tmp_path / "missing" / "f.svg"))
    assert_one_line_error(result, "missing")


def test_deeply_nested_text_is_refused_not_crashed():
    result = run("diff", "(" * 5000 + "x" + ")" * 5000, "--wrt", "x")
    assert_one_line_error(result)


# -- the error policy at the edges: closed streams, escapes, expressions starting with - ------

@pytest.mark.parametrize("args", [
    ["render", "x*x", "--at", "x=1"], ["diff", "x*x", "--wrt", "x"],
    ["check", "x*x", "--at", "x=1"], ["paths", "x*x", "--wrt", "x", "--at", "x=1"],
    ["train", "and", "--steps", "2", "--no-progress"],
], ids=lambda a: a[0])
def test_closed_standard_output_is_one_line_and_a_nonzero_exit(args):
    done = subprocess.run(["sh", "-c", '"$0" -m symgrad "$@" >&-', sys.executable, *args],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done
    assert done.stderr.strip().splitlines() == [
        "symgrad: error: standard output is closed; redirect it to a file or a pipe"]


@pytest.mark.parametrize("args", [
    ["paths", " + ".join(["x"] * 400), "--wrt", "x", "--at", "x=1"],
    ["check", "x*x", "--at", "x=1"],
], ids=["paths", "check"])
def test_a_closed_pipe_stops_quietly_with_the_sigpipe_status(args):
    proc = subprocess.Popen([sys.executable, "-m", "symgrad", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdout.close()             # the reader goes away before symgrad writes
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141, err   # never 1, which means "mismatch" for check
    assert err == ""


def test_terminal_escapes_in_arguments_are_shown_escaped():
    for args in (["paths", "x", "--wrt", "\x1b[31mred", "--at", "x=1"],
                 ["render", "x", "--at", "x=1", "-o", "/nonexistent/\x1b[2Jf.svg"]):
        result = run(*args)
        assert result.returncode == 2 and "\x1b" not in result.stderr
        assert "\\x1b" in result.stderr


@pytest.mark.parametrize("args", [
    ["diff", "-x**2 + 1", "--wrt", "x"],
    ["diff", "--wrt", "x", "-x**2 + 1"],
    ["render", "-x", "--at", "x=2"],
], ids=["first", "after-options", "render"])
def test_an_expression_may_start_with_a_minus_sign(args):
    result = run(*args)
    assert result.returncode == 0, result.stderr
    if args[0] == "diff":
        assert result.stdout.strip() == "-2*x"


def test_an_option_value_may_still_be_negative():
    result = run("train", "and", "--lr", "-0.5", "--steps", "1", "--no-progress")
    assert_one_line_error(result, "the learning rate lr must be a positive finite number")


def test_one_path_is_said_in_the_singular(capsys):
    assert main(["paths", "2*x", "--wrt", "x", "--at", "x=1"]) == 0
    assert "sum over 1 path:" in capsys.readouterr().out


def test_long_paths_are_elided():
    result = run("paths", " + ".join(["x"] * 60), "--wrt", "x", "--at", "x=1")
    first = result.stdout.splitlines()[0]
    assert result.returncode == 0 and "more …" in first and len(first) < 300


# -- --fold and --focus ---------------------------------------------------------------------

def scoped_graph(args, default=None):
    """A graph with a scoped neuron, standing in for the parsed text (text has no scopes)."""
    from symgrad import Var, scope

    x = Var(0.5, name="x")
    with scope("neuron"):
        w, b = Var(2.0, name="w"), Var(-1.0, name="b")
        h = (w * x + b).tanh()
    return h * x + b


def test_paths_fold_lists_the_folded_paths(monkeypatch, capsys):
    import symgrad
    import symgrad.cli.commands

    monkeypatch.setattr(symgrad.cli.commands, "_graph", scoped_graph)
    assert main(["paths", "(a scoped neuron)", "--wrt", "x", "--fold", "neurons"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("path 1: ∂out/∂x along + ← × ← [neuron] ← x: ")
    assert lines[1].startswith("path 2: ∂out/∂x along + ← × ← x: ")
    out = scoped_graph(None)
    x = next(v for v in symgrad.leaves(out) if v.name == "x")
    assert lines[2] == f"sum over 2 folded paths: {symgrad.grad(out, x):g} = backprop's " \
        f"gradient {symgrad.grad(out, x):g}"


def test_render_fold_and_focus(monkeypatch, capsys, tmp_path):
    import symgrad.cli.commands

    monkeypatch.setattr(symgrad.cli.commands, "_graph", scoped_graph)
    assert main(["render", "(a scoped neuron)", "--fold", "neurons", "--focus", "w"]) == 0
    source = capsys.readouterr().out
    assert '"g0" [label="neuron\\n= ' in source
    assert "focus on w: " in source and "∂/∂w = " in source
    assert main(["paths", "(scoped)", "--wrt", "w", "--fold", "neurons", "--focus", "w",
                 "-o", str(tmp_path / "f.svg")]) == 0
    ElementTree.parse(tmp_path / "f.svg")


@pytest.mark.parametrize("args, needle", [
    (["paths", "x*x", "--wrt", "x", "--at", "x=1", "--fold", "neurons"],
     "fold='neurons' folds nothing: the graph has no scopes"),
    (["render", "x*x", "--at", "x=1", "--fold", "0"], "--fold: fold=0 is not a depth"),
    (["render", "x*x", "--at", "x=1", "--fold", " , "], "--fold: fold is empty"),
    (["render", "x*y", "--at", "x=1,y=2", "--focus", "z"],
     "--focus z: the expression has no input named 'z' (its inputs: x, y)"),
])
def test_fold_and_focus_errors_are_one_line(args, needle, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0], err
