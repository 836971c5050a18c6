"""The project's promises about itself: CI runs the README's command, the core is light."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def readme_commands():
    return re.findall(r"```bash\n(.+?)\n```", (ROOT / "README.md").read_text(), re.S)


def test_ci_runs_exactly_the_readme_test_command():
    commands = readme_commands()
    test_command = next(c for c in commands if "pytest" in c)
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_command in ci.splitlines()
    assert "set -euo pipefail" in ci  # a failing pytest (exit 5 included) fails CI


def test_readme_main_job_renders_a_figure():
    main_job = next(c for c in readme_commands() if "render" in c)
    assert "-o chain_rule.svg" in main_job and "pip install -e ." in main_job


def test_core_imports_neither_sympy_nor_graphviz():
    code = ("import sys, symgrad; x = symgrad.Var(2.0); (x * x).backward(); "
            "symgrad.gradcheck(x * x); "
            "print(sorted(m for m in ('sympy', 'graphviz') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_python_dash_m_and_version():
    out = subprocess.run([sys.executable, "-m", "symgrad", "--version"], capture_output=True,
                         text=True, check=True).stdout
    assert out.startswith("symgrad ")


def test_readme_tour_runs():
    import doctest

    result = doctest.testfile(str(ROOT / "README.md"), module_relative=False,
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 10 and result.failed == 0


def test_ruff_is_clean():
    ruff = pytest.importorskip("ruff")
    del ruff
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", str(ROOT)],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_is_clean():
    pytest.importorskip("mypy")
    done = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental", "symgrad"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_required_dependency_is_used():
    """A declared dependency earns its place: symgrad imports or runs it."""
    import tomllib

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    names = [re.split(r"[<>=!~ \[]", d, maxsplit=1)[0] for d in deps]
    source = "\n".join(p.read_text() for p in (ROOT / "symgrad").rglob("*.py"))
    for name in names:
        module = name.replace("-", "_")
        used = (f"import {module}" in source or f"from {module}" in source
                or f'"{name}"' in source)  # a program found through its distribution
        assert used, f"{name} is declared in pyproject.toml but symgrad never uses it"
