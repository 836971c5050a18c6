"""Sphinx configuration for the symgrad documentation.

Every figure in these pages is made during the build from code in this repository:
computation graphs by the ``symgrad-graph`` directive (:mod:`symgrad.sphinxext`, with
the embedded renderer, so no system Graphviz is needed) and plots by the
``symgrad-plot`` directive of ``_ext/symgrad_docs.py``.  Nothing is fetched from the
network (no intersphinx).

Build with ``python -m sphinx -W --keep-going -b html docs docs/_build/html``.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

import symgrad  # noqa: E402

project = "symgrad"
author = "symgrad developers"
copyright = "symgrad developers"
version = release = symgrad.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "symgrad.sphinxext",
    "symgrad_docs",
]

root_doc = "index"
exclude_patterns = ["_build", "_ext", "Thumbs.db", ".DS_Store"]
templates_path: list[str] = []
nitpicky = False

# -- autodoc ----------------------------------------------------------------------
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_default_options = {"members": True, "show-inheritance": False}
napoleon_google_docstring = False
napoleon_numpy_docstring = True

# -- HTML -------------------------------------------------------------------------
html_theme = "furo"
html_title = f"symgrad {release}"
html_static_path: list[str] = []
html_theme_options = {"navigation_with_keys": True}

# -- LaTeX ------------------------------------------------------------------------
latex_documents = [("index", "symgrad.tex", "symgrad", author, "manual")]
