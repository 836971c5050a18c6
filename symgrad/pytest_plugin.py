"""The ``symgrad`` pytest plugin, registered through the ``pytest11`` entry point.

It adds the fixture ``symgrad_check`` (a :class:`SymgradCheck`), the marker
``@pytest.mark.symgrad(rtol=..., atol=..., method=...)`` and the command-line options
``--symgrad-rtol``, ``--symgrad-atol`` and ``--symgrad-method`` (a marker wins).

>>> check = SymgradCheck(rtol=1e-5)
>>> check.finite_differences(lambda x: x**3, 2.0).ok, check.count
(True, 1)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ._check import choice
from .errors import InputError
from .finite import METHODS, GradcheckReport, tolerances
from .testing import (
    DEFAULT_ATOL,
    DEFAULT_METHOD,
    DEFAULT_RTOL,
    assert_close_to_finite_differences,
    assert_derivative,
    assert_gradients_match,
)
from .var import Var

__all__ = ["SymgradCheck", "pytest_addoption", "pytest_configure"]


class SymgradCheck:
    """The ``symgrad_check`` fixture: the three assertions with the run's tolerances.

    ``rtol``, ``atol`` and ``method`` come from the test's ``symgrad`` marker, else
    from ``--symgrad-rtol`` / ``--symgrad-atol`` / ``--symgrad-method``, else from
    :data:`DEFAULT_RTOL`, :data:`DEFAULT_ATOL` and :data:`DEFAULT_METHOD`.  They apply
    to comparisons against finite differences; ``derivative`` compares symbolically.
    ``count`` is the number of checks that passed.

    """

    def __init__(self, rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL,
                 method: str = DEFAULT_METHOD) -> None:
        self.rtol, self.atol = tolerances(rtol, atol)
        self.method = choice("finite-difference method", method, METHODS)
        self.count = 0

    def __repr__(self) -> str:
        return (f"SymgradCheck(rtol={self.rtol!r}, atol={self.atol!r}, "
                f"method={self.method!r})")

    def derivative(self, expr: Var | str | Any, wrt: Var | str, expected: Any, *,
                   at: Mapping[str, float] | None = None) -> Any:
        """:func:`assert_derivative`."""
        __tracebackhide__ = True
        result = assert_derivative(expr, wrt, expected, at=at)
        self.count += 1
        return result

    def gradients(self, out: Var, *, wrt: Sequence[Var | str] | Var | str | None = None,
                  symbolic: bool = True) -> Any:
        """:func:`assert_gradients_match` with this check's tolerances."""
        __tracebackhide__ = True
        result = assert_gradients_match(out, self.rtol, self.atol, wrt=wrt, symbolic=symbolic)
        self.count += 1
        return result

    def finite_differences(self, f: Callable[..., Any],
                           point: float | Sequence[float] | Mapping[str, float],
                           grad: Callable[..., Any] | None = None, *,
                           h: float | None = None) -> GradcheckReport:
        """:func:`assert_close_to_finite_differences` with this check's settings."""
        __tracebackhide__ = True
        result = assert_close_to_finite_differences(f, point, grad, rtol=self.rtol,
                                                    atol=self.atol, method=self.method, h=h)
        self.count += 1
        return result


_MARKER = ("symgrad(rtol=None, atol=None, method=None): tolerances and finite-difference "
           "method for the symgrad_check fixture in this test")


def pytest_addoption(parser: Any) -> None:
    """Add ``--symgrad-rtol``, ``--symgrad-atol`` and ``--symgrad-method``."""
    group = parser.getgroup("symgrad", "symgrad derivative checks")
    group.addoption("--symgrad-rtol", type=float, default=None, metavar="RTOL",
                    help=f"relative tolerance of symgrad_check against finite differences "
                    f"(default {DEFAULT_RTOL})")
    group.addoption("--symgrad-atol", type=float, default=None, metavar="ATOL",
                    help=f"absolute tolerance of symgrad_check against finite differences "
                    f"(default {DEFAULT_ATOL})")
    group.addoption("--symgrad-method", default=None, choices=list(METHODS),
                    help=f"finite-difference formula of symgrad_check (default "
                    f"{DEFAULT_METHOD})")


def pytest_configure(config: Any) -> None:
    """Register the ``symgrad`` marker (so ``--strict-markers`` accepts it)."""
    config.addinivalue_line("markers", _MARKER)


def _settings(config: Any, marker: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {"rtol": DEFAULT_RTOL, "atol": DEFAULT_ATOL,
                                "method": DEFAULT_METHOD}
    for key in settings:
        option = config.getoption(f"--symgrad-{key}")
        if option is not None:
            settings[key] = option
    if marker is not None:
        if marker.args:
            raise InputError(f"@pytest.mark.symgrad takes keyword arguments only "
                             f"(rtol=, atol=, method=), got {marker.args!r}")
        unknown = sorted(set(marker.kwargs) - set(settings))
        if unknown:
            raise InputError(f"@pytest.mark.symgrad got unknown argument(s) "
                             f"{', '.join(unknown)} (it takes rtol=, atol=, method=)")
        settings.update(marker.kwargs)
    return settings


try:
    import pytest
except ImportError:  # pragma: no cover - the assertions work without pytest
    pytest = None  # type: ignore[assignment]

if pytest is not None:
    @pytest.fixture
    def symgrad_check(request: Any) -> SymgradCheck:
        """A :class:`SymgradCheck` with the tolerances of this test's marker or the run."""
        marker = request.node.get_closest_marker("symgrad")
        return SymgradCheck(**_settings(request.config, marker))
