"""Renderers: the embedded graphviz-pure program, system dot, and their errors.

Tests that need a system Graphviz ``dot`` are marked ``needs_dot`` and skipped when
``dot`` is not on PATH; everything else must pass without it, and is run with ``dot``
removed from PATH on purpose.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from symgrad import Var
from symgrad.errors import InputError, RenderError
from symgrad.render import RENDERERS, Renderer, draw
from symgrad.render.backends import (
    ProgramRenderer,
    _clean_stderr,
    choose,
    find_dot,
    find_embedded,
    render,
)

needs_dot = [pytest.mark.needs_dot,
             pytest.mark.skipif(shutil.which("dot") is None,
                                reason="needs a system Graphviz `dot` on PATH")]

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
GOOD = 'digraph { a -> b [label="∂/∂a = 2a = 4"] }'


@pytest.fixture
def no_dot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """PATH holds only an empty folder: no dot, and no graphviz-pure either."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert shutil.which("dot") is None and find_dot() is None


def test_embedded_is_found_without_path(no_dot: None) -> None:
    """A notebook kernel may lack the venv's bin on PATH; the program is found anyway."""
    program = find_embedded()
    assert program is not None and Path(program).is_file()
    assert Path(program).name.startswith("graphviz-pure")


def test_auto_renders_svg_and_png_with_no_system_graphviz(no_dot: None) -> None:
    assert choose("auto", "svg").name == "embedded"
    assert choose("auto", "png").name == "embedded"
    x, y = Var(2.0, name="x"), Var(1.0, name="y")
    d = draw((x**2 + 3) ** 2 + y)
    root = ET.fromstring(d.svg())
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "∂/∂u = 2u = 14" in texts and "f = 50" in texts
    assert d.png().startswith(PNG_MAGIC)


def test_pdf_without_dot_says_what_to_install(no_dot: None) -> None:
    x = Var(2.0, name="x")
    with pytest.raises(RenderError, match=r"PDF needs a system Graphviz `dot`.*apt-get "
                                          r"install graphviz.*\.svg or \.png"):
        draw(x * x).pdf()


def test_dot_renderer_missing(no_dot: None) -> None:
    with pytest.raises(RenderError, match=r"renderer='dot' is not available: install "
                                          r"Graphviz.*apt-get install graphviz"):
        render(GOOD, "svg", "dot")


def test_nothing_installed(monkeypatch: pytest.MonkeyPatch, no_dot: None) -> None:
    monkeypatch.setattr(RENDERERS["embedded"], "locate", lambda: None)
    with pytest.raises(RenderError, match=r"no renderer for 'svg' is installed.*pip install "
                                          "graphviz-pure"):
        render(GOOD, "svg")
    with pytest.raises(RenderError, match="embedded renderer is not installed"):
        RENDERERS["embedded"].render(GOOD, "svg")


def test_embedded_cannot_write_pdf() -> None:
    with pytest.raises(RenderError, match=r"embedded renderer cannot write 'pdf' \(it writes "
                                          r"svg, png\).*renderer='dot'"):
        render(GOOD, "pdf", "embedded")
    with pytest.raises(RenderError, match="cannot write 'pdf'"):
        RENDERERS["embedded"].render(GOOD, "pdf")


@pytest.mark.parametrize("fmt", ["gif", "SVG", "", "dot"])
def test_unknown_format(fmt: str) -> None:
    with pytest.raises(RenderError, match=r"cannot render .* \(must be one of svg, png, pdf"):
        render(GOOD, fmt)


def test_unknown_renderer() -> None:
    with pytest.raises(InputError, match=r"unknown renderer='cairo' \(must be 'auto' or one "
                                         r"of embedded, dot\)"):
        render(GOOD, "svg", "cairo")
    with pytest.raises(InputError, match="object with a render"):
        render(GOOD, "svg", 42)  # type: ignore[arg-type]


def test_graphviz_error_carries_graphvizs_message() -> None:
    with pytest.raises(RenderError) as info:
        render("digraph { a -> }", "svg", "embedded")
    message = str(info.value)
    assert "embedded renderer" in message and "exit status 1" in message
    assert "syntax error in line 1" in message


def test_unicode_noise_is_filtered_but_real_warnings_kept() -> None:
    raw = (b"Warning: Warning: no value for width of non-ASCII character 226. Falling back\n"
           b"Error: <stdin>: syntax error in line 3 near '}'\n")
    assert _clean_stderr(raw) == "Error: <stdin>: syntax error in line 3 near '}'"
    # and a good render with Unicode labels succeeds despite that stderr line
    assert render(GOOD, "svg", "embedded").startswith(b"<?xml")


def _script(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text(f"#!{sys.executable}\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


@pytest.mark.skipif(os.name == "nt", reason="shebang scripts")
def test_timeout_stops_a_hanging_renderer(tmp_path: Path) -> None:
    slow = _script(tmp_path, "slow-dot", "import time; time.sleep(30)")
    r = ProgramRenderer("slow", ("svg",), lambda: slow, "nothing to install")
    with pytest.raises(RenderError, match=r"did not finish svg within 0.5 s.*compact=True.*"
                                          r"timeout="):
        r.render(GOOD, "svg", timeout=0.5)


@pytest.mark.skipif(os.name == "nt", reason="shebang scripts")
def test_renderer_that_prints_nothing(tmp_path: Path) -> None:
    mute = _script(tmp_path, "mute-dot", "import sys; sys.stdin.read()")
    r = ProgramRenderer("mute", ("svg",), lambda: mute, "")
    with pytest.raises(RenderError, match=r"exit status 0.*no output and no message"):
        r.render(GOOD, "svg")


def test_renderer_that_cannot_run(tmp_path: Path) -> None:
    not_exec = tmp_path / "not-executable"
    not_exec.write_text("")
    r = ProgramRenderer("broken", ("svg",), lambda: str(not_exec), "reinstall it")
    with pytest.raises(RenderError, match=r"could not be run.*reinstall it"):
        r.render(GOOD, "svg")


def test_a_custom_renderer_plugs_in() -> None:
    class Echo(Renderer):
        name = "echo"
        formats = ("svg",)

        def available(self) -> bool:
            return True

        def render(self, source: str, fmt: str, *, timeout: float = 60.0,
                   dpi: float | None = None) -> bytes:
            return f"<svg><!-- {len(source)} --></svg>".encode()

    x = Var(1.0, name="x")
    d = draw(x + 1, renderer=Echo())
    assert d.svg() == f"<svg><!-- {len(d.source)} --></svg>"


def test_png_dpi_scales_the_image() -> None:
    x = Var(2.0, name="x")
    d = draw(x * x)

    def width(png: bytes) -> int:
        return int.from_bytes(png[16:20], "big")

    assert width(d.png(dpi=192)) == pytest.approx(2 * width(d.png(dpi=96)), rel=0.05)


def test_embedded_output_is_deterministic() -> None:
    assert render(GOOD, "svg", "embedded") == render(GOOD, "svg", "embedded")


@needs_dot[0]
@needs_dot[1]
def test_system_dot_writes_pdf_svg_png() -> None:
    x, y = Var(2.0, name="x"), Var(1.0, name="y")
    d = draw((x**2 + 3) ** 2 + y, renderer="dot")
    assert d.pdf().startswith(b"%PDF")
    assert d.png().startswith(PNG_MAGIC)
    texts = [t.text for t in ET.fromstring(d.svg()).iter("{http://www.w3.org/2000/svg}text")]
    assert "∂/∂u = 2u = 14" in texts
    assert choose("auto", "pdf").name == "dot"
    assert draw(x * y).pdf().startswith(b"%PDF")       # auto picks dot for PDF


@needs_dot[0]
@needs_dot[1]
def test_system_dot_error_message() -> None:
    with pytest.raises(RenderError, match=r"dot renderer .* failed .*syntax error in line 1"):
        render("digraph { a -> }", "svg", "dot")
