"""Timing helpers shared by the benchmarks (medians of interleaved samples)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def per_call(fn: Callable[[], object], budget: float = 0.05) -> Callable[[], float]:
    """A sampler timing ``fn`` over enough calls to last about ``budget`` seconds; each
    sample returns seconds per call."""
    t = time.perf_counter()
    fn()
    once = time.perf_counter() - t
    reps = max(1, int(budget / max(once, 1e-7)))

    def sample() -> float:
        t = time.perf_counter()
        for _ in range(reps):
            fn()
        return (time.perf_counter() - t) / reps

    return sample


def medians(tasks: dict[str, Callable[[], object]], repeat: int,
            budget: float = 0.05) -> dict[str, float]:
    """The median seconds per call of each task, sampled round-robin ``repeat`` times so
    that drift hits every task alike."""
    samplers = {k: per_call(f, budget) for k, f in tasks.items()}
    times: dict[str, list[float]] = {k: [] for k in tasks}
    for _ in range(repeat):
        for k, sample in samplers.items():
            times[k].append(sample())
    return {k: statistics.median(v) for k, v in times.items()}
