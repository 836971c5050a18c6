"""``DrawOptions``: every choice a figure offers, in one place.

:func:`symgrad.draw` builds one from its keyword arguments, the command line builds its
``render`` flags from :data:`CHOICES` and the field defaults, and the Sphinx directive
its options, so the three always offer the same choices with the same checks.

>>> DrawOptions(show="number").show
'number'
>>> DrawOptions(rankdir="up")
Traceback (most recent call last):
...
symgrad.errors.InputError: unknown rankdir='up' (must be one of 'LR', 'RL', 'TB', 'BT')
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Literal

from .._check import choice, integer, number
from ..errors import InputError
from ..fold import NEURONS, Fold, check_fold
from ..var import Var
from .backends import DEFAULT_TIMEOUT, RENDERERS

__all__ = ["CHOICES", "COMPACT_ABOVE", "MAX_WORK", "DrawOptions", "help_text", "parse_fold"]

#: With ``compact="auto"``, graphs with more drawn nodes than this use the compact style
#: (a figure with more is an overview anyway: its edge labels could not be read).
COMPACT_ABOVE = 150
#: ``draw`` refuses a figure whose layout work exceeds this unless ``max_work=`` says
#: otherwise.  Measured with graphviz-pure on a 2-core machine, 25,000 units take about
#: 10 s (a 4,800-node MLP loss graph, compact: 5 s).
MAX_WORK = 25_000

#: The options with a fixed set of values, and those values (the first is the default).
CHOICES: dict[str, tuple[Any, ...]] = {
    "show": ("both", "formula", "number", "none"),
    "rankdir": ("LR", "RL", "TB", "BT"),
    "constants": ("inline", "nodes"),
    "grads": ("auto", True, False),
    "compact": ("auto", True, False),
    "renderer": ("auto", *RENDERERS),
}

_HELP = {
    "show": "what edge labels say of the local derivative",
    "rankdir": "the direction of the layout (LR: inputs on the left)",
    "constants": "inline: numbers written into their op (a²); nodes: a node each",
    "renderer": "auto: the embedded Graphviz for SVG/PNG, a system dot for PDF",
    "digits": "significant digits of the numbers shown",
    "output_name": "what the output is called (f = 50, ∂f/∂x)",
    "fold": "draw scopes as one node each: 'neurons', a depth (1: layer0, ...) or scope "
            "names separated by commas",
    "focus": "keep only the nodes on the paths from the output to this input; other "
             "inputs of those ops are drawn small and dimmed",
}


def parse_fold(text: str) -> str | int | tuple[str, ...]:
    """``fold`` as the command line and the Sphinx directive write it.

    >>> parse_fold("neurons"), parse_fold("1"), parse_fold("layer0/neuron1, layer1")
    ('neurons', 1, ('layer0/neuron1', 'layer1'))
    """
    text = (text or "").strip()
    if text == NEURONS:
        return NEURONS
    if text.isdigit():
        return check_fold(int(text))  # type: ignore[return-value]
    names = [t.strip() for t in text.split(",") if t.strip()]
    if not names:
        raise InputError("fold is empty; give 'neurons', a depth such as 1, or scope "
                         "names separated by commas")
    return check_fold(names)  # type: ignore[return-value]


def help_text(option: str) -> str:
    """One line about ``option`` for the CLI and the docs, with its default."""
    default = next(f.default for f in fields(DrawOptions) if f.name == option)
    return f"{_HELP[option]} (default: {default})"


@dataclass(frozen=True)
class DrawOptions:
    """How a graph is drawn; see :func:`symgrad.draw` for what each option means.

    Every value is checked when the options are made.  ``highlight`` may be a Var or
    an input's name; ``grads`` and ``compact`` may be ``"auto"``, which :func:`draw`
    decides from the graph.  ``fold`` is kept normalised (:func:`symgrad.fold.check_fold`:
    a list of scope names becomes a tuple); ``focus`` is a Var or an input's name.
    """

    show: Literal["both", "formula", "number", "none"] = "both"
    rankdir: Literal["LR", "RL", "TB", "BT"] = "LR"
    constants: Literal["inline", "nodes"] = "inline"
    highlight: Var | str | None = None
    grads: bool | Literal["auto"] = "auto"
    compact: bool | Literal["auto"] = "auto"
    renderer: Any = "auto"
    timeout: float = DEFAULT_TIMEOUT
    digits: int = 4
    output_name: str = "f"
    path_limit: int = 12
    max_work: int | None = MAX_WORK
    fontname: str = "Helvetica"
    fold: Fold = None
    focus: Var | str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "fold", check_fold(self.fold))
        for name, values in CHOICES.items():
            value = getattr(self, name)
            if name == "renderer" and not isinstance(value, str):
                if not callable(getattr(value, "render", None)):
                    raise InputError(f"renderer must be 'auto', one of {', '.join(RENDERERS)}, "
                                     f"or an object with a render() method; got {value!r}")
                continue
            if isinstance(value, bool) and True not in values:
                choice(name, str(value), values, keyword=True)  # a bool where a name goes
            choice(name, value, values, keyword=True)
        number(self.timeout, "timeout", positive=True)
        integer(self.digits, "digits", low=1, high=17)
        integer(self.path_limit, "path_limit", low=0)
        integer(self.max_work, "max_work", low=1, optional=True)
        if not isinstance(self.output_name, str) or not self.output_name:
            raise InputError(f"output_name must be a non-empty string, got "
                             f"{self.output_name!r}")
        for name in ("highlight", "focus"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Var | str):
                raise InputError(f"{name} must be a Var or a leaf's name, got "
                                 f"{type(value).__name__}: {value!r}")
