"""The tutorial, runnable: a neuron and an MLP learn AND and XOR, with a progress bar
and loss plots.  This face of :mod:`symgrad.nn` does the printing, timing and drawing
(``symgrad train`` runs it); ``nn`` itself does none and never imports it.

>>> r = demo("and", steps=2000, echo=None)
>>> r.description, r.learned, r.final_loss < 0.05
('a single sigmoid neuron (3 parameters)', True, True)
"""

from __future__ import annotations

import math
import os
import shutil
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._check import choice, integer, real
from .backprop import zero_grad
from .errors import InputError, SymgradError
from .nn import MLP, TASKS, Module, Neuron, learned, loss_graph, train
from .nn.train import check_method, check_settings

__all__ = ["DemoResult", "ProgressBar", "Run", "demo", "describe", "plot_losses"]


class ProgressBar:
    """``progress(step, loss)`` for :func:`symgrad.nn.train`: a one-line bar on stderr.

    Redrawn at most ten times a second, in place, and never wider than the terminal
    (so it does not wrap).  ``enabled=None`` shows it only when the stream is a
    terminal and the run has lasted half a second; ``True`` always; ``False`` never.
    Call :meth:`close` at the end to finish the line.

    >>> import io
    >>> out = io.StringIO()
    >>> bar = ProgressBar(10, enabled=True, label="backprop", stream=out, columns=40)
    >>> bar(10, 0.25); bar.close()
    >>> out.getvalue().split("\\r")[-1].strip()
    'backprop [############] 10/10 loss 0.25'
    """

    def __init__(self, total: int, enabled: bool | None = None, label: str = "training",
                 *, stream: Any = None, columns: int | None = None) -> None:
        self.stream = sys.stderr if stream is None else stream
        tty = tty_clear(self.stream)
        self.on = enabled is True or (enabled is None and tty)
        self.delay = 0.5 if enabled is None else 0.0
        self.total, self.label = integer(total, "total", low=1), label
        self.columns = columns
        self.start = time.perf_counter()
        self.last = -math.inf  # the first update past the delay draws at once
        self.drawn = False
        self.state = (0, math.nan)

    def _line(self, step: int, loss: float) -> str:
        columns = self.columns or shutil.get_terminal_size((80, 24)).columns
        tail = f" {step}/{self.total} loss {loss:.6g}"
        width = min(30, columns - 1 - len(self.label) - len(tail) - 3)
        if width < 5:  # too narrow for a bar: the numbers alone, cut to fit
            return (self.label + tail)[:max(columns - 1, 1)]
        filled = width * step // self.total
        return f"{self.label} [{'#' * filled}{'-' * (width - filled)}]{tail}"

    def __call__(self, step: int, loss: float, force: bool = False) -> None:
        self.state = (step, loss)
        if not self.on:
            return
        now = time.perf_counter()
        if not force and (now - self.start < self.delay or now - self.last < 0.1):
            return
        self.last = now
        self.stream.write("\r" + self._line(step, loss) + "\x1b[K" * tty_clear(self.stream))
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        """Draw the final state and end the line (if anything was drawn)."""
        if self.drawn:
            self(*self.state, force=True)
            self.stream.write("\n")
            self.stream.flush()


def tty_clear(stream: Any) -> bool:
    """True when ``stream`` is a terminal, where the rest of the line can be cleared."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def describe(model: Module) -> str:
    n = len(model)
    if isinstance(model, Neuron):
        return f"a single {model.activation} neuron ({n} parameters)"
    if isinstance(model, MLP):
        shape = "-".join(str(s) for s in [model.n_inputs,
                                          *(layer.n_outputs for layer in model.layers)])
        acts = sorted({layer.activation for layer in model.layers})
        return f"a {shape} {'/'.join(acts)} network ({n} parameters)"
    return f"{model!r} ({n} parameters)"

def _matplotlib() -> tuple[Any, Any]:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise SymgradError("plotting loss curves needs matplotlib: "
                           "pip install 'symgrad[plot]'") from None
    return FigureCanvasAgg, Figure

def plot_losses(histories: Sequence[float] | Mapping[str, Sequence[float]],
                path: str | os.PathLike[str],
                *, title: str | None = None, log_scale: bool = True,
                ylabel: str = "loss (sum of squared errors)") -> str | os.PathLike[str]:
    """Draw loss curves (one history, or ``{label: history}``) to an image file.

    Needs matplotlib (``pip install 'symgrad[plot]'``); it draws on an off-screen
    Agg canvas, so it never touches pyplot's global state or needs a display.  The
    format follows the extension (``.png``, ``.svg``, ``.pdf``).  Returns ``path``.
    """
    FigureCanvasAgg, Figure = _matplotlib()
    curves = dict(histories) if isinstance(histories, Mapping) else {"loss": histories}
    if not curves:
        raise InputError("no loss history to plot")
    fig = Figure(figsize=(6.4, 4.0), dpi=150)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    styles = ["-", "--", ":", "-."]
    for k, (label, history) in enumerate(curves.items()):
        values = [real(v, f"loss {i} of {label!r}") for i, v in enumerate(history)]
        if not values:
            raise InputError(f"the loss history {label!r} is empty")
        ax.plot(range(len(values)), values, styles[k % len(styles)], linewidth=1.8,
                label=label)
    every = [v for h in curves.values() for v in h]
    if log_scale and min(every) > 0 and max(every) > 10 * min(every):
        ax.set_yscale("log")  # only when the loss spans more than a decade
    ax.set_xlabel("training step")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if isinstance(histories, Mapping):
        ax.legend()
    ax.grid(True, which="major", alpha=0.3)
    fig.tight_layout()
    try:
        fig.savefig(path)
    except (OSError, ValueError) as exc:
        raise InputError(f"could not write the loss plot to {path!r}: {exc}") from None
    return path

@dataclass


class Run:
    """One training run of :func:`demo`."""

    method: str
    model: Module
    history: list[float]
    predictions: list[float]
    seconds: float
    learned: bool

    @property
    def final_loss(self) -> float:
        return self.history[-1]

@dataclass


class DemoResult:
    """What :func:`demo` did: the data, the untrained predictions, and each run."""

    task: str
    description: str
    data: list[tuple[list[float], float]]
    before: list[float]
    runs: dict[str, Run] = field(default_factory=dict)

    @property
    def run(self) -> Run:
        """The first (usually only) run."""
        return next(iter(self.runs.values()))

    @property
    def history(self) -> list[float]:
        return self.run.history

    @property
    def after(self) -> list[float]:
        return self.run.predictions

    @property
    def learned(self) -> bool:
        return self.run.learned

    @property
    def final_loss(self) -> float:
        return self.run.final_loss

def _model_for(task: str, hidden: int, seed: int) -> Module:
    if hidden == 0:
        return Neuron(2, seed=seed)
    return MLP(2, [hidden, 1], seed=seed)

def _fmt_inputs(xs: Sequence[float]) -> str:
    return "[" + ", ".join(f"{x:g}" for x in xs) + "]"

def demo(task: str, *, method: str = "backprop", hidden: int | None = None,
         steps: int = 2000, lr: float = 1.0, seed: int = 0, fd: str = "central",
         h: float | None = None, plot: str | os.PathLike[str] | None = None,
         graph: str | os.PathLike[str] | None = None, progress: bool | None = None,
         echo: Callable[[str], Any] | None = print) -> DemoResult:
    """The tutorial: untrained predictions, training, trained predictions.

    ``task`` is ``"and"``, ``"or"``, ``"nand"`` or ``"xor"``.  ``hidden`` is the size of
    the hidden layer; ``0`` means a single neuron (the default for the linearly
    separable gates), and XOR defaults to 2 (the 2-2-1 network, 9 parameters).
    ``method`` is ``"backprop"``, ``"finite-difference"`` or ``"both"`` (two copies of
    the same initial network, one per method, timed side by side).  ``plot`` is a path
    for a loss-curve image (needs matplotlib); ``graph`` a path (.svg .png .pdf .dot) for
    the computation graph of the untrained network's loss, every node showing its
    gradient (the tutorial's figure).  Every line goes through ``echo``
    (``None`` for silence); the numbers come back in a :class:`DemoResult`.

    >>> r = demo("and", steps=2000, echo=None)
    >>> r.description, r.learned, r.final_loss < 0.05
    ('a single sigmoid neuron (3 parameters)', True, True)
    """
    task = choice("task", task.lower() if isinstance(task, str) else task, TASKS)
    if method != "both":
        check_method(method)
    methods = ["backprop", "finite-difference"] if method == "both" else [method]
    if hidden is None:
        hidden = 2 if task == "xor" else 0
    integer(hidden, "hidden", low=0)
    integer(seed, "seed")
    check_settings(lr, steps, fd, h)
    if progress is not None and not isinstance(progress, bool):
        raise InputError(f"progress must be True, False or None, got {progress!r}")
    if plot is not None:
        if not isinstance(plot, (str, os.PathLike)):
            raise InputError(f"plot must be a file path, got {plot!r}")
        _matplotlib()  # fail before training, not after
    if graph is not None and not isinstance(graph, (str, os.PathLike)):
        raise InputError(f"graph must be a file path, got {graph!r}")
    say = echo if echo is not None else (lambda line: None)
    data = TASKS[task]
    first = _model_for(task, hidden, seed)
    result = DemoResult(task, describe(first), [(list(map(float, x)), float(t))
                                                 for x, t in data], [])

    def show(model: Module) -> list[float]:
        preds = []
        for xs, t in data:
            p = model(xs).value  # type: ignore[union-attr]
            preds.append(p)
            say(f"  {_fmt_inputs(xs)}  predicted: {p:.2f}, real value: {t:g}")
        return preds

    if graph is not None:
        from .render import draw

        loss = loss_graph(first, data)
        loss.backward()  # so every node shows d loss / d node
        draw(loss, output_name="loss", show="number").save(graph)
        zero_grad(loss)
        say(f"computation graph of the untrained loss written to {graph}")
    say(f"{task.upper()} with {result.description}, seed {seed}")
    say("untrained:")
    result.before = show(first)
    for k, m in enumerate(methods):
        model = first if k == 0 else _model_for(task, hidden, seed)
        how = m if m == "backprop" else f"{m} ({fd})"
        say(f"training by {how}: {steps} steps of gradient descent, lr {lr:g}, "
            "sum of squared errors")
        t0 = time.perf_counter()
        bar = ProgressBar(steps, progress, m)
        try:
            history = train(model, data, m, lr=lr, steps=steps, h=h, fd=fd, progress=bar)
        finally:
            bar.close()
        seconds = time.perf_counter() - t0
        say(f"loss {history[0]:.4f} -> {history[-1]:.4f} in {seconds:.2f} s")
        say("trained:")
        preds = show(model)
        ok = learned(model, data)
        say(f"{task.upper()} learned: every prediction is within 0.5 of its target" if ok
            else f"{task.upper()} NOT learned: a prediction is 0.5 or more from its target")
        result.runs[m] = Run(m, model, history, preds, seconds, ok)
    if len(methods) > 1:
        bp, fdr = result.runs["backprop"], result.runs["finite-difference"]
        gap = max(abs(a - b) for a, b in zip(bp.history, fdr.history, strict=True))
        say(f"finite differences took {fdr.seconds / bp.seconds:.1f}x as long as backprop; "
            f"the two loss curves differ by at most {gap:.2g}")
    if plot is not None:
        plot_losses({f"{m} ({r.seconds:.2f} s)": r.history for m, r in result.runs.items()},
                    plot,
                    title=f"{task.upper()}: {result.description}, lr {lr:g}, seed {seed}")
        say(f"loss curve written to {plot}")
    return result
