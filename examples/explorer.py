"""The explorer, saved: the chain-rule page and the README's screenshot of it.

Run ``python examples/explorer.py``.  It writes ``chain_rule_explorer.html`` (open it in
any browser, offline) and, when a headless Chromium and Selenium are installed
(``pip install 'symgrad[browser]'``; Debian: ``apt-get install chromium
chromium-driver``), redraws ``docs/figures/explorer.png``: the page three steps into
the reverse pass, where x is waiting for its second consumer.
"""

from pathlib import Path

import symgrad
from symgrad.explorer import browser

HERE = Path(__file__).resolve().parent


def main() -> None:
    x = symgrad.Var(2.0, name="x")
    g = (x**2 + 3)**2 + x
    page = symgrad.explore(g, wrt=x, output_name="g").save(HERE / "chain_rule_explorer.html")
    print(f"wrote {page}")
    problem = browser.missing()
    if problem:
        print(f"no screenshot: {problem}")
        return
    png = browser.screenshot(page, HERE.parent / "docs" / "figures" / "explorer.png",
                             fragment="#pass=reverse&select=x", width=1400, height=560,
                             script="for (let k = 0; k < 3; k++) window.symgrad.step();")
    print(f"wrote {png}")


if __name__ == "__main__":
    main()
