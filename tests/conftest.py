"""Shared test configuration: a deterministic hypothesis profile for CI."""

import contextlib
import os
import signal

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", deadline=None, derandomize=True, max_examples=60,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=60)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture
def watchdog():
    """A hang detector, not a speed test: ``with watchdog(): ...`` fails the test if the
    block is still running after a generous limit (60 s by default).

    Speed is measured by the scripts in ``bench/``, never asserted in a unit test; this
    only turns an endless loop into a failure instead of a stuck CI run.
    """

    @contextlib.contextmanager
    def guard(seconds: float = 60.0):
        def on_alarm(signum, frame):
            raise TimeoutError(f"still running after {seconds:g} s: this hangs")

        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    return guard
