"""symgrad.sphinxext: small Sphinx projects built with the directive, without system `dot`.

Each build is a ``python -m sphinx`` subprocess whose PATH holds only the interpreter's
own folder, so a system Graphviz cannot be found and the embedded renderer must do the
work.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import symgrad
from symgrad.sphinxext import CACHE_FOLDER, setup

NO_DOT_PATH = os.path.dirname(sys.executable)

CONF = 'extensions = ["symgrad.sphinxext"]\nnumfig = True\n'


def build(src: Path, out: Path, builder: str = "html", *extra: str) -> subprocess.CompletedProcess:
    assert shutil.which("dot", path=NO_DOT_PATH) is None, "dot must be absent from PATH"
    env = {**os.environ, "PATH": NO_DOT_PATH}
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", builder,
         *extra, str(src), str(out)],
        capture_output=True, text=True, env=env, timeout=300)


def project(root: Path, pages: dict[str, str], conf: str = CONF) -> Path:
    src = root / "src"
    src.mkdir(parents=True)
    (src / "conf.py").write_text(conf, encoding="utf-8")
    for name, text in pages.items():
        (src / name).write_text(text, encoding="utf-8")
    return src


GOOD = """\
Figures
=======

.. symgrad-graph:: (x**2 + 3)**2 + y
   :at: x=2, y=1
   :wrt: x
   :caption: The *one* path to x.
   :name: fig-chain
   :align: center
   :class: wide

See :numref:`fig-chain`.

.. symgrad-graph:: x * x
   :at: x=3
   :show: number
   :wrt: x
   :output: g
   :alt: x times x
   :width: 300px
"""


@pytest.fixture(scope="module")
def good_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("good")
    src = project(root, {"index.rst": GOOD})
    out = root / "html"
    result = build(src, out)
    return src, out, result


def test_the_directive_renders_svg_without_system_dot(good_build):
    _, out, result = good_build
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    page = (out / "index.html").read_text(encoding="utf-8")
    images = re.findall(r'<img[^>]*src="_images/(symgrad-graph-[0-9a-f]{20}\.svg)"[^>]*>', page)
    assert len(images) == 2 and images[0] != images[1]
    first = (out / "_images" / images[0]).read_text(encoding="utf-8")
    assert first.startswith("<?xml") and "<svg" in first
    assert "∂/∂u = 2u = 14" in first                          # an edge label, rendered
    assert "sum = 56 = ∂f/∂x" in first                        # the :wrt: legend
    second = (out / "_images" / images[1]).read_text(encoding="utf-8")
    assert "∂/∂u = 3" in second and "2u" not in second        # :show: number
    assert "sum = 6 = ∂g/∂x" in second and "∂f" not in second  # :output: g


def test_the_options_reach_the_html(good_build):
    _, out, _ = good_build
    page = (out / "index.html").read_text(encoding="utf-8")
    figure = re.search(r'<figure class="align-center" id="fig-chain">(.*?)</figure>', page,
                       re.S)
    assert figure, page
    assert 'class="symgrad-graph wide"' in figure.group(1)
    assert "computation graph of (x**2 + 3)**2 + y" in figure.group(1)    # default alt
    assert "The <em>one</em> path to x." in figure.group(1)              # caption markup
    assert 'href="#fig-chain"' in page and "Fig. 1" in page              # :name: + numref
    assert re.search(r'<img alt="x times x" class="symgrad-graph"[^>]*'
                     r'style="width: 300px;"', page)


def test_files_are_named_by_content_and_reused(good_build, tmp_path):
    src, out, _ = good_build
    cache = out / ".doctrees" / CACHE_FOLDER
    names = sorted(p.name for p in cache.iterdir())
    # SVG and PNG for each figure (no PDF: no system dot), and no temporary files.
    assert len(names) == 4 and all(re.fullmatch(r"symgrad-graph-[0-9a-f]{20}\.(svg|png)", n)
                                   for n in names)
    again = tmp_path / "again"
    assert build(src, again).returncode == 0
    assert sorted(p.name for p in (again / ".doctrees" / CACHE_FOLDER).iterdir()) == names
    changed = tmp_path / "changed"
    (changed / "src").mkdir(parents=True)
    (changed / "src" / "conf.py").write_text(CONF, encoding="utf-8")
    (changed / "src" / "index.rst").write_text(
        GOOD.replace(":at: x=3", ":at: x=4"), encoding="utf-8")
    assert build(changed / "src", changed / "html").returncode == 0
    new = sorted(p.name for p in (changed / "html" / ".doctrees" / CACHE_FOLDER).iterdir())
    assert len(set(new) & set(names)) == 2                   # one figure kept, one changed


BAD = """\
Bad figures
===========

.. symgrad-graph:: x +

Some text.

.. symgrad-graph:: x + y
   :at: x=1

.. symgrad-graph:: x * x
   :at: x=1
   :wrt: z

.. symgrad-graph:: log(x)
   :at: x=-1

.. symgrad-graph:: __import__('os').system('touch {marker}')
   :at: x=1

.. symgrad-graph:: x * x
   :at: x=one
"""


def test_a_bad_expression_is_an_error_at_its_line(tmp_path):
    marker = tmp_path / "pwned"
    src = project(tmp_path, {"index.rst": BAD.format(marker=marker)})
    result = build(src, tmp_path / "html")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and "Exception occurred" not in result.stderr
    page = str(src / "index.rst")
    for line, message in [
        (4, "ERROR: symgrad-graph 'x +': unexpected end of expression"),
        (8, "ERROR: symgrad-graph 'x + y': no value for y: give every variable a value "
            "with :at: (e.g. :at: x=1, y=1)"),
        (11, "ERROR: symgrad-graph 'x * x': :wrt: 'z' is not a variable of the expression "
             "(its variables: x)"),
        (15, "ERROR: symgrad-graph 'log(x)': log(x=-1.0) is undefined"),
        (18, "ERROR: symgrad-graph \"__import__('os')"),
        (21, "ERROR: symgrad-graph 'x * x': :at: the value of 'x' must be a finite number, "
             "got 'one'"),
    ]:
        assert f"{page}:{line}: {message}" in result.stderr, result.stderr
    assert not marker.exists()


def test_a_bad_option_value_is_a_docutils_error(tmp_path):
    src = project(tmp_path, {"index.rst": "T\n=\n\n.. symgrad-graph:: x\n   :at: x=1\n"
                                          "   :show: everything\n"})
    result = build(src, tmp_path / "html")
    assert result.returncode != 0
    assert f"{src / 'index.rst'}:4: ERROR: Error in \"symgrad-graph\" directive" \
        in result.stderr
    assert "everything" in result.stderr


def test_latex_gets_png_without_system_dot(tmp_path):
    src = project(tmp_path, {"index.rst": GOOD})
    out = tmp_path / "latex"
    result = build(src, out, "latex")
    assert result.returncode == 0, result.stderr
    tex = next(out.glob("*.tex")).read_text(encoding="utf-8")
    included = re.findall(r"\\sphinxincludegraphics(?:\[[^]]*\])?\{\{?(symgrad-graph-[0-9a-f]{20})"
                          r"\}?\.png\}", tex)
    assert len(included) == 2, tex
    assert all((out / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
               for name in included)


def test_myst_markdown_and_a_parallel_build(tmp_path):
    pytest.importorskip("myst_parser")
    pages = {f"page{k}.md": f"# Page {k}\n\n```{{symgrad-graph}} x**{k} + y\n:at: x=2, y={k}\n"
                            f":wrt: x\n:caption: Power {k}.\n```\n" for k in range(2, 6)}
    pages["index.rst"] = "Index\n=====\n\n.. toctree::\n\n" + "".join(
        f"   page{k}\n" for k in range(2, 6))
    src = project(tmp_path, pages, 'extensions = ["myst_parser", "symgrad.sphinxext"]\n')
    out = tmp_path / "html"
    result = build(src, out, "html", "-j", "2")
    assert result.returncode == 0, result.stderr
    for k in range(2, 6):
        page = (out / f"page{k}.html").read_text(encoding="utf-8")
        (name,) = re.findall(r'src="_images/(symgrad-graph-[0-9a-f]{20}\.svg)"', page)
        assert f"Power {k}." in page
        svg = (out / "_images" / name).read_text(encoding="utf-8")
        assert f"y = {k}" in svg
    leftovers = [p for p in (out / ".doctrees" / CACHE_FOLDER).iterdir()
                 if not p.name.startswith("symgrad-graph-")]
    assert leftovers == []


# -- the pieces, in process -------------------------------------------------------------------

def test_setup_declares_parallel_safety():
    class App:
        def __init__(self):
            self.directives, self.config = {}, {}

        def add_config_value(self, name, default, rebuild, types=()):
            self.config[name] = default

        def add_directive(self, name, cls):
            self.directives[name] = cls

    app = App()
    meta = setup(app)
    assert meta == {"version": symgrad.__version__, "parallel_read_safe": True,
                    "parallel_write_safe": True}
    assert set(app.directives) == {"symgrad-graph"}
    assert app.config == {"symgrad_graph_formats": None, "symgrad_graph_png_dpi": 144}


INTERACTIVE = """\
Explore
=======

.. symgrad-graph:: (x**2 + 3)**2 + x
   :at: x=2
   :wrt: x
   :interactive:
   :caption: Step through backprop.
"""


def test_interactive_is_the_explorer_in_html_and_the_figure_in_latex(tmp_path):
    src = project(tmp_path, {"index.rst": INTERACTIVE})
    done = build(src, tmp_path / "html")
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "html" / "index.html").read_text(encoding="utf-8")
    assert '<iframe srcdoc="' in page and "symgrad-data" in page
    assert 'sandbox="allow-scripts"' in page
    assert "<img" not in page                      # the explorer, not the static figure
    latex = build(src, tmp_path / "latex", "latex")
    assert latex.returncode == 0, latex.stderr
    tex = next((tmp_path / "latex").glob("*.tex")).read_text(encoding="utf-8")
    assert "includegraphics" in tex and "Step through backprop." in tex
    assert "iframe" not in tex


FOCUS = """\
Focus and fold
==============

.. symgrad-graph:: (x**2 + 3)**2 + x*y
   :at: x=2, y=1
   :focus: y

.. symgrad-graph:: x * y
   :at: x=2, y=1
   :focus: z

.. symgrad-graph:: x * y
   :at: x=2, y=1
   :fold: neurons

.. symgrad-graph:: x * y
   :at: x=2, y=1
   :fold: 0
"""


def test_focus_and_fold_options(tmp_path):
    src = project(tmp_path, {"index.rst": FOCUS})
    result = build(src, tmp_path / "html")
    assert result.returncode != 0
    page = str(src / "index.rst")
    for line, message in [
        (8, "ERROR: symgrad-graph 'x * y': :focus: 'z' is not a variable of the expression "
            "(its variables: x, y)"),
        (12, "ERROR: symgrad-graph 'x * y': fold='neurons' folds nothing: the graph has no "
             "scopes"),
        (16, 'ERROR: Error in "symgrad-graph" directive'),
    ]:
        assert f"{page}:{line}: {message}" in result.stderr, result.stderr
    assert "fold=0 is not a depth" in result.stderr
    (svg,) = (tmp_path / "html" / "_images").glob("symgrad-graph-*.svg")
    text = svg.read_text(encoding="utf-8")
    assert "focus on y: 3 nodes on the paths from f, 2 other inputs dimmed, 2 nodes left " \
        "out" in text
