"""The documentation: it builds with warnings as errors, and its examples are true.

* The real ``docs/`` site is built with ``sphinx-build -W --keep-going -b html`` in a
  subprocess whose PATH has no ``dot``; every figure must be made by the build itself.
* Every ``>>>`` example in the pages runs as a doctest (``doctest.testfile``, with the
  ELLIPSIS and NORMALIZE_WHITESPACE flags the package's doctests use).
* The test-suite examples in the testing how-to run under pytest (``pytester``).
"""

import doctest
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
NO_DOT_PATH = os.path.dirname(sys.executable)
PAGES = sorted(p for p in DOCS.rglob("*.rst") if "_build" not in p.parts)

pytest_plugins = ["pytester"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    pytest.importorskip("furo")
    pytest.importorskip("matplotlib")
    assert shutil.which("dot", path=NO_DOT_PATH) is None, "dot must be absent from PATH"
    out = tmp_path_factory.mktemp("docs") / "html"
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         str(DOCS), str(out)],
        capture_output=True, text=True, env={**os.environ, "PATH": NO_DOT_PATH},
        timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stderr and "ERROR" not in result.stderr
    return out


def images(page: str, kind: str) -> list[str]:
    return re.findall(rf'<img[^>]*src="(?:\.\./)*_images/({kind}-[0-9a-f]{{20}}\.svg)"', page)


def test_the_tutorial_has_its_figures(site):
    page = (site / "tutorial.html").read_text(encoding="utf-8")
    graphs, plots = images(page, "symgrad-graph"), images(page, "symgrad-plot")
    assert len(graphs) == 7 and len(set(graphs)) == 7
    assert len(plots) == 4 and len(set(plots)) == 4
    for name in graphs + plots:
        svg = (site / "_images" / name).read_text(encoding="utf-8")
        assert "<svg" in svg and "</svg>" in svg
    texts = [(site / "_images" / n).read_text(encoding="utf-8") for n in graphs]
    assert any("sum = 57 = ∂g/∂x" in t for t in texts)          # two paths summed
    assert any("∂/∂u = 2u = 14" in t for t in texts)            # a labelled edge
    assert any("grad = 56" in t for t in texts)                 # after backprop
    (folded,) = images(page, "symgrad-model")                   # the XOR loss, folded
    folded_svg = (site / "_images" / folded).read_text(encoding="utf-8")
    assert "layer1/neuron0" in folded_svg and "σ′(z)" in folded_svg
    # The figures sit in the sections that talk about them.
    def at(anchor: str) -> int:
        return page.index(f'id="{anchor}"')

    order = ["a-network-is-a-function-with-parameters", "fig-neuron", "the-sigmoid",
             "slopes-by-nudging-finite-differences", "fig-step-size", "computation-graphs",
             "fig-graph", "the-chain-rule-products-along-a-path", "fig-one-path",
             "and-sums-across-paths", "fig-two-paths",
             "backprop-every-derivative-in-one-pass", "learning-and", "fig-and-loss",
             "xor-and-the-hidden-layer", "fig-xor-folded", "fig-xor-loss", "fig-xor-network"]
    positions = [at(anchor) for anchor in order]
    assert positions == sorted(positions)


def test_every_page_builds_and_figures_are_files(site):
    for name in ("index", "howto/render", "howto/sphinx", "howto/testing", "cli", "api"):
        assert (site / f"{name}.html").is_file(), name
    for name in ("index", "howto/render", "howto/sphinx"):
        page = (site / f"{name}.html").read_text(encoding="utf-8")
        found = images(page, "symgrad-graph")
        assert found, name
        assert all((site / "_images" / n).is_file() for n in found)


def test_the_cli_reference_is_generated_from_the_parser(site):
    import argparse

    from symgrad.cli import build_parser

    page = (site / "cli.html").read_text(encoding="utf-8")
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, command in sub.choices.items():
        assert f"symgrad {name}" in page
        for action in command._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help"):
                    assert option in page, (name, option)


def test_the_api_reference_documents_the_public_functions(site):
    page = (site / "api.html").read_text(encoding="utf-8")
    for anchor in ("symgrad.Var", "symgrad.grad", "symgrad.paths", "symgrad.finite.gradcheck",
                   "symgrad.symbolic.derivative", "symgrad.symbolic.verify",
                   "symgrad.render.draw", "symgrad.nn.MLP", "symgrad.nn.train",
                   "symgrad.testing.assert_derivative",
                   "symgrad.testing.assert_gradients_match",
                   "symgrad.testing.assert_close_to_finite_differences",
                   "symgrad.sphinxext.write_figure", "symgrad.cli.build_parser",
                   "symgrad.errors.SymgradError"):
        assert f'id="{anchor}"' in page, anchor


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_page_examples_are_true(page):
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testfile(str(page), module_relative=False, optionflags=flags,
                              verbose=False, report=True, encoding="utf-8")
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed"
    if ">>>" in page.read_text(encoding="utf-8"):
        assert result.attempted > 0


def python_blocks(page: Path) -> list[str]:
    """The bodies of the ``.. code-block:: python`` blocks of a page."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks, k = [], 0
    while k < len(lines):
        if lines[k].strip() == ".. code-block:: python":
            k += 1
            body = []
            while k < len(lines) and (not lines[k].strip() or lines[k].startswith("   ")):
                body.append(lines[k])
                k += 1
            blocks.append(textwrap.dedent("\n".join(body)).strip() + "\n")
        else:
            k += 1
    return blocks


def test_the_testing_howto_test_code_runs_under_pytest(pytester):
    blocks = [b for b in python_blocks(DOCS / "howto" / "testing.rst") if "def test_" in b]
    assert len(blocks) == 3
    expected = 0
    for k, block in enumerate(blocks):
        pytester.makepyfile(**{f"test_howto_{k}": block})
        expected += block.count("def test_")
    result = pytester.runpytest("-p", "no:cacheprovider", "--strict-markers")
    result.assert_outcomes(passed=expected)


@pytest.mark.needs_chromium
def test_the_tutorial_figures_load_in_a_real_browser(site, tmp_path):
    """Headless Chromium opens the tutorial: every figure must decode as an image."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("needs a headless Chromium (Debian: apt-get install chromium)")
    probe = """<script>window.addEventListener("load", () => {
      const all = [...document.images];
      const broken = all.filter(i => !(i.complete && i.naturalWidth > 0));
      document.body.dataset.probe = `${all.length} images, ${broken.length} broken`;
    });</script></body>"""
    page = (site / "tutorial.html").read_text(encoding="utf-8").replace("</body>", probe)
    (site / "probe.html").write_text(page, encoding="utf-8")
    done = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={tmp_path}", "--virtual-time-budget=10000",
         "--dump-dom", (site / "probe.html").as_uri()],
        capture_output=True, text=True, timeout=180)
    found = re.search(r'data-probe="(\d+) images, (\d+) broken"', done.stdout)
    assert found, done.stdout[-2000:] + done.stderr[-2000:]
    assert int(found.group(1)) >= 11 and found.group(2) == "0"
