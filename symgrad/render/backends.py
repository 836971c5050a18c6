"""Renderers: programs that turn DOT text into SVG, PNG or PDF bytes.

Every renderer has the same small interface, :class:`Renderer`: a ``name``, the
``formats`` it writes, ``available()`` and ``render(source, fmt, timeout=...)``.  Two
are built in and registered in :data:`RENDERERS`:

``"embedded"``
    The ``graphviz-pure`` program from the PyPI package of the same name, a port of
    Graphviz 16.1 that ships with its own fonts, installed with symgrad.  It writes SVG
    and PNG, the same bytes on every platform, and no PDF.
``"dot"``
    A system Graphviz ``dot`` on ``PATH`` (Debian: ``apt-get install graphviz``).  It
    writes PDF too.

:func:`choose` picks one: ``renderer="auto"`` (the default) takes the embedded
renderer for SVG and PNG, so figures are identical everywhere, falling back to system
``dot`` only when the embedded program is missing, and takes system ``dot`` for PDF.
A missing renderer, a format it cannot write, a Graphviz error or a timeout raise
:class:`~symgrad.errors.RenderError` naming the renderer, what failed and what to
install.

>>> choose("auto", "svg").name
'embedded'
>>> render('digraph { a -> b }', "svg")[:5]
b'<?xml'
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path

from ..errors import InputError, RenderError

__all__ = [
    "DEFAULT_TIMEOUT",
    "FORMATS",
    "RENDERERS",
    "ProgramRenderer",
    "Renderer",
    "choose",
    "find_dot",
    "find_embedded",
    "render",
]

#: Every output format symgrad renders to (``dot`` is the source itself, no renderer).
FORMATS = ("svg", "png", "pdf")
#: Seconds a renderer may run before it is stopped and a RenderError raised.
DEFAULT_TIMEOUT = 60.0

# graphviz-pure says this for every non-ASCII character; its bundled fonts draw the
# glyphs right, so the line is noise (checked on its 0.2.2 wheels).
_NOISE = ("no value for width of non-ASCII character",)


class Renderer:
    """The interface of a renderer: subclass it, or register any object that has these.

    ``render`` returns the bytes of ``fmt`` for the DOT text ``source`` or raises
    :class:`~symgrad.errors.RenderError`.
    """

    name: str = "renderer"
    formats: tuple[str, ...] = ()
    #: One sentence: how to get this renderer when it is missing.
    install: str = ""

    def available(self) -> bool:
        """True when this renderer can run on this machine now."""
        raise NotImplementedError

    def render(self, source: str, fmt: str, *, timeout: float = DEFAULT_TIMEOUT,
               dpi: float | None = None) -> bytes:
        """``source`` (DOT text) rendered to ``fmt``."""
        raise NotImplementedError


def _exe(name: str) -> str:
    return name + (".exe" if os.name == "nt" else "")


def find_embedded() -> str | None:
    """Where the ``graphviz-pure`` program is, or ``None``.

    Looked for in the scripts folder of the running interpreter, then among the files
    of the installed ``graphviz-pure`` distribution, then on ``PATH``: a notebook
    kernel started from a virtual environment often lacks that environment's ``bin`` on
    ``PATH``.
    """
    name = _exe("graphviz-pure")
    candidates: list[Path] = []
    scripts = sysconfig.get_path("scripts")
    if scripts:
        candidates.append(Path(scripts) / name)
    candidates.append(Path(sys.executable).parent / name)
    try:
        dist = importlib.metadata.distribution("graphviz-pure")
    except importlib.metadata.PackageNotFoundError:
        dist = None
    if dist is not None:
        for f in dist.files or ():
            if f.name == name:
                candidates.append(Path(str(dist.locate_file(f))))
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return str(c)
    return shutil.which("graphviz-pure")


def find_dot() -> str | None:
    """Where a system Graphviz ``dot`` is on ``PATH``, or ``None``."""
    return shutil.which("dot")


class ProgramRenderer(Renderer):
    """A renderer that runs a Graphviz-compatible program: ``prog -Tfmt`` on stdin."""

    def __init__(self, name: str, formats: tuple[str, ...], locate: Callable[[], str | None],
                 install: str) -> None:
        self.name = name
        self.formats = formats
        self.locate = locate
        self.install = install

    def __repr__(self) -> str:
        return f"<renderer {self.name!r}: {', '.join(self.formats)}>"

    def available(self) -> bool:
        return self.locate() is not None

    def render(self, source: str, fmt: str, *, timeout: float = DEFAULT_TIMEOUT,
               dpi: float | None = None) -> bytes:
        if fmt not in self.formats:
            raise RenderError(f"the {self.name} renderer cannot write {fmt!r} "
                              f"(it writes {', '.join(self.formats)})")
        program = self.locate()
        if program is None:
            raise RenderError(f"the {self.name} renderer is not installed; {self.install}")
        args = [program, f"-T{fmt}"]
        if dpi is not None:
            args.append(f"-Gdpi={dpi:g}")
        try:
            done = subprocess.run(args, input=source.encode("utf-8"), capture_output=True,
                                  timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise RenderError(
                f"the {self.name} renderer ({program}) did not finish {fmt} within "
                f"{timeout:g} s; draw a smaller graph (a sub-expression, or compact=True) "
                "or pass a larger timeout=") from None
        except OSError as exc:
            raise RenderError(f"the {self.name} renderer ({program}) could not be run: "
                              f"{exc}; {self.install}") from None
        message = _clean_stderr(done.stderr)
        if done.returncode != 0 or not done.stdout:
            raise RenderError(
                f"the {self.name} renderer ({program}) failed to write {fmt} "
                f"(exit status {done.returncode}): {message or 'no output and no message'}")
        return done.stdout


def _clean_stderr(raw: bytes) -> str:
    lines = raw.decode("utf-8", "replace").splitlines()
    return "; ".join(ln.strip() for ln in lines
                     if ln.strip() and not any(n in ln for n in _NOISE))


#: The renderers ``renderer=`` may name.  Register another under a new name to use it.
RENDERERS: dict[str, Renderer] = {
    "embedded": ProgramRenderer(
        "embedded", ("svg", "png"), find_embedded,
        "pip install graphviz-pure (it comes with symgrad; reinstall symgrad)"),
    "dot": ProgramRenderer(
        "dot", ("svg", "png", "pdf"), find_dot,
        "install Graphviz so that `dot` is on PATH (Debian/Ubuntu: apt-get install "
        "graphviz; macOS: brew install graphviz)"),
}


def choose(renderer: str | Renderer, fmt: str) -> Renderer:
    """The renderer that will write ``fmt``: ``"auto"``, a name in :data:`RENDERERS`,
    or a :class:`Renderer` object.

    ``"auto"`` prefers the embedded renderer for SVG and PNG (same bytes everywhere)
    and system ``dot`` for PDF, which the embedded renderer cannot write.

    >>> choose("auto", "gif")
    Traceback (most recent call last):
    ...
    symgrad.errors.RenderError: cannot render 'gif' (must be one of svg, png, pdf; ...)
    """
    if fmt not in FORMATS:
        raise RenderError(f"cannot render {fmt!r} (must be one of {', '.join(FORMATS)}; "
                          "dot is the source itself)")
    if not isinstance(renderer, str):
        if not callable(getattr(renderer, "render", None)):
            raise InputError(f"renderer must be 'auto', one of {', '.join(RENDERERS)}, or "
                             f"an object with a render() method; got {renderer!r}")
        return renderer
    if renderer != "auto":
        if renderer not in RENDERERS:
            raise InputError(f"unknown renderer={renderer!r} (must be 'auto' or one of "
                             f"{', '.join(RENDERERS)})")
        chosen = RENDERERS[renderer]
        if fmt not in chosen.formats:
            hint = ("; for PDF use renderer='dot' (apt-get install graphviz) or save as "
                    ".svg/.png" if fmt == "pdf" else "")
            raise RenderError(f"the {chosen.name} renderer cannot write {fmt!r} (it writes "
                              f"{', '.join(chosen.formats)}){hint}")
        if not chosen.available():
            raise RenderError(f"renderer={renderer!r} is not available: {chosen.install}")
        return chosen
    order = ["dot"] if fmt == "pdf" else ["embedded", "dot"]
    for name in order:
        r = RENDERERS.get(name)
        if r is not None and fmt in r.formats and r.available():
            return r
    if fmt == "pdf":
        raise RenderError(
            "PDF needs a system Graphviz `dot` and none is on PATH (the embedded renderer "
            "writes only SVG and PNG); install Graphviz (Debian/Ubuntu: apt-get install "
            "graphviz; macOS: brew install graphviz), or save the figure as .svg or .png")
    raise RenderError(
        f"no renderer for {fmt!r} is installed: the embedded graphviz-pure program was not "
        "found and no system `dot` is on PATH; pip install graphviz-pure, or install "
        "Graphviz (apt-get install graphviz)")


def render(source: str, fmt: str, renderer: str | Renderer = "auto", *,
           timeout: float = DEFAULT_TIMEOUT, dpi: float | None = None) -> bytes:
    """DOT text rendered to ``fmt`` by the renderer :func:`choose` picks."""
    chosen = choose(renderer, fmt)
    return chosen.render(source, fmt, timeout=timeout, dpi=dpi)
