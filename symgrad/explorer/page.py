"""The explorer's HTML: one self-contained page, with the script and stylesheet inlined.

Nothing on the page loads from anywhere: the figure is inline SVG, the data sit in a
``<script type="application/json">`` block, and the stylesheet and script are package
files read with :mod:`importlib.resources`: ``explorer.css``, and ``panels.js`` (the
words), ``figure.js`` (the SVG) and ``explorer.js`` (the state and the API), all three in
one inline ``<script>``.  A Content-Security-Policy forbids every fetch.  Every
user-chosen string (input names, the output's name) is escaped: :func:`html.escape` in
the HTML, :func:`safe_json` in the data block, ``textContent`` in the script.

>>> safe_json({"name": "</script><b>&"})
'{"name":"\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e\\\\u0026"}'
"""

from __future__ import annotations

import html
import json
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["CSP", "asset", "render_page", "safe_json"]

#: The page's Content-Security-Policy: inline script and style only; no fetch of any kind.
CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
       "img-src data:")

_JSON_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                               "\u2028": "\\u2028", "\u2029": "\\u2029"})


def safe_json(data: Any) -> str:
    """``data`` as compact JSON that can sit inside a ``<script>`` element.

    ``<``, ``>`` and ``&`` become ``\\u003c``-style escapes (so ``</script>`` cannot
    end the element), as do U+2028 and U+2029.  NaN and infinities are refused.

    >>> print(safe_json({"name": "</script>", "n": [1.5, None]}))
    {"name":"\\u003c/script\\u003e","n":[1.5,null]}
    """
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.translate(_JSON_ESCAPES)


@cache
def asset(name: str) -> str:
    """The text of a file shipped in this package (``explorer.js``, ``explorer.css``).

    >>> asset("explorer.css").startswith("/* symgrad explorer")
    True
    """
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


_PASSES = (("values", "1 · values"), ("reverse", "2 · reverse (backprop)"),
           ("forward", "3 · forward mode"))


def render_page(*, svg: str, data: dict[str, Any], title: str,
                inputs: list[tuple[int, str]], selected: int) -> str:
    """The whole HTML document.

    ``inputs`` lists ``(node index, name)`` for the input chooser, ``selected`` the
    position in it that starts selected (``-1``: none).

    >>> page = render_page(svg="<svg></svg>", data={"a": 1}, title="f = <1>",
    ...                    inputs=[(0, "x<y")], selected=0)
    >>> "<title>f = &lt;1&gt;</title>" in page, '<option value="0" selected>x&lt;y</option>' in page
    (True, True)
    """
    e = html.escape
    options = ['<option value="-1">(none)</option>'] + [
        f'<option value="{k}"{" selected" if k == selected else ""}>{e(name)}</option>'
        for k, (_, name) in enumerate(inputs)
    ]
    passes = "".join(f'<option value="{v}">{e(t)}</option>' for v, t in _PASSES)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{e(CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{e(title)}</title>
<style>
{asset("explorer.css")}
</style>
</head>
<body>
<div class="sg-app sg-pass-values" id="sg-app">
<header class="sg-bar">
<h1 class="sg-title"><span class="sg-brand">symgrad</span> explorer
<span class="sg-expr">{e(title)}</span></h1>
<div class="sg-controls" role="toolbar" aria-label="Step through the passes">
<label>Pass <select id="sg-pass">{passes}</select></label>
<label>Input <select id="sg-input">{"".join(options)}</select></label>
<span class="sg-group">
<button type="button" id="sg-reset" title="Reset (r)">↺ Reset</button>
<button type="button" id="sg-back" title="Step back (←)">◀ Back</button>
<button type="button" id="sg-step" class="sg-primary" title="Step (→ or space)">Step ▶</button>
<button type="button" id="sg-play" title="Play or pause (p)">▶ Play</button>
<button type="button" id="sg-run" title="Jump to the end of the pass">End ⇥</button>
</span>
<label class="sg-speed">Speed
<input type="range" id="sg-speed" min="0" max="100" value="45"></label>
<span id="sg-counter" class="sg-counter"></span>
<span class="sg-group sg-zoom" aria-label="Zoom">Zoom
<button type="button" id="sg-zoom-out" title="Zoom out">−</button>
<button type="button" id="sg-zoom-fit" title="Fit the width">fit</button>
<button type="button" id="sg-zoom-in" title="Zoom in">+</button></span>
</div>
<p id="sg-status" class="sg-status" aria-live="polite"></p>
</header>
<main class="sg-main">
<section class="sg-graph-pane" aria-label="The computation graph">
<div id="sg-graph" class="sg-graph">
{svg}
</div>
</section>
<aside class="sg-side">
<section class="sg-card"><h2>Node</h2><div id="sg-detail" class="sg-detail"></div></section>
<section class="sg-card"><h2>Paths</h2><div id="sg-paths"></div></section>
<section class="sg-card"><h2>Cost</h2><div id="sg-cost" class="sg-cost"></div></section>
<section class="sg-card sg-legend"><h2>Key</h2><ul>
<li><span class="sg-swatch sg-sw-cur"></span>current step</li>
<li><span class="sg-swatch sg-sw-done"></span>finished in this pass</li>
<li><span class="sg-swatch sg-sw-path"></span>on a path from the output to the input</li>
<li>keys: → or space step, ← back, r reset, p play</li>
</ul></section>
</aside>
</main>
</div>
<script type="application/json" id="symgrad-data">{safe_json(data)}</script>
<script>
{asset("panels.js")}
{asset("figure.js")}
{asset("explorer.js")}
</script>
</body>
</html>
"""
