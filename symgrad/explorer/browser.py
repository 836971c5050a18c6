"""A headless Chromium for explorer pages: tests drive it, and it takes screenshots.

Needs Selenium (``pip install 'symgrad[browser]'``) and a Chromium with its driver on
the machine (Debian: ``apt-get install chromium chromium-driver``).  Nothing here is
needed to make or view a page; it is how symgrad's tests and documentation look at one.
Chromium is started with its background networking off, so it makes no request of its
own, and with a fresh profile each time.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from ..errors import SymgradError

__all__ = ["missing", "screenshot", "start"]

_CHROMIUM = ("chromium", "chromium-browser", "google-chrome")


def _find(names: tuple[str, ...]) -> str | None:
    for name in names:
        found = shutil.which(name) or (f"/usr/bin/{name}" if os.path.exists(
            f"/usr/bin/{name}") else None)
        if found:
            return found
    return None


def missing() -> str | None:
    """What is missing to start the browser (a sentence), or ``None`` when nothing is."""
    if _find(_CHROMIUM) is None:
        return "needs a headless Chromium (Debian: apt-get install chromium)"
    if _find(("chromedriver",)) is None:
        return "needs chromedriver (Debian: apt-get install chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "needs selenium (pip install 'symgrad[browser]')"
    return None


def start(width: int = 1400, height: int = 900, *, log_network: bool = False) -> Any:
    """A headless Chromium driven by Selenium; call ``.quit()`` when done."""
    problem = missing()
    if problem:
        raise SymgradError(f"cannot start a browser: {problem}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", f"--window-size={width},{height}",
                f"--user-data-dir={tempfile.mkdtemp(prefix='symgrad-chrome-')}"):
        options.add_argument(arg)
    options.binary_location = _find(_CHROMIUM)  # type: ignore[assignment]
    if log_network:
        options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(_find(("chromedriver",))))


def screenshot(page: str | os.PathLike[str], png: str | os.PathLike[str], *,
               fragment: str = "", script: str = "", width: int = 1400,
               height: int = 900) -> Path:
    """Open a saved page (with a URL ``fragment`` such as ``#pass=reverse``), run
    ``script`` in it (``window.symgrad.step()``, say), and save a PNG of the window."""
    driver = start(width, height)
    try:
        driver.get(Path(page).resolve().as_uri() + fragment)
        if script:
            driver.execute_script(script)
        out = Path(png)
        if not driver.save_screenshot(str(out)):
            raise SymgradError(f"the browser could not write the screenshot {str(out)!r}")
        return out
    finally:
        driver.quit()
